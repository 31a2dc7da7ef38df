package vectorgrad.kernels;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;

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
     * not null, the running statistics move by {@code momentum} toward the batch's (unbiased variance). With
     * {@code relu}, {@code y = relu(that + residual)}, the residual (x's shape) added when not null; a
     * residual needs the ReLU.
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
            boolean relu,
            MemorySegment residual) {
        checkForward(n, c, hw, x, y, saveMean, saveInvstd);
        checkResidual(n, c, hw, relu, residual);
        long m = (long) n * hw;
        int block = channelBlock(n, hw, c);
        Parallel.forRange(c, grain(m), (from, to) -> {
            int k = Math.min(block, to - from);
            double[] s = new double[k], q = new double[k];
            float[] mean = new float[k], a = new float[k], shift = new float[k];
            for (int c0 = from; c0 < to; c0 += block) {
                int c1 = Math.min(to, c0 + block);
                Arrays.fill(s, 0);
                Arrays.fill(q, 0);
                for (int b = 0; b < n; b++)
                    for (int ch = c0; ch < c1; ch++) s[ch - c0] += runSum(x, ((long) b * c + ch) * hw, hw);
                for (int ch = c0; ch < c1; ch++) mean[ch - c0] = (float) (s[ch - c0] / m);
                for (int b = 0; b < n; b++)
                    for (int ch = c0; ch < c1; ch++)
                        q[ch - c0] += runSquaredDeviation(x, ((long) b * c + ch) * hw, hw, mean[ch - c0]);
                for (int ch = c0; ch < c1; ch++) {
                    double var = q[ch - c0] / m;
                    float invstd = (float) (1 / Math.sqrt(var + eps));
                    saveMean.setAtIndex(F, ch, mean[ch - c0]);
                    saveInvstd.setAtIndex(F, ch, invstd);
                    a[ch - c0] = scale(weight, ch, invstd);
                    shift[ch - c0] = shift(bias, ch, mean[ch - c0], a[ch - c0]);
                    if (runMean != null) {
                        double unbiased = m > 1 ? q[ch - c0] / (m - 1) : Double.NaN;
                        runMean.setAtIndex(
                                F, ch, (1 - momentum) * runMean.getAtIndex(F, ch) + momentum * mean[ch - c0]);
                        runVar.setAtIndex(
                                F, ch, (float) ((1 - momentum) * runVar.getAtIndex(F, ch) + momentum * unbiased));
                    }
                }
                normalizeChannels(n, c, hw, c0, c1, x, a, shift, relu, residual, y);
            }
        });
    }

    /**
     * Floats of the channels a block of {@link #channelBlock} holds at the most: 8 MB, a quarter of the L3 of
     * the machines measured, so a block's later passes find it there (block sizes measured in
     * docs/PERFORMANCE.md).
     */
    private static final int BLOCK_FLOATS = 1 << 21;

    /**
     * Channels the passes go through together, image by image: as many of {@code channels} as
     * {@link #BLOCK_FLOATS} holds, at least one. A channel's planes lie c·hw apart; a block's planes of one image
     * lie next to each other, so a pass reads memory in order (one channel at a time read a plane of 49 floats
     * every 25 KB in the ResNet's last stage). Each channel's sums still go image by image, so the block does
     * not change the bits.
     */
    private static int channelBlock(int n, int hw, int channels) {
        return (int) Math.max(1, Math.min(channels, BLOCK_FLOATS / Math.max(1L, (long) n * hw)));
    }

    private static void checkResidual(int n, int c, int hw, boolean relu, MemorySegment residual) {
        if (residual == null) return;
        if (!relu) throw new IllegalArgumentException("batch_norm: a residual is added only before a ReLU");
        check(n, c, hw, residual, "batch_norm residual");
    }

    /**
     * {@code y = (x - mean)·invstd·w + b} over channels [c0, c1), image by image, as one affine map
     * {@code x·a + shift} per plane ({@code a[ch - c0]}, {@code shift[ch - c0]}: {@link #scale}, {@link #shift}),
     * then the residual's add and the ReLU when {@code relu}.
     */
    private static void normalizeChannels(
            int n,
            int c,
            int hw,
            int c0,
            int c1,
            MemorySegment x,
            float[] a,
            float[] shift,
            boolean relu,
            MemorySegment residual,
            MemorySegment y) {
        for (int b = 0; b < n; b++) {
            for (int ch = c0; ch < c1; ch++) {
                long off = ((long) b * c + ch) * hw;
                if (relu) Elementwise.affineRelu(x, residual, off, a[ch - c0], shift[ch - c0], y, hw);
                else Elementwise.affine(x, off, a[ch - c0], shift[ch - c0], y, off, hw);
            }
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
     * {@code y = (x - mean)·invstd·w + b}, then, when {@code relu}, the residual's add (if not null) and the
     * ReLU.
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
            MemorySegment residual,
            MemorySegment y) {
        checkForward(n, c, hw, x, y, mean, invstd);
        checkResidual(n, c, hw, relu, residual);
        int block = channelBlock(n, hw, c);
        Parallel.forRange(c, grain((long) n * hw), (from, to) -> {
            int k = Math.min(block, to - from);
            float[] a = new float[k], shift = new float[k];
            for (int c0 = from; c0 < to; c0 += block) {
                int c1 = Math.min(to, c0 + block);
                for (int ch = c0; ch < c1; ch++) {
                    a[ch - c0] = scale(weight, ch, invstd.getAtIndex(F, ch));
                    shift[ch - c0] = shift(bias, ch, mean.getAtIndex(F, ch), a[ch - c0]);
                }
                normalizeChannels(n, c, hw, c0, c1, x, a, shift, relu, residual, y);
            }
        });
    }

    /**
     * Backward. With {@code batchStats} the mean and invstd are the batch's (training): {@code dx =
     * w·invstd·(g - Σg/M - x̂·Σ(g·x̂)/M)}; otherwise they are constants (evaluation): {@code dx =
     * g·w·invstd}. Always {@code dweight = Σ g·x̂}, {@code dbias = Σ g}. Any of dx, dweight, dbias may be
     * null, but dx with {@code relu} and no residual (it holds the masked gradient), and {@code dResidual}
     * must be given with a residual.
     *
     * <p>With {@code relu} the forward's output went through a ReLU and {@code dy} is the gradient of the
     * ReLU's output: g is dy where the normalised output ({@code x·a + shift}, plus the residual when there is
     * one, recomputed with the forward's bits) is positive, zero elsewhere, written first into dx — or, with a
     * residual, into {@code dResidual}, which is the residual's gradient (a channel's planes stay in the cache
     * for the passes that follow). The same bits as the ReLU's backward (and the add's) followed by this one.
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
            MemorySegment residual,
            MemorySegment dy,
            MemorySegment dx,
            MemorySegment dweight,
            MemorySegment dbias,
            MemorySegment dResidual) {
        check(n, c, hw, x, "batch_norm input");
        check(n, c, hw, dy, "batch_norm grad output");
        checkResidual(n, c, hw, relu, residual);
        MemorySegment masked = residual != null ? dResidual : relu ? dx : null;
        if (relu && masked == null)
            throw new IllegalArgumentException("batch_norm with relu: the "
                    + (residual != null ? "residual's" : "input") + " gradient is needed to hold the masked one");
        if (dx != null) check(n, c, hw, dx, "batch_norm grad input");
        if (masked != null) check(n, c, hw, masked, "batch_norm masked gradient");
        long m = (long) n * hw;
        MemorySegment g = relu ? masked : dy;
        int block = channelBlock(n, hw, c);
        Parallel.forRange(c, grain(m), (from, to) -> {
            int len = Math.min(block, to - from);
            float[] mu = new float[len], is = new float[len], ay = new float[len], sy = new float[len];
            float[] bx = new float[len], k = new float[len];
            double[] sg = new double[len], sgx = new double[len];
            for (int c0 = from; c0 < to; c0 += block) {
                int c1 = Math.min(to, c0 + block);
                for (int ch = c0; ch < c1; ch++) {
                    int i = ch - c0;
                    mu[i] = mean.getAtIndex(F, ch);
                    is[i] = invstd.getAtIndex(F, ch);
                    ay[i] = scale(weight, ch, is[i]);
                    sy[i] = shift(bias, ch, mu[i], ay[i]);
                    sg[i] = 0;
                    sgx[i] = 0;
                }
                for (int b = 0; b < n; b++) {
                    for (int ch = c0; ch < c1; ch++) {
                        int i = ch - c0;
                        long off = ((long) b * c + ch) * hw;
                        if (relu) Elementwise.reluGradientOfAffine(dy, x, residual, off, ay[i], sy[i], masked, hw);
                        sg[i] += runSum(g, off, hw);
                        sgx[i] += runDotDeviation(g, x, off, hw, mu[i]);
                    }
                }
                for (int ch = c0; ch < c1; ch++) {
                    int i = ch - c0;
                    if (dbias != null) dbias.setAtIndex(F, ch, (float) sg[i]);
                    if (dweight != null) dweight.setAtIndex(F, ch, (float) (sgx[i] * is[i]));
                    // dx = g·a + x·bx + k
                    bx[i] = batchStats ? (float) (-ay[i] * (double) is[i] * is[i] * sgx[i] / m) : 0f;
                    k[i] = batchStats ? (float) (-ay[i] * sg[i] / m - bx[i] * (double) mu[i]) : 0f;
                }
                if (dx == null) continue;
                for (int b = 0; b < n; b++) {
                    for (int ch = c0; ch < c1; ch++) {
                        int i = ch - c0;
                        runCombine(g, x, ((long) b * c + ch) * hw, hw, ay[i], bx[i], k[i], dx);
                    }
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
