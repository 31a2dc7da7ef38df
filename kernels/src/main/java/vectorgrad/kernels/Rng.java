package vectorgrad.kernels;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * A seedable random generator (xoshiro256**, seeded through splitmix64) that fills float memory.
 *
 * <p>Its whole state is four longs, readable and settable, so a checkpoint can resume the same stream.
 * Not thread-safe: callers that share one synchronise (the tensor library's generator does).
 */
public final class Rng {
    static {
        ColdStart.begin(); // a model's initialisation: the kernels' first use (see ColdStart)
    }

    private final long[] s = new long[4];

    public Rng(long seed) {
        seed(seed);
    }

    public void seed(long seed) {
        long x = seed;
        for (int i = 0; i < 4; i++) {
            x += 0x9E3779B97F4A7C15L;
            long z = x;
            z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
            z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
            s[i] = z ^ (z >>> 31);
        }
    }

    /** A seed derived from several keys (splitmix64's finaliser after each), for streams keyed by position. */
    public static long mix(long... keys) {
        long h = 0x6A09E667F3BCC909L;
        for (long k : keys) h = mixStep(h, k);
        return h;
    }

    /** {@link #mix} of two keys, without the varargs array (called once per block of a dropout mask). */
    static long mix2(long k0, long k1) {
        return mixStep(mixStep(0x6A09E667F3BCC909L, k0), k1);
    }

    private static long mixStep(long h, long k) {
        long z = (h ^ k) + 0x9E3779B97F4A7C15L;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    public long[] state() {
        return s.clone();
    }

    public void setState(long[] state) {
        if (state.length != 4) throw new IllegalArgumentException("generator state has 4 longs, got " + state.length);
        if ((state[0] | state[1] | state[2] | state[3]) == 0)
            throw new IllegalArgumentException("generator state must not be all zero");
        System.arraycopy(state, 0, s, 0, 4);
    }

    public long nextLong() {
        long result = Long.rotateLeft(s[1] * 5, 7) * 9;
        long t = s[1] << 17;
        s[2] ^= s[0];
        s[3] ^= s[1];
        s[1] ^= s[2];
        s[0] ^= s[3];
        s[2] ^= t;
        s[3] = Long.rotateLeft(s[3], 45);
        return result;
    }

    /** Uniform in [0, 1) with 24 random bits, exactly representable as a float. */
    public float nextFloat() {
        return (nextLong() >>> 40) * 0x1.0p-24f;
    }

    /** Uniform in [0, 1) with 53 random bits. */
    public double nextDouble() {
        return (nextLong() >>> 11) * 0x1.0p-53;
    }

    /** Uniform integer in [0, bound). */
    public int nextInt(int bound) {
        if (bound <= 0) throw new IllegalArgumentException("bound must be positive, got " + bound);
        // Lemire's multiply-shift with rejection: unbiased
        long m = (nextLong() >>> 32) * bound;
        long l = m & 0xFFFFFFFFL;
        if (l < bound) {
            long t = (0x100000000L - bound) % bound;
            while (l < t) {
                m = (nextLong() >>> 32) * bound;
                l = m & 0xFFFFFFFFL;
            }
        }
        return (int) (m >>> 32);
    }

    private static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT;

    /** {@code out[i] ~ U[low, high)}. */
    public void fillUniform(MemorySegment out, long off, long n, float low, float high) {
        Check.floats(out, off, n, "uniform fill");
        float span = high - low;
        // through a heap block: element by element, a segment is written through a var handle, which the
        // interpreter runs slowly; a model's initialisation runs here before anything is compiled (building
        // the MNIST model took 56-62 ms that way, 45-46 through the block)
        float[] buf = new float[(int) Math.min(n, FILL_BLOCK)];
        for (long i = 0; i < n; i += buf.length) {
            int len = (int) Math.min(buf.length, n - i);
            for (int j = 0; j < len; j++) buf[j] = low + span * nextFloat();
            MemorySegment.copy(buf, 0, out, F, (off + i) * Float.BYTES, len);
        }
    }

    /** Floats a fill writes to the heap before copying them out. */
    private static final int FILL_BLOCK = 1 << 12;

    /** {@code out[i] ~ N(mean, std^2)} by the Box-Muller transform, both values of each pair used. */
    public void fillNormal(MemorySegment out, long off, long n, float mean, float std) {
        Check.floats(out, off, n, "normal fill");
        float[] buf = new float[(int) Math.min(n, FILL_BLOCK)]; // as fillUniform's (FILL_BLOCK is even)
        for (long i = 0; i < n; i += buf.length) {
            int len = (int) Math.min(buf.length, n - i);
            for (int j = 0; j < len; j += 2) {
                double u1 = 1.0 - nextDouble(); // (0, 1]: log is finite
                double u2 = nextDouble();
                double r = Math.sqrt(-2.0 * Math.log(u1));
                buf[j] = (float) (mean + std * r * Math.cos(2 * Math.PI * u2));
                if (j + 1 < len) buf[j + 1] = (float) (mean + std * r * Math.sin(2 * Math.PI * u2));
            }
            MemorySegment.copy(buf, 0, out, F, (off + i) * Float.BYTES, len);
        }
    }

    /** Values of a dropout mask drawn from one derived stream; a mask of more than one block fills on the pool. */
    static final int MASK_BLOCK = 1 << 14;

    /**
     * Dropout mask: {@code out[i] = U[0,1) < p ? 0 : scale} (PyTorch keeps each element with probability
     * 1-p and scales kept ones by 1/(1-p)). The mask takes one value of this stream and derives a stream per
     * block of {@value #MASK_BLOCK} values from it and the block's index, each long giving two 24-bit
     * uniforms: the blocks fill on any thread with the same bits. (Drawn one after another from this
     * stream, a million values took 2.97 ms on one or two threads; blocked, 1.96 on one and 1.01 on two.
     * The GPT step's nine dropouts, mask and multiply: 29.6 -> 17.9 ms at batch 64 on two threads.)
     */
    public void fillDropoutMask(MemorySegment out, long off, long n, float p, float scale) {
        Check.floats(out, off, n, "dropout mask");
        long base = nextLong();
        int blocks = Math.toIntExact((n + MASK_BLOCK - 1) / MASK_BLOCK);
        Parallel.RangeBody body = (from, to) -> {
            Rng r = new Rng(0);
            for (int b = from; b < to; b++) {
                r.seed(mix2(base, b));
                long lo = (long) b * MASK_BLOCK;
                r.maskRun(out, off + lo, Math.min(MASK_BLOCK, n - lo), p, scale);
            }
        };
        if (blocks > 1) Parallel.forRange(blocks, 1, body);
        else body.run(0, blocks);
    }

    /**
     * Dropout applied without a mask in memory: {@code out[i] = x[i]·scale} where element i is kept, 0
     * elsewhere, the decision a function of ({@code seed}, i) alone ({@link #keeps}), so the backward
     * regenerates it ({@code x} the upstream gradient) and no mask tensor is written or read. Element i
     * of block {@code i / MASK_BLOCK} is kept when the 32-bit hash of the block's key and i's place in
     * it has its top 24 bits at or above {@code p·2^24}; blocks run on the pool, each decided a vector at a
     * time with integer arithmetic, so the bits do not depend on the thread count or the vector width.
     * {@code out} may be {@code x}.
     */
    public static void dropout(
            long seed, MemorySegment x, long xOff, MemorySegment out, long outOff, long n, float p, float scale) {
        Check.floats(x, xOff, n, "dropout input");
        Check.floats(out, outOff, n, "dropout output");
        int threshold = keepThreshold(p);
        int blocks = Math.toIntExact((n + MASK_BLOCK - 1) / MASK_BLOCK);
        Parallel.RangeBody body = (from, to) -> {
            for (int b = from; b < to; b++) {
                long lo = (long) b * MASK_BLOCK;
                int len = (int) Math.min(MASK_BLOCK, n - lo), key = (int) mix2(seed, b);
                dropoutSpan(key, threshold, scale, x, xOff + lo, out, outOff + lo, len);
            }
        };
        if (blocks > 1) Parallel.forRange(blocks, 1, body);
        else body.run(0, blocks);
    }

    /**
     * {@code out[j] = x[j]·scale} where {@link #keeps}{@code (key, j, threshold)}, 0 elsewhere, for j &lt; len:
     * whole vectors, then the tail by the same rule.
     */
    static void dropoutSpan(
            int key, int threshold, float scale, MemorySegment x, long xOff, MemorySegment out, long outOff, int len) {
        int j = Simd.VECTOR_AVAILABLE ? VectorRng.dropoutRun(x, xOff, out, outOff, len, key, threshold, scale) : 0;
        for (; j < len; j++)
            out.setAtIndex(F, outOff + j, keeps(key, j, threshold) ? x.getAtIndex(F, xOff + j) * scale : 0f);
    }

    /** {@link #dropoutSpan} over heap rows. */
    static void dropoutSpan(
            int key, int threshold, float scale, float[] x, int xOff, float[] out, int outOff, int len) {
        int j = Simd.VECTOR_AVAILABLE ? VectorRng.dropoutRun(x, xOff, out, outOff, len, key, threshold, scale) : 0;
        for (; j < len; j++) out[outOff + j] = keeps(key, j, threshold) ? x[xOff + j] * scale : 0f;
    }

    /** Whether {@link #dropout} keeps element i of block b: {@code keeps((int) mix2(seed, b), i - b·MASK_BLOCK, threshold)}. */
    public static boolean keeps(int key, int j, int threshold) {
        return (mix32(key + j * GOLDEN32) >>> 8) >= threshold;
    }

    /** The 32-bit golden ratio: consecutive elements' hash inputs are this far apart. */
    static final int GOLDEN32 = 0x9E3779B9;

    /** murmur3's 32-bit finaliser (a bijection whose every output bit depends on every input bit). */
    static int mix32(int h) {
        h = (h ^ (h >>> 16)) * 0x85EBCA6B;
        h = (h ^ (h >>> 13)) * 0xC2B2AE35;
        return h ^ (h >>> 16);
    }

    /** A 24-bit hash at or above this keeps its element: p·2^24 rounded up (2^24, nothing kept, at p = 1). */
    public static int keepThreshold(float p) {
        return (int) Math.ceil(p * 0x1p24);
    }

    /**
     * A dropout mask drawn value by value from this stream (one {@link #nextFloat} each): the masks of a
     * generator keyed by sample, whose short per-sample streams data-parallel replicas must reproduce.
     */
    public void fillDropoutMaskInOrder(MemorySegment out, long off, long n, float p, float scale) {
        Check.floats(out, off, n, "dropout mask");
        for (long i = 0; i < n; i++) out.setAtIndex(F, off + i, nextFloat() < p ? 0f : scale);
    }

    /**
     * {@link #nextLong}'s steps with the state in locals (through the array a million values took 2.36 ms on
     * one thread, in locals 1.96), two values from each long.
     */
    private void maskRun(MemorySegment out, long off, long n, float p, float scale) {
        long s0 = s[0], s1 = s[1], s2 = s[2], s3 = s[3];
        long i = 0;
        for (; i + 1 < n; i += 2) {
            long x = Long.rotateLeft(s1 * 5, 7) * 9;
            long t = s1 << 17;
            s2 ^= s0;
            s3 ^= s1;
            s1 ^= s2;
            s0 ^= s3;
            s2 ^= t;
            s3 = Long.rotateLeft(s3, 45);
            float u0 = (x >>> 40) * 0x1.0p-24f, u1 = ((x >>> 8) & 0xFFFFFF) * 0x1.0p-24f;
            out.setAtIndex(F, off + i, u0 < p ? 0f : scale);
            out.setAtIndex(F, off + i + 1, u1 < p ? 0f : scale);
        }
        s[0] = s0;
        s[1] = s1;
        s[2] = s2;
        s[3] = s3;
        if (i < n) out.setAtIndex(F, off + i, nextFloat() < p ? 0f : scale);
    }
}
