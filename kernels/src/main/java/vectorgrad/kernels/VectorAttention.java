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
    /** Fused multiply-add where it is an instruction (see {@link Config#FMA}); the scalar exp follows the same choice. */
    private static final boolean FMA = Config.FMA;

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
        for (int i = upper; i < n; i++) g.setAtIndex(F, off + i, p.getAtIndex(F, off + i) * (g.getAtIndex(F, off + i) - d));
    }

    static float dot(MemorySegment a, long ao, MemorySegment b, long bo, int n) {
        int upper = n - n % LANES;
        FloatVector s = FloatVector.zero(S);
        for (int i = 0; i < upper; i += LANES) s = load(a, ao + i).mul(load(b, bo + i)).add(s);
        float t = VectorKernels.sumLanes(s);
        for (int i = upper; i < n; i++) t += a.getAtIndex(F, ao + i) * b.getAtIndex(F, bo + i);
        return t;
    }

    /** {@code g[i] ← pd[i]·g[i] - p[i]·d} (the scores' gradient under dropout). */
    static void gradScoresDropped(MemorySegment p, MemorySegment pd, MemorySegment g, long off, int n, float d) {
        int upper = n - n % LANES;
        for (int i = 0; i < upper; i += LANES) {
            load(pd, off + i).mul(load(g, off + i)).sub(load(p, off + i).mul(d)).intoMemorySegment(g, (off + i) * Float.BYTES, NO);
        }
        for (int i = upper; i < n; i++)
            g.setAtIndex(F, off + i, pd.getAtIndex(F, off + i) * g.getAtIndex(F, off + i) - p.getAtIndex(F, off + i) * d);
    }

    // exp(x) for x <= 0 from IEEE adds, multiplies and fused multiply-adds only, lane for lane the same
    // operations as expScalar: the library's EXP (VectorOperators.EXP) computes a different last bit when the
    // JIT has compiled it than before (an intrinsic against a per-lane Math.exp), so attention's results
    // depended on when a run reached them (seen as a thread-count test failing at one thread in five runs).
    // 2^n · p(r), r = x - n·ln 2 in [-ln2/2, ln2/2], p of degree 6 (relative error under 2e-7).
    private static final float LOG2E = 1.44269504f, LN2_HI = 0.693359375f, LN2_LO = -2.12194440e-4f;
    private static final float C2 = 0.5f, C3 = 1.6666666e-1f, C4 = 4.1666668e-2f, C5 = 8.333334e-3f, C6 = 1.3888889e-3f;
    /** 1.5·2^23: adding and subtracting it rounds a float of magnitude below 2^22 to the nearest integer. */
    private static final float ROUND = 12582912f;
    /** Below this exp is taken as 0 (it is under float's normal range). */
    private static final float LOWEST = -87.3f;

    /** {@code a[i] ← exp(a[i])} for a row of values ≤ 0 (-∞ allowed), tail included. */
    static void expInPlace(MemorySegment a, long off, int n) {
        int upper = n - n % LANES;
        FloatVector hi = FloatVector.broadcast(S, -LN2_HI), lo = FloatVector.broadcast(S, -LN2_LO);
        FloatVector c6 = FloatVector.broadcast(S, C6), c5 = FloatVector.broadcast(S, C5), c4 = FloatVector.broadcast(S, C4);
        FloatVector c3 = FloatVector.broadcast(S, C3), c2 = FloatVector.broadcast(S, C2), one = FloatVector.broadcast(S, 1f);
        for (int i = 0; i < upper; i += LANES) {
            FloatVector x = load(a, off + i);
            FloatVector xc = x.max(LOWEST);
            FloatVector k = xc.mul(LOG2E).add(ROUND).sub(ROUND); // the nearest integer
            FloatVector r = FMA ? k.fma(hi, xc) : k.mul(hi).add(xc);
            r = FMA ? k.fma(lo, r) : k.mul(lo).add(r);
            FloatVector p = FMA ? r.fma(c6, c5) : r.mul(c6).add(c5);
            p = FMA ? p.fma(r, c4) : p.mul(r).add(c4);
            p = FMA ? p.fma(r, c3) : p.mul(r).add(c3);
            p = FMA ? p.fma(r, c2) : p.mul(r).add(c2);
            p = FMA ? p.fma(r, one) : p.mul(r).add(one);
            p = FMA ? p.fma(r, one) : p.mul(r).add(one);
            FloatVector scale = ((jdk.incubator.vector.IntVector) k.convert(VectorOperators.F2I, 0))
                    .add(127).lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats();
            p.mul(scale).blend(0f, x.compare(VectorOperators.LT, LOWEST)).intoMemorySegment(a, (off + i) * Float.BYTES, NO);
        }
        for (int i = upper; i < n; i++) a.setAtIndex(F, off + i, expScalar(a.getAtIndex(F, off + i)));
    }

    /** The same exp, one value, by the same operations. */
    static float expScalar(float x) {
        if (x < LOWEST) return 0f;
        float k = x * LOG2E + ROUND - ROUND;
        float r = FMA ? Math.fma(k, -LN2_HI, x) : k * -LN2_HI + x;
        r = FMA ? Math.fma(k, -LN2_LO, r) : k * -LN2_LO + r;
        float p = FMA ? Math.fma(r, C6, C5) : r * C6 + C5;
        p = FMA ? Math.fma(p, r, C4) : p * r + C4;
        p = FMA ? Math.fma(p, r, C3) : p * r + C3;
        p = FMA ? Math.fma(p, r, C2) : p * r + C2;
        p = FMA ? Math.fma(p, r, 1f) : p * r + 1f;
        p = FMA ? Math.fma(p, r, 1f) : p * r + 1f;
        return p * Float.intBitsToFloat(((int) k + 127) << 23);
    }
}
