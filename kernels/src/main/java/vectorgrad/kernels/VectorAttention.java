package vectorgrad.kernels;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/** Vector bodies of {@link Attention}'s row passes; each handles its own scalar tail. */
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

    /** {@code p[i] ← p[i]·(g[i] - d)}, into g. */
    static void gradScores(MemorySegment p, MemorySegment g, long off, int n, float d) {
        int upper = n - n % LANES;
        for (int i = 0; i < upper; i += LANES) {
            load(p, off + i).mul(load(g, off + i).sub(d)).intoMemorySegment(g, (off + i) * Float.BYTES, NO);
        }
        for (int i = upper; i < n; i++)
            g.setAtIndex(F, off + i, p.getAtIndex(F, off + i) * (g.getAtIndex(F, off + i) - d));
    }

    static float dot(MemorySegment a, long ao, MemorySegment b, long bo, int n) {
        int upper = n - n % LANES;
        FloatVector s = FloatVector.zero(S);
        for (int i = 0; i < upper; i += LANES)
            s = load(a, ao + i).mul(load(b, bo + i)).add(s);
        float t = VectorKernels.sumLanes(s);
        for (int i = upper; i < n; i++) t += a.getAtIndex(F, ao + i) * b.getAtIndex(F, bo + i);
        return t;
    }

    /** {@code g[i] ← pd[i]·g[i] - p[i]·d} (the scores' gradient under dropout). */
    static void gradScoresDropped(MemorySegment p, MemorySegment pd, MemorySegment g, long off, int n, float d) {
        int upper = n - n % LANES;
        for (int i = 0; i < upper; i += LANES) {
            load(pd, off + i)
                    .mul(load(g, off + i))
                    .sub(load(p, off + i).mul(d))
                    .intoMemorySegment(g, (off + i) * Float.BYTES, NO);
        }
        for (int i = upper; i < n; i++)
            g.setAtIndex(
                    F, off + i, pd.getAtIndex(F, off + i) * g.getAtIndex(F, off + i) - p.getAtIndex(F, off + i) * d);
    }

    /**
     * {@code a[i] ← exp(a[i] - m)} over a row, tail included, by {@link VectorExp} (the same bits compiled or
     * not; the bits of a shift by {@link Elementwise#affine} and then exp, in one pass over the row instead of
     * two).
     */
    static void expShifted(MemorySegment a, long off, int n, float m) {
        int upper = n - n % LANES;
        for (int i = 0; i < upper; i += LANES)
            VectorExp.exp(load(a, off + i).sub(m)).intoMemorySegment(a, (off + i) * Float.BYTES, NO);
        for (int i = upper; i < n; i++) a.setAtIndex(F, off + i, ScalarExp.exp(a.getAtIndex(F, off + i) - m));
    }

    /**
     * {@link #expShifted}, returning the row's sum in {@link BatchNorm#runSum}'s order (two vector
     * accumulators, then the tail in float): the forward's softmax row in one pass instead of three.
     */
    static double expShiftedSum(MemorySegment a, long off, int n, float m) {
        int upper = n - n % LANES;
        // the vectors go to two sums in turn, as runSum's unrolled loop adds them (which is which at the end
        // does not matter: their sum commutes); one exp in the loop: with two C2 did not inline both and the
        // forward took 18 ms instead of 9 (batch 128 of T 128, d 32, one thread)
        FloatVector s0 = FloatVector.zero(S), s1 = FloatVector.zero(S);
        for (int i = 0; i < upper; i += LANES) {
            FloatVector e = VectorExp.exp(load(a, off + i).sub(m));
            e.intoMemorySegment(a, (off + i) * Float.BYTES, NO);
            FloatVector t = s0.add(e);
            s0 = s1;
            s1 = t;
        }
        float tail = 0f;
        for (int j = upper; j < n; j++) {
            float e = ScalarExp.exp(a.getAtIndex(F, off + j) - m);
            a.setAtIndex(F, off + j, e);
            tail += e;
        }
        return VectorKernels.sumLanes(s0.add(s1)) + (double) tail;
    }
}
