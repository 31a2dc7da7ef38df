package vectorgrad.kernels;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Layer normalisation over {@code [rows, d]} float memory: each row normalised by its own mean and biased
 * variance, then scaled and shifted element-wise by {@code weight[d]} and {@code bias[d]} (either may be
 * null). Forward: one pass for the mean, one for the variance, one to normalise; backward: one pass for
 * the row's two sums and one for the input gradient, the weight and bias gradients summed in the same
 * pass.
 *
 * <p>Rows run in parallel in fixed chunks of {@link #CHUNK} rows; the weight and bias gradients are summed
 * per chunk and the chunks added in order, so results do not depend on the thread count.
 */
public final class LayerNorm {
    private LayerNorm() {}

    private static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT;
    private static final boolean V = Simd.VECTOR_AVAILABLE;
    /** Rows per chunk of the backward's weight-gradient partial sums. */
    static final int CHUNK = 32;

    private static int grain(int d) {
        return Math.max(1, (1 << 15) / Math.max(1, d));
    }

    private static void check(
            int rows, int d, MemorySegment x, MemorySegment y, MemorySegment mean, MemorySegment invstd) {
        if (rows < 0 || d <= 0) throw new IllegalArgumentException("layer_norm: bad geometry rows=" + rows + " d=" + d);
        Check.floats(x, 0, (long) rows * d, "layer_norm input");
        Check.floats(y, 0, (long) rows * d, "layer_norm output");
        Check.floats(mean, 0, rows, "layer_norm mean");
        Check.floats(invstd, 0, rows, "layer_norm invstd");
    }

    /**
     * {@code y = (x - mean)·invstd·w + b} per row, with the row's mean and {@code invstd =
     * 1/sqrt(var + eps)} (biased variance) saved for the backward.
     */
    public static void forward(
            int rows,
            int d,
            MemorySegment x,
            MemorySegment weight,
            MemorySegment bias,
            float eps,
            MemorySegment y,
            MemorySegment mean,
            MemorySegment invstd) {
        check(rows, d, x, y, mean, invstd);
        if (weight != null) Check.floats(weight, 0, d, "layer_norm weight");
        if (bias != null) Check.floats(bias, 0, d, "layer_norm bias");
        Parallel.forRange(rows, grain(d), (from, to) -> {
            if (ROWS_TOGETHER && d % G == 0) {
                for (int r0 = from; r0 < to; r0 += G)
                    forwardRows(r0, Math.min(G, to - r0), d, x, weight, bias, eps, y, mean, invstd);
                return;
            }
            for (int r = from; r < to; r++) {
                long off = (long) r * d;
                float mu = (float) (BatchNorm.runSum(x, off, d) / d);
                double var = BatchNorm.runSquaredDeviation(x, off, d, mu) / d;
                float is = (float) (1 / Math.sqrt(var + eps));
                mean.setAtIndex(F, r, mu);
                invstd.setAtIndex(F, r, is);
                int i = V && d >= VectorNorm.LANES ? VectorNorm.normalizeRow(x, off, d, mu, is, weight, bias, y) : 0;
                for (; i < d; i++) {
                    float v = (x.getAtIndex(F, off + i) - mu) * is;
                    if (weight != null) v *= weight.getAtIndex(F, i);
                    if (bias != null) v += bias.getAtIndex(F, i);
                    y.setAtIndex(F, off + i, v);
                }
            }
        });
    }

    /**
     * {@link #forward} of rows [r0, r0 + n), n at most {@link #G}, each step for all rows before the next (the
     * rows' sums folded side by side by {@link VectorKernels#rowSums}), so that one row's chain of dependent
     * steps (sum, fold, mean, squared deviations, fold, square root) overlaps the others': the same
     * additions in the same order as a row at a time, so the same bits. [4096, 128] on one thread, paired
     * against the row-at-a-time form (bench/scripts/PairedLayerNorm.java): 0.92 of its time in L3, 0.85 from
     * memory. (The backward's passes grouped so were no faster from L3 and 40 % slower from memory.)
     */
    private static void forwardRows(
            int r0,
            int n,
            int d,
            MemorySegment x,
            MemorySegment weight,
            MemorySegment bias,
            float eps,
            MemorySegment y,
            MemorySegment mean,
            MemorySegment invstd) {
        Rows sc = ROWS.get();
        float[] lanes = sc.lanes, sums = sc.sums, mu = sc.mu;
        for (int r = 0; r < n; r++) VectorNorm.sumLanesOf(x, (long) (r0 + r) * d, d, lanes, r * G);
        VectorKernels.rowSums(lanes, n, sums);
        for (int r = 0; r < n; r++) mu[r] = (float) ((double) sums[r] / d);
        for (int r = 0; r < n; r++) VectorNorm.squaredDeviationLanesOf(x, (long) (r0 + r) * d, d, mu[r], lanes, r * G);
        VectorKernels.rowSums(lanes, n, sums);
        for (int r = 0; r < n; r++) {
            long off = (long) (r0 + r) * d;
            double var = (double) sums[r] / d;
            float is = (float) (1 / Math.sqrt(var + eps));
            mean.setAtIndex(F, r0 + r, mu[r]);
            invstd.setAtIndex(F, r0 + r, is);
            VectorNorm.normalizeRow(x, off, d, mu[r], is, weight, bias, y);
        }
    }

    /**
     * Whether rows go through the vector passes {@link #G} at a time (rows of whole vectors only): the
     * lane folds need every vector operation compiled ({@link Simd#FULL_FLOAT_VECTORS}).
     */
    private static final boolean ROWS_TOGETHER = V && Simd.FULL_FLOAT_VECTORS;
    /** Rows a group: a vector's lanes, one row's partial sums a vector ({@link VectorKernels#rowSums}). */
    private static final int G = Simd.floatLanes();

    /** A thread's row vectors and sums for the grouped passes. */
    private static final class Rows {
        final float[] lanes = new float[G * G], sums = new float[G], mu = new float[G];
    }

    private static final ThreadLocal<Rows> ROWS = ThreadLocal.withInitial(Rows::new);
    /** A thread's two row sums from {@link VectorNorm#layerNormRowSums}. */
    private static final ThreadLocal<float[]> SUMS = ThreadLocal.withInitial(() -> new float[2]);

    /**
     * Backward: with {@code x̂ = (x - mean)·invstd} and {@code ĝ = g·w}, {@code dx = invstd·(ĝ - mean(ĝ) -
     * x̂·mean(ĝ·x̂))} per row; {@code dweight = Σ_rows g·x̂}, {@code dbias = Σ_rows g}. Any of dx, dweight,
     * dbias may be null.
     */
    public static void backward(
            int rows,
            int d,
            MemorySegment x,
            MemorySegment weight,
            MemorySegment mean,
            MemorySegment invstd,
            MemorySegment dy,
            MemorySegment dx,
            MemorySegment dweight,
            MemorySegment dbias) {
        check(rows, d, x, dy, mean, invstd);
        if (dx != null) Check.floats(dx, 0, (long) rows * d, "layer_norm grad input");
        boolean params = dweight != null || dbias != null;
        int chunks = (rows + CHUNK - 1) / CHUNK;
        float[] partW = params ? new float[chunks * d] : null, partB = params ? new float[chunks * d] : null;
        Parallel.forRange(chunks, Math.max(1, grain(d) / CHUNK), (from, to) -> {
            float[] sums = SUMS.get();
            for (int c = from; c < to; c++) {
                int r1 = Math.min(rows, (c + 1) * CHUNK);
                for (int r = c * CHUNK; r < r1; r++) {
                    long off = (long) r * d;
                    float mu = mean.getAtIndex(F, r), is = invstd.getAtIndex(F, r);
                    // s1 = Σ ĝ, s2 = Σ ĝ·(x - mean)
                    double s1, s2;
                    if (dx != null && params && weight != null && V && d % VectorNorm.LANES == 0) {
                        // the weight gradients' sums and s1, s2 in one pass over the row
                        VectorNorm.layerNormRowSums(dy, weight, x, off, d, mu, is, partW, partB, c * d, sums);
                        s1 = sums[0];
                        s2 = sums[1];
                    } else {
                        if (params) accumulateRow(x, dy, off, d, mu, is, partW, partB, c * d);
                        if (dx == null) continue;
                        if (V && d >= VectorNorm.LANES) {
                            s1 = VectorNorm.weightedSum(dy, weight, off, d);
                            s2 = VectorNorm.weightedDotDeviation(dy, weight, x, off, d, mu);
                        } else {
                            float t1 = 0, t2 = 0;
                            for (int i = 0; i < d; i++) {
                                float gh = dy.getAtIndex(F, off + i) * (weight != null ? weight.getAtIndex(F, i) : 1f);
                                t1 += gh;
                                t2 += gh * (x.getAtIndex(F, off + i) - mu);
                            }
                            s1 = t1;
                            s2 = t2;
                        }
                    }
                    float a = (float) (-s1 / d * is), bx = (float) (-s2 / d * is * is * is);
                    // dx = is·ĝ + (x - mean)·bx + a
                    int i = V && d >= VectorNorm.LANES
                            ? VectorNorm.layerNormGrad(dy, x, off, d, weight, is, mu, bx, a, dx)
                            : 0;
                    for (; i < d; i++) {
                        float gh = dy.getAtIndex(F, off + i) * (weight != null ? weight.getAtIndex(F, i) : 1f);
                        dx.setAtIndex(F, off + i, gh * is + (x.getAtIndex(F, off + i) - mu) * bx + a);
                    }
                }
            }
        });
        if (!params) return;
        for (int i = 0; i < d; i++) {
            float sw = 0, sb = 0;
            for (int c = 0; c < chunks; c++) {
                sw += partW[c * d + i];
                sb += partB[c * d + i];
            }
            if (dweight != null) dweight.setAtIndex(F, i, sw);
            if (dbias != null) dbias.setAtIndex(F, i, sb);
        }
    }

    /** {@code partW[at + i] += g·x̂}, {@code partB[at + i] += g} over one row. */
    private static void accumulateRow(
            MemorySegment x,
            MemorySegment dy,
            long off,
            int d,
            float mu,
            float is,
            float[] partW,
            float[] partB,
            int at) {
        int i = V && d >= VectorNorm.LANES ? VectorNorm.accumulateRow(x, dy, off, d, mu, is, partW, partB, at) : 0;
        for (; i < d; i++) {
            float g = dy.getAtIndex(F, off + i);
            partW[at + i] += g * ((x.getAtIndex(F, off + i) - mu) * is);
            partB[at + i] += g;
        }
    }
}
