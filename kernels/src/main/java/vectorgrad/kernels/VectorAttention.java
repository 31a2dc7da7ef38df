package vectorgrad.kernels;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Vector bodies of {@link Attention}'s row passes. Those over the heap's padded rows (the exp rows, the
 * maximum, the backward's D and dS) take their last vector whole and masked past the row instead of a
 * scalar tail; the others handle their own scalar tail.
 */
final class VectorAttention {
    private VectorAttention() {}

    private static final VectorSpecies<Float> S = VectorKernels.S;
    private static final int LANES = S.length();
    private static final ByteOrder NO = ByteOrder.nativeOrder();
    private static final java.lang.foreign.ValueLayout.OfFloat F = java.lang.foreign.ValueLayout.JAVA_FLOAT;

    private static FloatVector load(MemorySegment m, long i) {
        return FloatVector.fromMemorySegment(S, m, i * Float.BYTES, NO);
    }

    static float max(MemorySegment a, long off, int n) {
        int upper = n - n % LANES;
        float m = Float.NEGATIVE_INFINITY;
        if (upper > 0) {
            FloatVector v = load(a, off);
            for (int i = LANES; i < upper; i += LANES) v = v.max(load(a, off + i));
            m = v.reduceLanes(VectorOperators.MAX);
        }
        for (int i = upper; i < n; i++) m = Math.max(m, a.getAtIndex(F, off + i));
        return m;
    }

    /**
     * {@code max(a[off..off+n))} over a padded heap row ({@link AttentionHeap#padded}: readable up to the
     * next whole vector): the last vector is read whole, its lanes past n taken as -∞, in place of a scalar
     * tail (a causal row ends anywhere in a vector: on average half a vector of {@code Math.max} calls a row).
     * n must be at least 1.
     */
    static float maxPadded(float[] a, int off, int n) {
        // the last vector first, so that no vector variable starts as a constant: a phi of the -∞ constant
        // and a loaded vector left the loop's vectors boxed (6 MB of heap a forward at T = 128, 32 x 4 heads)
        int last = off + (n - 1) / LANES * LANES;
        FloatVector v = NEG_INF.blend(
                FloatVector.fromArray(S, a, last), IOTA.compare(VectorOperators.LT, (float) (off + n - last)));
        for (int i = off; i < last; i += LANES) v = v.max(FloatVector.fromArray(S, a, i));
        return v.reduceLanes(VectorOperators.MAX);
    }

    /**
     * {@code g[i] ← p[i]·(g[i] - d)} for i < n and 0 from n to the next whole vector, over padded rows (n at
     * least 1): the last vector written whole (the callers zero the row past n anyway).
     */
    static void gradScores(float[] p, float[] g, int off, int n, float d) {
        int last = off + (n - 1) / LANES * LANES;
        for (int i = off; i < last; i += LANES)
            FloatVector.fromArray(S, p, i)
                    .mul(FloatVector.fromArray(S, g, i).sub(d))
                    .intoArray(g, i);
        ZERO.blend(
                        FloatVector.fromArray(S, p, last)
                                .mul(FloatVector.fromArray(S, g, last).sub(d)),
                        IOTA.compare(VectorOperators.LT, (float) (off + n - last)))
                .intoArray(g, last);
    }

    /**
     * The vector of {@code Σ_{j<n} a[off + j]·b[off + j]} over a padded row (n at least 1), to
     * {@code lanes[lanesOff..]} for {@link VectorKernels#rowSums}: the vectors' products summed lane-wise, the last
     * (partial) vector's first, with its products past n taken as 0. The lanes leave through the heap: a
     * vector passed to a reduction that C2 does not inline into the attention backward's block loop is
     * boxed (1.5 MB of heap a backward at T = 128, 32 x 4 heads).
     */
    static void dotLanes(float[] a, float[] b, int off, int n, float[] lanes, int lanesOff) {
        int last = off + (n - 1) / LANES * LANES;
        FloatVector s = ZERO.blend(
                FloatVector.fromArray(S, a, last).mul(FloatVector.fromArray(S, b, last)),
                IOTA.compare(VectorOperators.LT, (float) (off + n - last)));
        for (int i = off; i < last; i += LANES)
            s = s.add(FloatVector.fromArray(S, a, i).mul(FloatVector.fromArray(S, b, i)));
        s.intoArray(lanes, lanesOff);
    }

    static float dot(float[] a, int ao, MemorySegment b, long bo, int n) {
        int upper = n - n % LANES;
        FloatVector s = FloatVector.zero(S);
        for (int i = 0; i < upper; i += LANES)
            s = FloatVector.fromArray(S, a, ao + i).mul(load(b, bo + i)).add(s);
        float t = VectorKernels.sumLanes(s);
        for (int i = upper; i < n; i++) t += a[ao + i] * b.getAtIndex(F, bo + i);
        return t;
    }

    /** {@code y[yo + i] += alpha·x[xo + i]} for i < n. */
    static void axpy(float alpha, MemorySegment x, long xo, float[] y, int yo, int n) {
        int upper = n - n % LANES;
        for (int i = 0; i < upper; i += LANES)
            load(x, xo + i).mul(alpha).add(FloatVector.fromArray(S, y, yo + i)).intoArray(y, yo + i);
        for (int i = upper; i < n; i++) y[yo + i] += alpha * x.getAtIndex(F, xo + i);
    }

    /**
     * {@code g[i] ← pd[i]·g[i] - p[i]·d} (the scores' gradient under dropout) for i < n and 0 from n to the
     * next whole vector, over padded rows (n at least 1), as {@link #gradScores}.
     */
    static void gradScoresDropped(float[] p, float[] pd, float[] g, int off, int n, float d) {
        int last = off + (n - 1) / LANES * LANES;
        for (int i = off; i < last; i += LANES)
            FloatVector.fromArray(S, pd, i)
                    .mul(FloatVector.fromArray(S, g, i))
                    .sub(FloatVector.fromArray(S, p, i).mul(d))
                    .intoArray(g, i);
        ZERO.blend(
                        FloatVector.fromArray(S, pd, last)
                                .mul(FloatVector.fromArray(S, g, last))
                                .sub(FloatVector.fromArray(S, p, last).mul(d)),
                        IOTA.compare(VectorOperators.LT, (float) (off + n - last)))
                .intoArray(g, last);
    }

    /**
     * {@code a[i] ← exp(a[i] - m)} over a row, m at least every a[i] (the row's maximum or log-sum-exp), by
     * {@link VectorExp#expNonPositive} (the same bits compiled or not). The last vector is whole: it reads
     * and writes the row's padding (rows are {@link AttentionHeap#padded} wide), zeros past n, in place of a
     * scalar tail (a causal row ends mid-vector; its tail in {@link ScalarExp} was 2 % of attention at T = 128).
     * Below -87.3, where {@link ScalarExp#exp} (the scalar path's) gives 0, these give values under 2^-125.
     */
    static void expShifted(float[] a, int off, int n, float m) {
        for (int i = off, end = off + n; i < end; i += LANES) {
            FloatVector e =
                    VectorExp.expNonPositive(FloatVector.fromArray(S, a, i).sub(m));
            ZERO.blend(e, IOTA.compare(VectorOperators.LT, (float) (end - i))).intoArray(a, i);
        }
    }

    /**
     * {@link #expShifted}, leaving the row's vector sum at {@code lanes[lanesOff..]} (a vector's floats) for
     * {@link VectorKernels#rowSums}: together they give the row's sum in {@link BatchNorm#runSum}'s order (two vector
     * accumulators, the last vector's lanes past n as zeros, then {@link VectorKernels#sumLanes(FloatVector)}'s
     * tree).
     * The softmax row's shift, exp and sum in one pass.
     */
    static void expShiftedLanes(float[] a, int off, int n, float m, float[] lanes, int lanesOff) {
        // the vectors go to two sums in turn, as runSum's unrolled loop adds them (which is which at the end
        // does not matter: their sum commutes); one exp in the loop: with two C2 did not inline both and the
        // forward took 18 ms instead of 9 (batch 128 of T 128, d 32, one thread)
        FloatVector s0 = FloatVector.zero(S), s1 = FloatVector.zero(S);
        for (int i = off, end = off + n; i < end; i += LANES) {
            FloatVector e =
                    VectorExp.expNonPositive(FloatVector.fromArray(S, a, i).sub(m));
            e = ZERO.blend(e, IOTA.compare(VectorOperators.LT, (float) (end - i)));
            e.intoArray(a, i);
            FloatVector t = s0.add(e);
            s0 = s1;
            s1 = t;
        }
        // the lanes leave through the heap, not as a vector passed to a reduction: inlined into its caller
        // (AttentionRows.fromScores), this method leaves C2 no node budget to inline a further call,
        // and a vector passed to a call is boxed (2 MB of garbage a forward at T = 128, batch 32 x 4 heads)
        s0.add(s1).intoArray(lanes, lanesOff);
    }

    private static final FloatVector ZERO = FloatVector.zero(S);
    private static final FloatVector NEG_INF = FloatVector.broadcast(S, Float.NEGATIVE_INFINITY);

    /** Lane l holds l: compared with the floats left in a row, the lanes that lie inside it. */
    private static final FloatVector IOTA = FloatVector.fromArray(S, iota(), 0);

    private static float[] iota() {
        float[] v = new float[LANES];
        for (int i = 0; i < LANES; i++) v[i] = i;
        return v;
    }

    /** {@code p[i] ← p[i] + mask[i]}: an additive mask's row onto the scores. */
    static void addRow(MemorySegment mask, long maskOff, float[] p, int off, int n) {
        int upper = n - n % LANES;
        for (int i = 0; i < upper; i += LANES)
            FloatVector.fromArray(S, p, off + i).add(load(mask, maskOff + i)).intoArray(p, off + i);
        for (int i = upper; i < n; i++) p[off + i] += mask.getAtIndex(F, maskOff + i);
    }

    /** {@code dst[dOff + i] = src[off + i]·scale} for i < n: a row of an operand onto the heap. */
    static void rowIn(MemorySegment src, long off, float scale, float[] dst, int dOff, int n) {
        int upper = n - n % LANES;
        for (int i = 0; i < upper; i += LANES) load(src, off + i).mul(scale).intoArray(dst, dOff + i);
        for (int i = upper; i < n; i++) dst[dOff + i] = src.getAtIndex(F, off + i) * scale;
    }

    /** {@code dst[off + i] = src[sOff + i]·f} for i in [0, n). */
    static void rowOutScaled(float[] src, int sOff, float f, MemorySegment dst, long off, int n) {
        int upper = n - n % LANES;
        for (int i = 0; i < upper; i += LANES)
            FloatVector.fromArray(S, src, sOff + i).mul(f).intoMemorySegment(dst, (off + i) * Float.BYTES, NO);
        for (int i = upper; i < n; i++) dst.setAtIndex(F, off + i, src[sOff + i] * f);
    }

    /** {@code dst[off + i] = src[sOff + i]} for i < n: a row of a result back to its tensor. */
    static void rowOut(float[] src, int sOff, MemorySegment dst, long off, int n) {
        int upper = n - n % LANES;
        for (int i = 0; i < upper; i += LANES)
            FloatVector.fromArray(S, src, sOff + i).intoMemorySegment(dst, (off + i) * Float.BYTES, NO);
        for (int i = upper; i < n; i++) dst.setAtIndex(F, off + i, src[sOff + i]);
    }
}
