package vectorgrad.autograd;

import java.lang.foreign.MemorySegment;
import vectorgrad.kernels.Rng;

/**
 * A seedable source of random numbers for tensors (as {@code torch.Generator}). Thread-safe.
 * The default one is seeded by {@link Tensor#manualSeed(long)}; its state can be saved and restored.
 *
 * <p>A generator made by {@link #keyedBySample(long)} draws dropout masks differently: the mask of each
 * sample (each index of the batch dimension) comes from a stream keyed by (seed, step, the sample's index
 * in the global batch, the how-many-th mask of the step), set by {@link #beginBatch(long, long)} before each
 * forward pass. Where a sample is computed — which worker, which shard of the batch — then does not change
 * its mask, so data-parallel replicas that split a batch draw the masks one process would. Its other
 * draws ({@link #nextFloat()}, {@link #randperm(int)}, initialisation) are sequential as usual.
 */
public final class Generator {
    private final Rng rng;
    private final boolean keyed;
    private final long keySeed;
    private long step, firstSample;
    private int maskIndex;
    /** Keyed generators: reseeded for each sample's mask. */
    private final Rng sampleRng = new Rng(0);

    public Generator(long seed) {
        this(seed, false);
    }

    private Generator(long seed, boolean keyed) {
        rng = new Rng(seed);
        this.keyed = keyed;
        this.keySeed = seed;
    }

    /** A generator whose dropout masks are keyed by sample: see the class comment. */
    public static Generator keyedBySample(long seed) {
        return new Generator(seed, true);
    }

    /** True for a generator made by {@link #keyedBySample(long)}. */
    public boolean isKeyedBySample() {
        return keyed;
    }

    /**
     * Starts a batch (keyed generators): the masks drawn until the next call belong to training step
     * {@code step}, and row 0 of the batch dimension is sample {@code firstSample} of the global batch.
     */
    public synchronized void beginBatch(long step, long firstSample) {
        if (!keyed)
            throw new IllegalStateException(
                    "beginBatch: this generator is not keyed by sample (Generator.keyedBySample)");
        if (step < 0 || firstSample < 0)
            throw new IllegalArgumentException(
                    "beginBatch: step and firstSample must be >= 0, got " + step + " and " + firstSample);
        this.step = step;
        this.firstSample = firstSample;
        this.maskIndex = 0;
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

    /** A mask of {@code rows} samples of {@code n / rows} values each (keyed: one stream per sample). */
    synchronized void fillDropoutMask(MemorySegment seg, long n, long rows, float p, float scale) {
        if (!keyed) {
            rng.fillDropoutMask(seg, 0, n, p, scale);
            return;
        }
        long per = n / rows;
        for (long r = 0; r < rows; r++) {
            sampleRng.seed(Rng.mix(keySeed, step, firstSample + r, maskIndex));
            sampleRng.fillDropoutMaskInOrder(seg, r * per, per, p, scale);
        }
        maskIndex++;
    }

    /**
     * One draw from the stream, the seed of a dropout whose mask is a function of it and the element's
     * index (so its backward regenerates the mask); as many draws as a mask filled by
     * {@link #fillDropoutMask}. Not for generators keyed by sample, whose masks follow the samples.
     */
    synchronized long dropoutSeed() {
        if (keyed) throw new IllegalStateException("dropoutSeed: a generator keyed by sample draws masks per sample");
        return rng.nextLong();
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
