package vectorgrad.kernels;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The Vector API bodies of exact GELU ({@link Elementwise.Unary#GELU}) and its derivative, alone or times
 * the incoming gradient ({@link Elementwise#unaryMul}): Φ by the same erfc as {@link Elementwise#phi},
 * its exp by {@link VectorExp#expBounded}. Whole vectors only; the callers run the scalar tail.
 */
final class VectorGelu {
    private VectorGelu() {}

    private static final VectorSpecies<Float> S = VectorKernels.S;
    private static final int LANES = S.length();
    private static final ByteOrder NO = ByteOrder.nativeOrder();
    private static final boolean FMA = Config.FMA;
    private static final FloatVector ONE = FloatVector.broadcast(S, 1f);

    private static FloatVector load(MemorySegment m, long i) {
        return FloatVector.fromMemorySegment(S, m, i * Float.BYTES, NO);
    }

    private static void store(FloatVector v, MemorySegment m, long i) {
        v.intoMemorySegment(m, i * Float.BYTES, NO);
    }

    /**
     * {@code out = x·Φ(x)} over whole vectors up to {@code upper}, in chunks of two passes: t and the
     * exponent of Φ's erfc into a per-thread array, then the exp, Φ and the product.
     */
    static void forward(MemorySegment a, long aOff, MemorySegment out, long outOff, long upper) {
        float[] te = GELU_TE.get(2 * GELU_CHUNK);
        for (long from = 0; from < upper; from += GELU_CHUNK) {
            int len = (int) Math.min(GELU_CHUNK, upper - from);
            erfcArguments(a, aOff + from, te, len);
            geluFromArguments(a, aOff + from, te, out, outOff + from, len);
        }
    }

    private static final ThreadScratch.Floats GELU_TE = new ThreadScratch.Floats();

    /** {@code te[j] = t}, {@code te[GELU_CHUNK + j] = p(t) - z²}: Φ's erfc before its exp. */
    private static void erfcArguments(MemorySegment a, long aOff, float[] te, int len) {
        for (int j = 0; j < len; j += LANES) {
            FloatVector z = halfAbs(load(a, aOff + j));
            FloatVector t = ONE.div(FMA ? z.fma(HALF, ONE) : z.mul(0.5f).add(1f));
            t.intoArray(te, j);
            (FMA ? erfcPolyFused(t) : erfcPolyUnfused(t)).sub(z.mul(z)).intoArray(te, GELU_CHUNK + j);
        }
    }

    /** {@code out = x·Φ(x)} from {@link #erfcArguments}. */
    private static void geluFromArguments(
            MemorySegment a, long aOff, float[] te, MemorySegment out, long outOff, int len) {
        for (int j = 0; j < len; j += LANES) {
            FloatVector x = load(a, aOff + j);
            FloatVector t = FloatVector.fromArray(S, te, j);
            FloatVector half = t.mul(0.5f).mul(VectorExp.expBounded(FloatVector.fromArray(S, te, GELU_CHUNK + j)));
            FloatVector cdf = half.blend(ONE.sub(half), x.compare(VectorOperators.GE, 0f));
            x.mul(cdf).intoMemorySegment(out, (outOff + j) * Float.BYTES, NO);
        }
    }

    /** Floats per chunk of {@link #derivative}: its two loops meet in L1. */
    private static final int GELU_CHUNK = 1024;

    private static final ThreadScratch.Floats GELU_CDF = new ThreadScratch.Floats();

    /**
     * {@code Φ(x) + x·φ(x)}, times g unless g is null; φ(x) = exp(-z²)/√(2π) with z = |x|/√2 as Φ's (0
     * past the clamp, as in float). Two loops over each chunk, Φ into a per-thread array then the rest,
     * each with one exp: one loop with both exps and Φ's polynomial went past C2's inlining budget, left
     * exp a call and boxed its vectors (1 GB of heap every 0.1 s in a GPT-sized backward). {@code out} may
     * be {@code a}.
     */
    static void derivative(
            MemorySegment a, long aOff, MemorySegment g, long gOff, MemorySegment out, long outOff, long upper) {
        float[] cdf = GELU_CDF.get(GELU_CHUNK);
        for (long from = 0; from < upper; from += GELU_CHUNK) {
            int len = (int) Math.min(GELU_CHUNK, upper - from);
            geluCdf(a, aOff + from, cdf, len);
            if (g == null) geluDensity(a, aOff + from, cdf, out, outOff + from, len);
            else geluDensityTimes(a, aOff + from, cdf, g, gOff + from, out, outOff + from, len);
        }
    }

    // one loop a method: the three in one method passed C2's NodeCountInliningCutoff, densityTerm stayed a call

    private static void geluCdf(MemorySegment a, long aOff, float[] cdf, int len) {
        for (int j = 0; j < len; j += LANES) {
            FloatVector x = load(a, aOff + j);
            phi(x, halfAbs(x)).intoArray(cdf, j);
        }
    }

    private static void geluDensity(MemorySegment a, long aOff, float[] cdf, MemorySegment out, long outOff, int len) {
        for (int j = 0; j < len; j += LANES) {
            FloatVector x = load(a, aOff + j);
            store(densityTerm(x, FloatVector.fromArray(S, cdf, j)), out, outOff + j);
        }
    }

    private static void geluDensityTimes(
            MemorySegment a,
            long aOff,
            float[] cdf,
            MemorySegment g,
            long gOff,
            MemorySegment out,
            long outOff,
            int len) {
        for (int j = 0; j < len; j += LANES) {
            FloatVector x = load(a, aOff + j);
            FloatVector grad = load(g, gOff + j);
            store(densityTerm(x, FloatVector.fromArray(S, cdf, j)).mul(grad), out, outOff + j);
        }
    }

    /** {@code x·φ(x) + cdf}. */
    private static FloatVector densityTerm(FloatVector x, FloatVector cdf) {
        FloatVector z = halfAbs(x);
        FloatVector density = VectorExp.expBounded(z.mul(z).neg()).mul((float) Elementwise.INV_SQRT_2PI);
        return FMA ? x.fma(density, cdf) : x.mul(density).add(cdf);
    }

    /**
     * {@code |x|/√2} clamped at 10 (past it Φ is 0 or 1 in float: erfc(10) = 2e-45), so -z² stays in
     * {@link VectorExp#expBounded}'s range. The clamp is an integer min of the bits (one instruction; for
     * non-negative floats integer order is float order); a NaN x becomes z = 10 here and stays NaN through
     * the products with x that use Φ.
     */
    private static FloatVector halfAbs(FloatVector x) {
        return x.abs().mul(0.70710677f).reinterpretAsInts().min(Z_MAX_BITS).reinterpretAsFloats();
    }

    private static final int Z_MAX_BITS = Float.floatToRawIntBits(10f);

    /**
     * Φ(x) lane by lane, by the same erfc as {@link Elementwise#phi}; {@code z} is {@link #halfAbs}(x). The
     * derivative's first pass; the forward splits it in two ({@link #erfcArguments}).
     */
    private static FloatVector phi(FloatVector x, FloatVector z) {
        FloatVector t = ONE.div(FMA ? z.fma(HALF, ONE) : z.mul(0.5f).add(1f));
        FloatVector p = FMA ? erfcPolyFused(t) : erfcPolyUnfused(t);
        FloatVector half = t.mul(0.5f).mul(VectorExp.expBounded(p.sub(z.mul(z))));
        return half.blend(ONE.sub(half), x.compare(VectorOperators.GE, 0f));
    }

    private static final FloatVector HALF = FloatVector.broadcast(S, 0.5f);

    /** erfc's polynomial in t by Horner's rule, one fused multiply-add a coefficient. */
    private static FloatVector erfcPolyFused(FloatVector t) {
        FloatVector p = FloatVector.broadcast(S, P9);
        p = p.fma(t, FloatVector.broadcast(S, P8));
        p = p.fma(t, FloatVector.broadcast(S, P7));
        p = p.fma(t, FloatVector.broadcast(S, P6));
        p = p.fma(t, FloatVector.broadcast(S, P5));
        p = p.fma(t, FloatVector.broadcast(S, P4));
        p = p.fma(t, FloatVector.broadcast(S, P3));
        p = p.fma(t, FloatVector.broadcast(S, P2));
        p = p.fma(t, FloatVector.broadcast(S, P1));
        return p.fma(t, FloatVector.broadcast(S, P0));
    }

    /** As {@link #erfcPolyFused}, multiply then add (where FMA is not an instruction). */
    private static FloatVector erfcPolyUnfused(FloatVector t) {
        FloatVector p = FloatVector.broadcast(S, P9);
        p = p.mul(t).add(P8);
        p = p.mul(t).add(P7);
        p = p.mul(t).add(P6);
        p = p.mul(t).add(P5);
        p = p.mul(t).add(P4);
        p = p.mul(t).add(P3);
        p = p.mul(t).add(P2);
        p = p.mul(t).add(P1);
        return p.mul(t).add(P0);
    }

    /**
     * erfc's coefficients in float, as static final fields: C2 folds them into constants. Read from the
     * double array in the loop, each was a load and a conversion to float per vector.
     */
    private static final float P0 = (float) Elementwise.ERFC_P[0],
            P1 = (float) Elementwise.ERFC_P[1],
            P2 = (float) Elementwise.ERFC_P[2],
            P3 = (float) Elementwise.ERFC_P[3],
            P4 = (float) Elementwise.ERFC_P[4],
            P5 = (float) Elementwise.ERFC_P[5],
            P6 = (float) Elementwise.ERFC_P[6],
            P7 = (float) Elementwise.ERFC_P[7],
            P8 = (float) Elementwise.ERFC_P[8],
            P9 = (float) Elementwise.ERFC_P[9];
}
