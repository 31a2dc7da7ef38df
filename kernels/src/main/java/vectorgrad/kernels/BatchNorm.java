package vectorgrad.kernels;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Batch normalisation over {@code [n, c, hw]} float memory (hw = 1 for {@code [n, c]}), fused per
 * channel: one pass for the mean, one for the variance, one to normalise, scale and shift; the backward
 * is one pass for both sums and one for the input gradient.
 *
 * <p>Each channel is computed by one thread from start to end, in a fixed order, so results do not depend
 * on the thread count. Channel sums are accumulated in double (a plane of floats summed in vector lanes,
 * the planes added in double), so a large batch does not lose the mean to rounding.
 *
 * <p>{@code weight} and {@code bias} may be null (no affine transform). The variance used to normalise
 * is the biased one; the running variance is updated with the unbiased one, as PyTorch does.
 */
public final class BatchNorm {
    private BatchNorm() {}

    private static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT;
    private static final boolean V = Simd.VECTOR_AVAILABLE;

    /** Channels per task: at least 2^16 elements of work each. */
    private static int grain(long perChannel) {
        return (int) Math.max(1, (1 << 16) / Math.max(1, perChannel));
    }

    private static void check(int n, int c, int hw, MemorySegment x, String what) {
        if (n < 0 || c <= 0 || hw <= 0)
            throw new IllegalArgumentException("batch_norm: bad geometry n=" + n + " c=" + c + " hw=" + hw);
        Check.floats(x, 0, (long) n * c * hw, what);
    }

    private static void checkForward(
            int n, int c, int hw, MemorySegment x, MemorySegment y, MemorySegment mean, MemorySegment invstd) {
        check(n, c, hw, x, "batch_norm input");
        check(n, c, hw, y, "batch_norm output");
        Check.floats(mean, 0, c, "batch_norm mean");
        Check.floats(invstd, 0, c, "batch_norm invstd");
    }

    /**
     * Training forward: per channel, the batch mean and biased variance; {@code y = (x - mean)·invstd·w + b};
     * {@code saveMean}/{@code saveInvstd} (length c) keep what the backward needs. When {@code runMean} is
     * not null, the running statistics move by {@code momentum} toward the batch's (unbiased variance).
     */
    public static void forwardTraining(
            int n,
            int c,
            int hw,
            MemorySegment x,
            MemorySegment weight,
            MemorySegment bias,
            float eps,
            MemorySegment y,
            MemorySegment saveMean,
            MemorySegment saveInvstd,
            MemorySegment runMean,
            MemorySegment runVar,
            float momentum,
            boolean relu) {
        checkForward(n, c, hw, x, y, saveMean, saveInvstd);
        long m = (long) n * hw;
        Parallel.forRange(c, grain(m), (from, to) -> {
            for (int ch = from; ch < to; ch++) {
                double s = 0;
                for (int b = 0; b < n; b++) s += runSum(x, ((long) b * c + ch) * hw, hw);
                float mean = (float) (s / m);
                double q = 0;
                for (int b = 0; b < n; b++) q += runSquaredDeviation(x, ((long) b * c + ch) * hw, hw, mean);
                double var = q / m;
                float invstd = (float) (1 / Math.sqrt(var + eps));
                saveMean.setAtIndex(F, ch, mean);
                saveInvstd.setAtIndex(F, ch, invstd);
                if (runMean != null) {
                    double unbiased = m > 1 ? q / (m - 1) : Double.NaN;
                    runMean.setAtIndex(F, ch, (1 - momentum) * runMean.getAtIndex(F, ch) + momentum * mean);
                    runVar.setAtIndex(F, ch, (float) ((1 - momentum) * runVar.getAtIndex(F, ch) + momentum * unbiased));
                }
                normalizeChannel(n, c, hw, ch, x, weight, bias, mean, invstd, relu, y);
            }
        });
    }

    /**
     * {@code y = (x - mean)·invstd·w + b} over one channel, as one affine map {@code x·a + shift} per plane
     * ({@link #scale}, {@link #shift}), then the ReLU when {@code relu}.
     */
    private static void normalizeChannel(
            int n,
            int c,
            int hw,
            int ch,
            MemorySegment x,
            MemorySegment weight,
            MemorySegment bias,
            float mean,
            float invstd,
            boolean relu,
            MemorySegment y) {
        float a = scale(weight, ch, invstd), shift = shift(bias, ch, mean, a);
        for (int b = 0; b < n; b++) {
            long off = ((long) b * c + ch) * hw;
            if (relu) Elementwise.affineRelu(x, off, a, shift, y, off, hw);
            else Elementwise.affine(x, off, a, shift, y, off, hw);
        }
    }

    /** The factor of channel ch's affine map: {@code invstd·w}. */
    private static float scale(MemorySegment weight, int ch, float invstd) {
        return weight != null ? weight.getAtIndex(F, ch) * invstd : invstd;
    }

    /** The constant of channel ch's affine map: {@code b - mean·a}. */
    private static float shift(MemorySegment bias, int ch, float mean, float a) {
        return (bias != null ? bias.getAtIndex(F, ch) : 0f) - mean * a;
    }

    /**
     * The statistics evaluation normalises by, in the form the backward takes: {@code mean = runMean},
     * {@code invstd = 1/sqrt(runVar + eps)}.
     */
    public static void evalStatistics(
            int c, MemorySegment runMean, MemorySegment runVar, float eps, MemorySegment mean, MemorySegment invstd) {
        Check.floats(runMean, 0, c, "batch_norm running_mean");
        Check.floats(runVar, 0, c, "batch_norm running_var");
        Check.floats(mean, 0, c, "batch_norm mean");
        Check.floats(invstd, 0, c, "batch_norm invstd");
        for (int ch = 0; ch < c; ch++) {
            mean.setAtIndex(F, ch, runMean.getAtIndex(F, ch));
            invstd.setAtIndex(F, ch, (float) (1 / Math.sqrt(runVar.getAtIndex(F, ch) + (double) eps)));
        }
    }

    /**
     * Forward with given statistics (evaluation: from {@link #evalStatistics}):
     * {@code y = (x - mean)·invstd·w + b}, then the ReLU when {@code relu}.
     */
    public static void forwardWithStatistics(
            int n,
            int c,
            int hw,
            MemorySegment x,
            MemorySegment weight,
            MemorySegment bias,
            MemorySegment mean,
            MemorySegment invstd,
            boolean relu,
            MemorySegment y) {
        checkForward(n, c, hw, x, y, mean, invstd);
        Parallel.forRange(c, grain((long) n * hw), (from, to) -> {
            for (int ch = from; ch < to; ch++) {
                float mu = mean.getAtIndex(F, ch), is = invstd.getAtIndex(F, ch);
                normalizeChannel(n, c, hw, ch, x, weight, bias, mu, is, relu, y);
            }
        });
    }

    /**
     * Backward. With {@code batchStats} the mean and invstd are the batch's (training): {@code dx =
     * w·invstd·(g - Σg/M - x̂·Σ(g·x̂)/M)}; otherwise they are constants (evaluation): {@code dx =
     * g·w·invstd}. Always {@code dweight = Σ g·x̂}, {@code dbias = Σ g}. Any of dx, dweight, dbias may be
     * null, but for {@code relu}.
     *
     * <p>With {@code relu} the forward's output went through a ReLU and {@code dy} is the gradient of the
     * ReLU's output: g is dy where the normalised output ({@code x·a + shift}, recomputed with the forward's
     * bits) is positive, zero elsewhere, written into dx first (a channel's planes stay in the cache for the
     * passes that follow). The same bits as the ReLU's backward followed by this one.
     */
    public static void backward(
            int n,
            int c,
            int hw,
            MemorySegment x,
            MemorySegment weight,
            MemorySegment bias,
            MemorySegment mean,
            MemorySegment invstd,
            boolean batchStats,
            boolean relu,
            MemorySegment dy,
            MemorySegment dx,
            MemorySegment dweight,
            MemorySegment dbias) {
        check(n, c, hw, x, "batch_norm input");
        check(n, c, hw, dy, "batch_norm grad output");
        if (relu && dx == null)
            throw new IllegalArgumentException(
                    "batch_norm with relu: the input gradient is needed to hold the masked one");
        if (dx != null) check(n, c, hw, dx, "batch_norm grad input");
        long m = (long) n * hw;
        Parallel.forRange(c, grain(m), (from, to) -> {
            for (int ch = from; ch < to; ch++) {
                float mu = mean.getAtIndex(F, ch), is = invstd.getAtIndex(F, ch);
                MemorySegment g = dy;
                if (relu) {
                    float ay = scale(weight, ch, is), sy = shift(bias, ch, mu, ay);
                    for (int b = 0; b < n; b++)
                        Elementwise.reluGradientOfAffine(dy, x, ((long) b * c + ch) * hw, ay, sy, dx, hw);
                    g = dx;
                }
                double sg = 0, sgx = 0;
                for (int b = 0; b < n; b++) {
                    long off = ((long) b * c + ch) * hw;
                    sg += runSum(g, off, hw);
                    sgx += runDotDeviation(g, x, off, hw, mu);
                }
                if (dbias != null) dbias.setAtIndex(F, ch, (float) sg);
                if (dweight != null) dweight.setAtIndex(F, ch, (float) (sgx * is));
                if (dx == null) continue;
                float a = scale(weight, ch, is);
                float bx = batchStats ? (float) (-a * (double) is * is * sgx / m) : 0f;
                float k = batchStats ? (float) (-a * sg / m - bx * (double) mu) : 0f;
                for (int b = 0; b < n; b++) {
                    long off = ((long) b * c + ch) * hw;
                    runCombine(g, x, off, hw, a, bx, k, dx);
                }
            }
        });
    }

    // The run bodies: vector form for hw of a vector or more, scalar otherwise and for tails.

    static double runSum(MemorySegment a, long off, int len) {
        if (V && len >= VectorNorm.LANES) return VectorNorm.sum(a, off, len);
        return sumScalar(a, off, 0, len);
    }

    static double runSquaredDeviation(MemorySegment a, long off, int len, float mean) {
        if (V && len >= VectorNorm.LANES) return VectorNorm.squaredDeviation(a, off, len, mean);
        return squaredDeviationScalar(a, off, 0, len, mean);
    }

    static double runDotDeviation(MemorySegment g, MemorySegment x, long off, int len, float mean) {
        if (V && len >= VectorNorm.LANES) return VectorNorm.dotDeviation(g, x, off, len, mean);
        return dotDeviationScalar(g, x, off, 0, len, mean);
    }

    static void runCombine(
            MemorySegment g, MemorySegment x, long off, int len, float a, float bx, float k, MemorySegment out) {
        int from = V && len >= VectorNorm.LANES ? VectorNorm.combine(g, x, off, len, a, bx, k, out) : 0;
        for (int i = from; i < len; i++) {
            out.setAtIndex(F, off + i, g.getAtIndex(F, off + i) * a + x.getAtIndex(F, off + i) * bx + k);
        }
    }

    static double sumScalar(MemorySegment a, long off, int from, int len) {
        float s = 0;
        for (int i = from; i < len; i++) s += a.getAtIndex(F, off + i);
        return s;
    }

    static double squaredDeviationScalar(MemorySegment a, long off, int from, int len, float mean) {
        float s = 0;
        for (int i = from; i < len; i++) {
            float d = a.getAtIndex(F, off + i) - mean;
            s += d * d;
        }
        return s;
    }

    static double dotDeviationScalar(MemorySegment g, MemorySegment x, long off, int from, int len, float mean) {
        float s = 0;
        for (int i = from; i < len; i++) s += g.getAtIndex(F, off + i) * (x.getAtIndex(F, off + i) - mean);
        return s;
    }
}
