package vectorgrad.kernels;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The Vector API bodies of exact GELU ({@link Elementwise.Unary#GELU}) and its derivative, alone or times
 * the incoming gradient ({@link Elementwise#unaryMul}). Whole vectors only; the callers run the scalar tail.
 *
 * <p>Φ(x) for z = |x|/√2 is ½·erfc(z) or 1 - ½·erfc(z), with erfc(z) = t·Q(t)·exp(-z²), t = 1/(1 + z/2)
 * and Q a polynomial of degree 8 fitted to erfc(z)·exp(z²)/t (relative error 1.7e-7 evaluated in float;
 * {@code kernels/src/template/gelu_polynomial.py} made it and prints its error). One exp a value, by
 * {@link VectorExp#expBounded}, and the derivative's density φ(x) = exp(-z²)/√(2π) shares it. The scalar
 * form ({@link Elementwise#phi}, Numerical Recipes' erfc in double) differs in the last bits.
 *
 * <p>Each pass is one loop over a chunk of {@value #CHUNK} floats in a method of its own (an int-counted
 * loop). Written as erfc(z) = t·exp(P(t) - z²), the derivative needed a second exp for φ, and one loop
 * with both went past C2's inlining budget, left exp a call and boxed its vectors (1 GB of heap every 0.1 s
 * in a GPT-sized backward); split into two loops through a per-thread array it took 3.1-3.2 ns a value
 * here (AVX2, one thread), this one loop 2.6 (docs/PERFORMANCE.md).
 */
final class VectorGelu {
    private VectorGelu() {}

    private static final VectorSpecies<Float> S = VectorKernels.S;
    private static final int LANES = S.length();
    private static final ByteOrder NO = ByteOrder.nativeOrder();
    private static final FloatVector ONE = FloatVector.broadcast(S, 1f);
    private static final FloatVector HALF = FloatVector.broadcast(S, 0.5f);
    private static final float INV_SQRT_2PI = (float) Elementwise.INV_SQRT_2PI;
    private static final boolean FMA = Config.FMA;
    /** Floats a chunk: the passes' loops count ints. */
    private static final int CHUNK = 1024;

    private static FloatVector load(MemorySegment m, long i) {
        return FloatVector.fromMemorySegment(S, m, i * Float.BYTES, NO);
    }

    /** {@code out = x·Φ(x)} over whole vectors up to {@code upper}. */
    static void forward(MemorySegment a, long aOff, MemorySegment out, long outOff, long upper) {
        for (long from = 0; from < upper; from += CHUNK)
            forwardChunk(a, aOff + from, out, outOff + from, (int) Math.min(CHUNK, upper - from));
    }

    private static void forwardChunk(MemorySegment a, long aOff, MemorySegment out, long outOff, int len) {
        for (int j = 0; j < len; j += LANES) {
            FloatVector x = load(a, aOff + j);
            FloatVector z = halfAbs(x);
            FloatVector cdf = phi(x, z, VectorExp.expBounded(z.mul(z).neg()));
            x.mul(cdf).intoMemorySegment(out, (outOff + j) * Float.BYTES, NO);
        }
    }

    /**
     * {@code out = x·Φ(x)} and, in place of x, {@code a = Φ(x) + x·φ(x)}, over whole vectors up to {@code upper}:
     * {@link #forward}'s and {@link #derivative}'s bits from one exp, Φ and φ a value, for a backward that needs
     * GELU's derivative at its input and nothing else of it.
     */
    static void forwardAndDerivative(MemorySegment a, long aOff, MemorySegment out, long outOff, long upper) {
        for (long from = 0; from < upper; from += CHUNK)
            forwardAndDerivativeChunk(a, aOff + from, out, outOff + from, (int) Math.min(CHUNK, upper - from));
    }

    private static void forwardAndDerivativeChunk(MemorySegment a, long aOff, MemorySegment out, long outOff, int len) {
        for (int j = 0; j < len; j += LANES) {
            FloatVector x = load(a, aOff + j);
            FloatVector z = halfAbs(x);
            FloatVector e = VectorExp.expBounded(z.mul(z).neg());
            FloatVector cdf = phi(x, z, e), density = e.mul(INV_SQRT_2PI);
            x.mul(cdf).intoMemorySegment(out, (outOff + j) * Float.BYTES, NO);
            (FMA ? x.fma(density, cdf) : x.mul(density).add(cdf)).intoMemorySegment(a, (aOff + j) * Float.BYTES, NO);
        }
    }

    /**
     * {@code Φ(x) + x·φ(x)}, times g unless g is null, over whole vectors up to {@code upper}; φ(x) is 0
     * past the clamp of z, as in float. {@code out} may be {@code a}.
     */
    static void derivative(
            MemorySegment a, long aOff, MemorySegment g, long gOff, MemorySegment out, long outOff, long upper) {
        for (long from = 0; from < upper; from += CHUNK) {
            int len = (int) Math.min(CHUNK, upper - from);
            if (g == null) derivativeChunk(a, aOff + from, out, outOff + from, len);
            else derivativeTimesChunk(a, aOff + from, g, gOff + from, out, outOff + from, len);
        }
    }

    private static void derivativeChunk(MemorySegment a, long aOff, MemorySegment out, long outOff, int len) {
        for (int j = 0; j < len; j += LANES) {
            FloatVector x = load(a, aOff + j);
            FloatVector z = halfAbs(x);
            FloatVector e = VectorExp.expBounded(z.mul(z).neg());
            FloatVector cdf = phi(x, z, e), density = e.mul(INV_SQRT_2PI);
            (FMA ? x.fma(density, cdf) : x.mul(density).add(cdf))
                    .intoMemorySegment(out, (outOff + j) * Float.BYTES, NO);
        }
    }

    private static void derivativeTimesChunk(
            MemorySegment a, long aOff, MemorySegment g, long gOff, MemorySegment out, long outOff, int len) {
        for (int j = 0; j < len; j += LANES) {
            FloatVector x = load(a, aOff + j), grad = load(g, gOff + j);
            FloatVector z = halfAbs(x);
            FloatVector e = VectorExp.expBounded(z.mul(z).neg());
            FloatVector cdf = phi(x, z, e), density = e.mul(INV_SQRT_2PI);
            (FMA ? x.fma(density, cdf) : x.mul(density).add(cdf))
                    .mul(grad)
                    .intoMemorySegment(out, (outOff + j) * Float.BYTES, NO);
        }
    }

    /** Φ(x) lane by lane from z = {@link #halfAbs}(x) and e = exp(-z²). */
    private static FloatVector phi(FloatVector x, FloatVector z, FloatVector e) {
        FloatVector t = ONE.div(FMA ? z.fma(HALF, ONE) : z.mul(0.5f).add(1f));
        FloatVector half = t.mul(0.5f).mul(FMA ? qFused(t) : qUnfused(t)).mul(e);
        return half.blend(ONE.sub(half), x.compare(VectorOperators.GE, 0f));
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

    /** Q(t) by Horner's rule, one fused multiply-add a coefficient (degree 8: see the class comment). */
    private static FloatVector qFused(FloatVector t) {
        FloatVector p = FloatVector.broadcast(S, Q8);
        p = p.fma(t, FloatVector.broadcast(S, Q7));
        p = p.fma(t, FloatVector.broadcast(S, Q6));
        p = p.fma(t, FloatVector.broadcast(S, Q5));
        p = p.fma(t, FloatVector.broadcast(S, Q4));
        p = p.fma(t, FloatVector.broadcast(S, Q3));
        p = p.fma(t, FloatVector.broadcast(S, Q2));
        p = p.fma(t, FloatVector.broadcast(S, Q1));
        return p.fma(t, FloatVector.broadcast(S, Q0));
    }

    /** As {@link #qFused}, multiply then add (where FMA is not an instruction). */
    private static FloatVector qUnfused(FloatVector t) {
        FloatVector p = FloatVector.broadcast(S, Q8);
        p = p.mul(t).add(Q7);
        p = p.mul(t).add(Q6);
        p = p.mul(t).add(Q5);
        p = p.mul(t).add(Q4);
        p = p.mul(t).add(Q3);
        p = p.mul(t).add(Q2);
        p = p.mul(t).add(Q1);
        return p.mul(t).add(Q0);
    }

    /** Q's coefficients, from {@code kernels/src/template/gelu_polynomial.py}; static finals C2 folds into constants. */
    private static final float Q0 = 0.28208640217781067f,
            Q1 = 0.28237536549568176f,
            Q2 = 0.24310317635536194f,
            Q3 = 0.2026902586221695f,
            Q4 = -0.026636410504579544f,
            Q5 = 0.27808696031570435f,
            Q6 = -0.48722103238105774f,
            Q7 = 0.2845870852470398f,
            Q8 = -0.059071846306324005f;
}
