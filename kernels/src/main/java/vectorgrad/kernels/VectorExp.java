package vectorgrad.kernels;

import static vectorgrad.kernels.ScalarExp.C2;
import static vectorgrad.kernels.ScalarExp.C3;
import static vectorgrad.kernels.ScalarExp.C4;
import static vectorgrad.kernels.ScalarExp.C5;
import static vectorgrad.kernels.ScalarExp.C6;
import static vectorgrad.kernels.ScalarExp.HIGHEST;
import static vectorgrad.kernels.ScalarExp.LN2_HI;
import static vectorgrad.kernels.ScalarExp.LN2_LO;
import static vectorgrad.kernels.ScalarExp.LOG2E;
import static vectorgrad.kernels.ScalarExp.LOWEST;
import static vectorgrad.kernels.ScalarExp.ROUND;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * exp lane by lane from IEEE adds, multiplies and (where {@link Config#FMA}) fused multiply-adds only, so
 * the same bits before and after the JIT compiles it: the library's {@code VectorOperators.EXP} gives a
 * different last bit compiled (an intrinsic) than not (per-lane {@code Math.exp}), which made results
 * depend on when a run reached a kernel (caught by attention's thread-count test and by a GPT resumed
 * from a checkpoint ending a hair away from an uninterrupted run). {@code 2^k·p(r)}, {@code r = x - k·ln 2}
 * in [-ln2/2, ln2/2], p of degree 6: relative error under 3e-7; 0 below -87.3, +∞ above 88.7, NaN kept.
 * {@link ScalarExp#exp} is the same function for one value (in a class of its own, which loads no vector class).
 */
final class VectorExp {
    private VectorExp() {}

    private static final VectorSpecies<Float> S = VectorKernels.S;
    private static final boolean FMA = Config.FMA;
    private static final FloatVector NEG_LN2_HI = FloatVector.broadcast(S, -LN2_HI),
            NEG_LN2_LO = FloatVector.broadcast(S, -LN2_LO),
            V_C4 = FloatVector.broadcast(S, C4),
            V_C3 = FloatVector.broadcast(S, C3),
            V_C2 = FloatVector.broadcast(S, C2),
            V_ONE = FloatVector.broadcast(S, 1f);

    /**
     * Each variant is one method under C2's inlining limit for hot calls (325 bytes of bytecode): one
     * method with both, 430 bytes, was compiled on its own and every call boxed its argument and result
     * (exp over 2 M floats took 1.66 ns a float on one thread).
     */
    static FloatVector exp(FloatVector x) {
        return FMA ? expFused(x) : expUnfused(x);
    }

    private static FloatVector expFused(FloatVector x) {
        FloatVector xc = x.max(LOWEST).min(HIGHEST);
        FloatVector kr = xc.mul(LOG2E).add(ROUND), k = kr.sub(ROUND);
        FloatVector r = k.fma(NEG_LN2_HI, xc);
        r = k.fma(NEG_LN2_LO, r);
        FloatVector p = r.fma(C6, C5);
        p = p.fma(r, V_C4);
        p = p.fma(r, V_C3);
        p = p.fma(r, V_C2);
        p = p.fma(r, V_ONE);
        p = p.fma(r, V_ONE);
        return scaled(p, kr, x);
    }

    private static FloatVector expUnfused(FloatVector x) {
        FloatVector xc = x.max(LOWEST).min(HIGHEST);
        FloatVector kr = xc.mul(LOG2E).add(ROUND), k = kr.sub(ROUND);
        FloatVector r = k.mul(NEG_LN2_HI).add(xc);
        r = k.mul(NEG_LN2_LO).add(r);
        FloatVector p = r.mul(C6).add(C5);
        p = p.mul(r).add(V_C4);
        p = p.mul(r).add(V_C3);
        p = p.mul(r).add(V_C2);
        p = p.mul(r).add(V_ONE);
        p = p.mul(r).add(V_ONE);
        return scaled(p, kr, x);
    }

    /**
     * exp of arguments known to be finite and below 88 (Φ's and φ's exponents, -z² with z clamped): no
     * overflow or NaN to handle, and underflow goes to 0 through the power of two's exponent clamped as an
     * integer (one instruction), not through a float min/max and three blends as {@link #exp}: C2 compiles a
     * float min or max with Java's NaN rules to several instructions each. GELU over 64 K floats on one
     * thread: 1.00 ns a value with exp, 0.66 with this. Results below 2^-126 are 0, as exp's below -87.3.
     * The polynomial is exp's, repeated rather than shared through a helper: a further level of calls
     * returning vectors is one more place where C2's inlining budget can leave a call and box.
     */
    static FloatVector expBounded(FloatVector x) {
        return FMA ? expBoundedFused(x) : expBoundedUnfused(x);
    }

    private static FloatVector expBoundedFused(FloatVector x) {
        FloatVector kr = x.mul(LOG2E).add(ROUND), k = kr.sub(ROUND);
        FloatVector r = k.fma(NEG_LN2_HI, x);
        r = k.fma(NEG_LN2_LO, r);
        FloatVector p = r.fma(C6, C5);
        p = p.fma(r, V_C4);
        p = p.fma(r, V_C3);
        p = p.fma(r, V_C2);
        p = p.fma(r, V_ONE);
        p = p.fma(r, V_ONE);
        return p.mul(powerOfTwo(kr));
    }

    private static FloatVector expBoundedUnfused(FloatVector x) {
        FloatVector kr = x.mul(LOG2E).add(ROUND), k = kr.sub(ROUND);
        FloatVector r = k.mul(NEG_LN2_HI).add(x);
        r = k.mul(NEG_LN2_LO).add(r);
        FloatVector p = r.mul(C6).add(C5);
        p = p.mul(r).add(V_C4);
        p = p.mul(r).add(V_C3);
        p = p.mul(r).add(V_C2);
        p = p.mul(r).add(V_ONE);
        p = p.mul(r).add(V_ONE);
        return p.mul(powerOfTwo(kr));
    }

    /**
     * exp of arguments at most 0 (a softmax row less its maximum or its log-sum-exp): the same bits as
     * {@link #exp} from -87.3 to 0, 0 for -∞, NaN kept; below -87.3, where exp gives 0, values under
     * 2^-125 (0 once 2^k is under 2^-126, as in {@link #expBounded}). |x| is clamped at 104 as an integer
     * (one instruction: for non-negative floats integer order is float order) and negated, in place of
     * exp's float max and min with Java's NaN rules and its two range blends; only the NaN blend is left.
     * A positive argument gives exp(-x): callers pass x ≤ 0 only. Attention at T = 128 (32 x 4 heads,
     * d 32, causal, one thread), forward and backward: 14.8-15.2 → 14.1-14.4 ms with the rows' masked
     * last vectors (docs/PERFORMANCE.md).
     *
     * <p>One method with {@link #expBounded}'s polynomial and {@link #powerOfTwo} written out (the FMA
     * branch is a constant): in the GPT step's attention backward, inlined into the block loop, C2's node
     * budget ran out at the call to powerOfTwo, which then took and returned its vectors as objects (the step
     * allocated 58 MB of heap; 1.44 MB with this method).
     */
    static FloatVector expNonPositive(FloatVector x) {
        FloatVector xc = x.abs()
                .reinterpretAsInts()
                .min(CLAMP_BITS)
                .reinterpretAsFloats()
                .neg();
        FloatVector kr = xc.mul(LOG2E).add(ROUND), k = kr.sub(ROUND);
        FloatVector p;
        if (FMA) {
            FloatVector r = k.fma(NEG_LN2_HI, xc);
            r = k.fma(NEG_LN2_LO, r);
            p = r.fma(C6, C5);
            p = p.fma(r, V_C4);
            p = p.fma(r, V_C3);
            p = p.fma(r, V_C2);
            p = p.fma(r, V_ONE);
            p = p.fma(r, V_ONE);
        } else {
            FloatVector r = k.mul(NEG_LN2_HI).add(xc);
            r = k.mul(NEG_LN2_LO).add(r);
            p = r.mul(C6).add(C5);
            p = p.mul(r).add(V_C4);
            p = p.mul(r).add(V_C3);
            p = p.mul(r).add(V_C2);
            p = p.mul(r).add(V_ONE);
            p = p.mul(r).add(V_ONE);
        }
        FloatVector twoToK = kr.reinterpretAsInts()
                .sub(ROUND_BITS)
                .max(-127)
                .add(127)
                .lanewise(VectorOperators.LSHL, 23)
                .reinterpretAsFloats();
        return p.mul(twoToK).blend(x, x.test(VectorOperators.IS_NAN));
    }

    /** 104: past it exp is 0 in float, and -104·log2(e) rounds to -150, which {@link #powerOfTwo} takes to 0. */
    private static final int CLAMP_BITS = Float.floatToRawIntBits(104f);

    /**
     * The float {@code k + ROUND} holds the integer k in its low bits: for |k| < 2^22 it lies in [2^23, 2^24),
     * where floats are the integers, so its bits are ROUND's plus k. Read so, k costs one integer subtraction
     * instead of a conversion (C2's float-to-int conversion with Java's rules for NaN and overflow is several
     * instructions on x86): over 16 K floats, one thread, AVX2, {@link #expBounded}'s form 0.83 → 0.75 ns a value,
     * {@code Elementwise.unary(EXP)} 1.19 → 1.09; the same bits (docs/PERFORMANCE.md).
     */
    private static final int ROUND_BITS = Float.floatToRawIntBits(ROUND);

    /** {@code 2^k} for integral k below 128 from {@code kr = k + ROUND}; 0 for k at or below -127. */
    private static FloatVector powerOfTwo(FloatVector kr) {
        return kr.reinterpretAsInts()
                .sub(ROUND_BITS)
                .max(-127)
                .add(127)
                .lanewise(VectorOperators.LSHL, 23)
                .reinterpretAsFloats();
    }

    /** {@code p·2^k} from {@code kr = k + ROUND}, then exp's values outside the range and NaN. */
    private static FloatVector scaled(FloatVector p, FloatVector kr, FloatVector x) {
        FloatVector scale = kr.reinterpretAsInts()
                .sub(ROUND_BITS)
                .add(127)
                .lanewise(VectorOperators.LSHL, 23)
                .reinterpretAsFloats();
        return p.mul(scale)
                .blend(0f, x.compare(VectorOperators.LT, LOWEST))
                .blend(Float.POSITIVE_INFINITY, x.compare(VectorOperators.GT, HIGHEST))
                .blend(x, x.test(VectorOperators.IS_NAN));
    }
}
