package vectorgrad.kernels;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Max with argmax along one dimension, and the scatter that is its backward.
 *
 * <p>Layout: a contiguous input seen as {@code [outer, n, inner]}, reduced over the middle dimension to
 * {@code [outer, inner]} values and int32 indices. Ties keep the first index (as PyTorch's CPU kernel).
 */
public final class Reduce {
    private Reduce() {}

    private static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT;
    private static final ValueLayout.OfInt I = ValueLayout.JAVA_INT;

    public static void max(
            int outer,
            int n,
            int inner,
            MemorySegment in,
            long inOff,
            MemorySegment vals,
            long valsOff,
            MemorySegment idx,
            long idxOff) {
        Check.nonNegative(outer, "outer");
        Check.nonNegative(inner, "inner");
        if (n < 1) throw new IllegalArgumentException("max over an empty dimension (size " + n + ")");
        Check.floats(in, inOff, (long) outer * n * inner, "max input");
        Check.floats(vals, valsOff, (long) outer * inner, "max values");
        if (idx.byteSize() / Integer.BYTES < idxOff + (long) outer * inner) {
            throw new IllegalArgumentException(
                    "max indices: segment too small for " + ((long) outer * inner) + " ints");
        }
        for (int o = 0; o < outer; o++) {
            long base = inOff + (long) o * n * inner;
            long vo = valsOff + (long) o * inner, io = idxOff + (long) o * inner;
            if (Simd.VECTOR_AVAILABLE) VectorKernels.maxInner(in, base, n, inner, vals, vo, idx, io);
            else maxInnerScalar(in, base, n, inner, vals, vo, idx, io, 0);
        }
    }

    /** Flag of {@link #nonFinite}: some value is NaN. */
    public static final int HAS_NAN = 1;
    /** Flag of {@link #nonFinite}: some value is infinite. */
    public static final int HAS_INFINITY = 2;

    /** Which kinds of non-finite values {@code in[off..off+n)} holds: HAS_NAN | HAS_INFINITY, or 0. */
    public static int nonFinite(MemorySegment in, long off, long n) {
        Check.floats(in, off, n, "nonFinite input");
        return Simd.VECTOR_AVAILABLE ? VectorKernels.nonFinite(in, off, n) : nonFiniteScalar(in, off, 0, n);
    }

    static int nonFiniteScalar(MemorySegment in, long off, long from, long n) {
        int flags = 0;
        for (long i = from; i < n; i++) {
            float v = in.getAtIndex(F, off + i);
            if (v != v) flags |= HAS_NAN;
            else if (Float.isInfinite(v)) flags |= HAS_INFINITY;
        }
        return flags;
    }

    static void maxInnerScalar(
            MemorySegment in,
            long base,
            int n,
            int inner,
            MemorySegment vals,
            long vo,
            MemorySegment idx,
            long io,
            int from) {
        for (int i = from; i < inner; i++) {
            float best = in.getAtIndex(F, base + i);
            int bi = 0;
            for (int k = 1; k < n; k++) {
                float v = in.getAtIndex(F, base + (long) k * inner + i);
                if (v > best || (v != v && best == best)) {
                    best = v;
                    bi = k;
                }
            }
            vals.setAtIndex(F, vo + i, best);
            idx.setAtIndex(I, io + i, bi);
        }
    }

    /**
     * Backward of {@link #max}: {@code out} ({@code [outer, n, inner]}) is zeroed, then
     * {@code out[o, idx[o,i], i] = grad[o, i]}.
     */
    public static void scatterMax(
            int outer,
            int n,
            int inner,
            MemorySegment grad,
            long gOff,
            MemorySegment idx,
            long idxOff,
            MemorySegment out,
            long outOff) {
        Check.floats(out, outOff, (long) outer * n * inner, "scatter output");
        Check.floats(grad, gOff, (long) outer * inner, "scatter gradient");
        Elementwise.fill(out, outOff, (long) outer * n * inner, 0f);
        for (int o = 0; o < outer; o++) {
            for (int i = 0; i < inner; i++) {
                int k = idx.getAtIndex(I, idxOff + (long) o * inner + i);
                if (k < 0 || k >= n)
                    throw new IllegalArgumentException("scatter: index " + k + " out of range [0, " + n + ")");
                out.setAtIndex(
                        F, outOff + ((long) o * n + k) * inner + i, grad.getAtIndex(F, gOff + (long) o * inner + i));
            }
        }
    }
}
