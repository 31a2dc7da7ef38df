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

    /** {@code a[i] ← exp(a[i])} over a row, tail included, by {@link VectorExp} (the same bits compiled or not). */
    static void expInPlace(MemorySegment a, long off, int n) {
        int upper = n - n % LANES;
        for (int i = 0; i < upper; i += LANES)
            VectorExp.exp(load(a, off + i)).intoMemorySegment(a, (off + i) * Float.BYTES, NO);
        for (int i = upper; i < n; i++) a.setAtIndex(F, off + i, VectorExp.exp(a.getAtIndex(F, off + i)));
    }
}
