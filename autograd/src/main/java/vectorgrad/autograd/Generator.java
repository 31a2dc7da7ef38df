package vectorgrad.autograd;

import java.lang.foreign.MemorySegment;
import vectorgrad.kernels.Rng;

/**
 * A seedable source of random numbers for tensors (as {@code torch.Generator}). Thread-safe.
 * The default one is seeded by {@link Tensor#manualSeed(long)}; its state can be saved and restored.
 */
public final class Generator {
    private final Rng rng;

    public Generator(long seed) {
        rng = new Rng(seed);
    }

    public synchronized void manualSeed(long seed) {
        rng.seed(seed);
    }

    public synchronized long[] getState() {
        return rng.state();
    }

    public synchronized void setState(long[] state) {
        rng.setState(state);
    }

    public synchronized float nextFloat() {
        return rng.nextFloat();
    }

    public synchronized int nextInt(int bound) {
        return rng.nextInt(bound);
    }

    synchronized void fillUniform(MemorySegment seg, long n, float low, float high) {
        rng.fillUniform(seg, 0, n, low, high);
    }

    synchronized void fillNormal(MemorySegment seg, long n, float mean, float std) {
        rng.fillNormal(seg, 0, n, mean, std);
    }

    synchronized void fillDropoutMask(MemorySegment seg, long n, float p, float scale) {
        rng.fillDropoutMask(seg, 0, n, p, scale);
    }

    /** A random permutation of {@code [0, n)} (Fisher-Yates). */
    public synchronized int[] randperm(int n) {
        int[] p = new int[n];
        for (int i = 0; i < n; i++) p[i] = i;
        for (int i = n - 1; i > 0; i--) {
            int j = rng.nextInt(i + 1);
            int t = p[i];
            p[i] = p[j];
            p[j] = t;
        }
        return p;
    }
}
