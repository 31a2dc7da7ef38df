package vectorgrad.kernels;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

/**
 * 2x2/stride-2 max pooling straight on the NCHW segments, a vector of windows of one output row at a
 * time: the two input rows are loaded as 2·L contiguous floats each and split into their even and odd
 * columns (two-vector selects), so a vector holds the top-left, top-right, bottom-left or bottom-right
 * corners of L windows; the scalar rule — row by row, strictly greater wins — then runs lane-parallel
 * with compares and blends. A vector of windows holding a NaN takes the scalar rule
 * ({@link MaxPool#argmax2x2}). Contiguous loads and selects rather than gathers of the corners, and no
 * copies of the planes to the heap (figures in docs/PERFORMANCE.md, "Max pooling").
 */
final class VectorPool {
    private VectorPool() {}

    private static final VectorSpecies<Float> S = VectorKernels.S;
    private static final VectorSpecies<Integer> SI = VectorKernels.SI;
    private static final int L = S.length();
    private static final ByteOrder NO = ByteOrder.nativeOrder();
    /** Lane i selects 2i (even columns) / 2i + 1 (odd columns) of two vectors' 2·L values. */
    private static final FloatVector EVEN = FloatVector.fromArray(S, steps(0, 2), 0),
            ODD = FloatVector.fromArray(S, steps(1, 2), 0);
    /**
     * Whether {@link #forward} (two-vector selects) serves: at 16 lanes; at 8 (AVX2) the selects cost more
     * than {@link #gathered}'s gathers (figures in docs/PERFORMANCE.md).
     */
    static final boolean SELECTS = L >= 16;

    /** 2i: the column of window i's left corner, relative to the vector's first window. */
    private static final IntVector TWICE = IntVector.fromArray(SI, ints(steps(0, 2)), 0);

    private static float[] steps(int first, int step) {
        float[] v = new float[L];
        for (int i = 0; i < L; i++) v[i] = first + step * i;
        return v;
    }

    private static int[] ints(float[] v) {
        int[] r = new int[v.length];
        for (int i = 0; i < v.length; i++) r[i] = (int) v[i];
        return r;
    }

    /**
     * One plane: {@code x} from float {@code xPlane}, w columns; out and idx (plane-relative flat indices)
     * from float {@code oPlane}, oh x ow. Requires 2·oh ≤ h and 2·ow ≤ w.
     */
    static void forward(
            MemorySegment x, long xPlane, int w, int oh, int ow, MemorySegment out, MemorySegment idx, long oPlane) {
        long floats = x.byteSize() / Float.BYTES;
        for (int oy = 0; oy < oh; oy++) {
            for (int ox = 0; ox < ow; ox += L) {
                int n = Math.min(L, ow - ox), corner = 2 * oy * w + 2 * ox;
                long o = oPlane + (long) oy * ow + ox;
                // the loads read 2·L floats of each row: past the row's windows, into the next row or plane
                // (not used), and at the end of the segment not at all (the scalar rule instead)
                if (xPlane + corner + w + 2L * L <= floats) windows(x, xPlane, w, corner, n, out, idx, o);
                else MaxPool.pool2x2(x, xPlane, w, corner, n, out, idx, o);
            }
        }
    }

    /**
     * The n (≤ L) windows of one row whose first top-left corner is at plane index {@code corner}, into
     * out and idx at {@code o}; reads 2·L floats of both rows. Unmasked loads and one method per vector of
     * windows keep it within what C1 can compile: with masked loads or the loops inside, C1 ran out of
     * virtual registers, C2 never compiled the method and a batch-64 forward took 57 ms instead of 0.8.
     */
    private static void windows(
            MemorySegment x, long xPlane, int w, int corner, int n, MemorySegment out, MemorySegment idx, long o) {
        long top = (xPlane + corner) * Float.BYTES, bottom = top + (long) w * Float.BYTES;
        FloatVector t0 = FloatVector.fromMemorySegment(S, x, top, NO);
        FloatVector t1 = FloatVector.fromMemorySegment(S, x, top + (long) L * Float.BYTES, NO);
        FloatVector b0 = FloatVector.fromMemorySegment(S, x, bottom, NO);
        FloatVector b1 = FloatVector.fromMemorySegment(S, x, bottom + (long) L * Float.BYTES, NO);
        FloatVector v0 = EVEN.selectFrom(t0, t1), v1 = ODD.selectFrom(t0, t1);
        FloatVector v2 = EVEN.selectFrom(b0, b1), v3 = ODD.selectFrom(b0, b1);
        VectorMask<Float> windows = S.indexInRange(0, n);
        if (v0.add(v1).add(v2).add(v3).test(VectorOperators.IS_NAN).and(windows).anyTrue()) {
            // a NaN (or +inf and -inf) somewhere: these windows take the scalar rule
            MaxPool.pool2x2(x, xPlane, w, corner, n, out, idx, o);
            return;
        }
        IntVector base = TWICE.add(corner);
        VectorMask<Float> take = v1.compare(VectorOperators.GT, v0);
        FloatVector best = v0.blend(v1, take);
        IntVector at = base.blend(base.add(1), take.cast(SI));
        take = v2.compare(VectorOperators.GT, best);
        best = best.blend(v2, take);
        at = at.blend(base.add(w), take.cast(SI));
        take = v3.compare(VectorOperators.GT, best);
        best = best.blend(v3, take);
        at = at.blend(base.add(w + 1), take.cast(SI));
        best.intoMemorySegment(out, o * Float.BYTES, NO, windows);
        at.intoMemorySegment(idx, o * Integer.BYTES, NO, windows.cast(SI));
    }

    /** Lane i takes lane i ^ 1: each window's right column beside its left one. */
    private static final VectorShuffle<Float> PAIRS = VectorShuffle.fromOp(S, i -> i ^ 1);
    /** A vector's even lanes, in order, in both halves. */
    private static final VectorShuffle<Float> EVENS = VectorShuffle.fromOp(S, i -> (2 * i) % L);
    /** The low half of the lanes. */
    private static final VectorMask<Float> LOW = S.indexInRange(0, L / 2);

    /**
     * The maxima without their indices (a forward that records no graph), one plane as {@link #forward}, at
     * any width: no two-vector selects and no gathers. Each row's 2·L floats are two vectors; a vector and its
     * copy with neighbouring lanes swapped give, in the even lanes, each window's row winner (the right column
     * where strictly greater), the bottom row's winner replaces the top's where strictly greater — the scalar
     * rule's order (top-left, top-right, bottom-left, bottom-right), so the same bits, signed zeros included —
     * and the two vectors' even lanes are packed into one. Windows with a NaN take the scalar rule.
     */
    static void forwardValues(MemorySegment x, long xPlane, int w, int oh, int ow, MemorySegment out, long oPlane) {
        // windows left unwritten (a NaN, or a short row's loads past the segment's end): the plane by the scalar rule
        if (planeValues(x, xPlane, w, oh, ow, out, oPlane))
            for (int oy = 0; oy < oh; oy++)
                MaxPool.pool2x2(x, xPlane, w, 2 * oy * w, ow, out, null, oPlane + (long) oy * ow);
    }

    /**
     * {@link #forwardValues} in whole vectors. Rows of ow ≥ L windows: the last vector of a row ends at its last
     * window (overlapping the one before it, with the same values there), so every load stays within the row's
     * 2·ow ≤ w floats. Shorter rows: one vector, its loads reading past the row's windows into the next row or
     * plane (not used), and a masked store. The loops and their body in one method: with a call a vector of
     * windows or a row, the MNIST model's pooling (64 planes of 12 x 12 windows) took 14.3 µs, in one method
     * 12.5 (one thread, AVX2; with the indices 23.2). Returns whether it left windows unwritten: a vector of
     * windows holding a NaN (or +inf and -inf), or a short row whose loads would pass the segment's end.
     */
    private static boolean planeValues(
            MemorySegment x, long xPlane, int w, int oh, int ow, MemorySegment out, long oPlane) {
        long floats = x.byteSize() / Float.BYTES;
        boolean whole = ow >= L, redo = false;
        VectorMask<Float> shortRow = whole ? null : S.indexInRange(0, ow);
        for (int oy = 0; oy < oh; oy++) {
            int corner = 2 * oy * w;
            long o = oPlane + (long) oy * ow;
            for (int ox = 0; ox < ow; ox += L) {
                int at = whole ? Math.min(ox, ow - L) : 0;
                long first = xPlane + corner + 2L * at;
                if (!whole && first + w + 2L * L > floats) {
                    redo = true;
                    continue;
                }
                long top = first * Float.BYTES, bottom = top + (long) w * Float.BYTES;
                FloatVector t0 = FloatVector.fromMemorySegment(S, x, top, NO);
                FloatVector t1 = FloatVector.fromMemorySegment(S, x, top + (long) L * Float.BYTES, NO);
                FloatVector b0 = FloatVector.fromMemorySegment(S, x, bottom, NO);
                FloatVector b1 = FloatVector.fromMemorySegment(S, x, bottom + (long) L * Float.BYTES, NO);
                if (t0.add(b0).add(t1.add(b1)).test(VectorOperators.IS_NAN).anyTrue()) {
                    redo = true;
                    continue;
                }
                FloatVector s = t0.rearrange(PAIRS);
                FloatVector top0 = t0.blend(s, s.compare(VectorOperators.GT, t0));
                s = b0.rearrange(PAIRS);
                FloatVector bottom0 = b0.blend(s, s.compare(VectorOperators.GT, b0));
                FloatVector best0 = top0.blend(bottom0, bottom0.compare(VectorOperators.GT, top0));
                s = t1.rearrange(PAIRS);
                FloatVector top1 = t1.blend(s, s.compare(VectorOperators.GT, t1));
                s = b1.rearrange(PAIRS);
                FloatVector bottom1 = b1.blend(s, s.compare(VectorOperators.GT, b1));
                FloatVector best1 = top1.blend(bottom1, bottom1.compare(VectorOperators.GT, top1));
                FloatVector best = best1.rearrange(EVENS).blend(best0.rearrange(EVENS), LOW);
                if (whole) best.intoMemorySegment(out, (o + at) * Float.BYTES, NO);
                else best.intoMemorySegment(out, o * Float.BYTES, NO, shortRow);
            }
        }
        return redo;
    }

    /**
     * The windows of a plane copied to {@code in}, a vector of windows at a time through gathers of their
     * corners ({@code corner}: each window's top-left corner, in output order); returns the first window
     * left for the scalar tail. The compare-and-blend chain is written out here and in {@link #windows}:
     * in a method of its own taking the four vectors, C2 compiled it apart and boxed them (a batch-5
     * forward took 4 ms instead of 60 µs).
     */
    static int gathered(float[] in, int w, int oh, int ow, float[] out, int[] idx, int[] corner) {
        int windows = oh * ow, upper = windows - windows % L;
        for (int win = 0; win < upper; win += L) {
            FloatVector v0 = FloatVector.fromArray(S, in, 0, corner, win);
            FloatVector v1 = FloatVector.fromArray(S, in, 1, corner, win);
            FloatVector v2 = FloatVector.fromArray(S, in, w, corner, win);
            FloatVector v3 = FloatVector.fromArray(S, in, w + 1, corner, win);
            if (v0.add(v1).add(v2).add(v3).test(VectorOperators.IS_NAN).anyTrue()) {
                // a NaN (or +inf and -inf) somewhere: these windows take the scalar rule
                MaxPool.pool2x2(in, w, ow, out, idx, win, win + L);
                continue;
            }
            IntVector base = IntVector.fromArray(SI, corner, win);
            VectorMask<Float> take = v1.compare(VectorOperators.GT, v0);
            FloatVector best = v0.blend(v1, take);
            IntVector at = base.blend(base.add(1), take.cast(SI));
            take = v2.compare(VectorOperators.GT, best);
            best = best.blend(v2, take);
            at = at.blend(base.add(w), take.cast(SI));
            take = v3.compare(VectorOperators.GT, best);
            best = best.blend(v3, take);
            at = at.blend(base.add(w + 1), take.cast(SI));
            best.intoArray(out, win);
            at.intoArray(idx, win);
        }
        return upper;
    }
}
