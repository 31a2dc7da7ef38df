package vectorgrad.kernels;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.MemorySegment;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import vectorgrad.kernels.Elementwise.Binary;
import vectorgrad.kernels.Elementwise.Unary;

/**
 * Every elementwise and reduction kernel against a plain double-precision reference written here, at
 * sizes that leave every possible tail. The suite runs twice (see the pom): on the vector path and with
 * -Dvectorgrad.scalar=true on the scalar fallback.
 */
class ElementwiseTest {
    private final SplittableRandom rnd = new SplittableRandom(42);

    /** Reference in double; the kernels compute in float, hence the relative tolerance. */
    private static double ref(Unary op, double x) {
        return switch (op) {
            case NEG -> -x;
            case EXP -> Math.exp(x);
            case LOG -> Math.log(x);
            case SQRT -> Math.sqrt(x);
            case ABS -> Math.abs(x);
            case RELU -> Math.max(x, 0);
            case SIGMOID -> 1 / (1 + Math.exp(-x));
            case TANH -> Math.tanh(x);
            case SQUARE -> x * x;
            case RECIPROCAL -> 1 / x;
            case SIGN -> Math.signum(x);
            case GELU -> x * cdf(x);
            case GELU_GRAD -> cdf(x) + x * Math.exp(-x * x / 2) / Math.sqrt(2 * Math.PI);
            case GELU_TANH -> 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x * x * x)));
            case GELU_TANH_GRAD -> {
                double k = Math.sqrt(2 / Math.PI), t = Math.tanh(k * (x + 0.044715 * x * x * x));
                yield 0.5 * (1 + t) + 0.5 * x * (1 - t * t) * k * (1 + 3 * 0.044715 * x * x);
            }
            case SILU -> x / (1 + Math.exp(-x));
            case SILU_GRAD -> {
                double s = 1 / (1 + Math.exp(-x));
                yield s * (1 + x * (1 - s));
            }
        };
    }

    /** Φ(x) = erfc(-x/√2)/2 in double: erf's Taylor series near 0, erfc's continued fraction in the tails. */
    static double cdf(double x) {
        double z = Math.abs(x) / Math.sqrt(2);
        double erfc;
        if (z < 2.5) {
            double term = z, sum = z;
            for (int n = 1; n < 200; n++) {
                term *= -z * z / n;
                sum += term / (2 * n + 1);
            }
            erfc = 1 - 2 / Math.sqrt(Math.PI) * sum;
        } else {
            double f = z; // erfc(z) = exp(-z²)/√π / (z + (1/2)/(z + 1/(z + (3/2)/(z + ...))))
            for (int k = 80; k >= 1; k--) f = z + k / 2.0 / f;
            erfc = Math.exp(-z * z) / Math.sqrt(Math.PI) / f;
        }
        return x < 0 ? erfc / 2 : 1 - erfc / 2;
    }

    @Test
    void unaryMatchesReferenceAtEverySize() {
        for (Unary op : Unary.values()) {
            boolean positive = op == Unary.LOG || op == Unary.SQRT;
            for (int n : Mem.SIZES) {
                float[] a = Mem.random(rnd, n, positive ? 0.01 : -5, 5);
                if (op == Unary.RECIPROCAL) for (int i = 0; i < n; i++) if (Math.abs(a[i]) < 0.1f) a[i] = 0.5f;
                MemorySegment out = Mem.zeros(n);
                Elementwise.unary(op, Mem.of(a), 0, out, 0, n);
                float[] got = Mem.read(out, n);
                // float32 math: a few ulps (the vector EXP/LOG/TANH are within 1 ulp; the reference is double)
                // GELU's derivative crosses zero: a float sum of two terms carries an absolute error of ~1e-7
                double atol = op.name().startsWith("GELU") || op == Unary.SILU_GRAD ? 1e-6 : 1e-7;
                for (int i = 0; i < n; i++)
                    Mem.assertClose(ref(op, a[i]), got[i], 4e-6, atol, op + " n=" + n + " i=" + i);
            }
        }
    }

    /** {@code f(a)·b} in one pass: every map, every size, against the reference times the factor. */
    @Test
    void unaryMulIsTheMapTimesTheFactor() {
        for (Unary op : Unary.values()) {
            boolean positive = op == Unary.LOG || op == Unary.SQRT;
            for (int n : Mem.SIZES) {
                float[] a = Mem.random(rnd, n, positive ? 0.01 : -5, 5);
                if (op == Unary.RECIPROCAL) for (int i = 0; i < n; i++) if (Math.abs(a[i]) < 0.1f) a[i] = 0.5f;
                float[] b = Mem.random(rnd, n, -2, 2);
                MemorySegment out = Mem.zeros(n + 3);
                Elementwise.unaryMul(op, Mem.of(a), 0, Mem.of(b), 0, out, 3, n);
                float[] got = Mem.read(out, n + 3);
                double atol = op.name().startsWith("GELU") || op == Unary.SILU_GRAD ? 2e-6 : 2e-7;
                for (int i = 0; i < n; i++)
                    Mem.assertClose(ref(op, a[i]) * b[i], got[3 + i], 5e-6, atol, op + " n=" + n + " i=" + i);
            }
        }
    }

    /**
     * GELU and its derivative over the tails, where Φ's argument is clamped (|x|/√2 at 10) and its exp
     * underflows through an integer clamp, and on the special values. Relative tolerance 2.5e-5: z = |x|/√2
     * rounded to float, then squared, carries a relative error of up to 2e-7, so exp(-z²) one of 2e-7·z²:
     * 1.3e-5 seen at x = -11.9, 2e-5 at the clamp (the result's magnitude there is 1e-43). Checked to fail: the clamp at 5 instead of 10 (GELU(-∞) came out -∞, not NaN).
     */
    @Test
    void geluOnItsTailsAndSpecialValues() {
        int n = 4003;
        float[] a = Mem.random(rnd, n, -15, 15);
        float[] special = {
            Float.NaN,
            Float.POSITIVE_INFINITY,
            Float.NEGATIVE_INFINITY,
            0f,
            -0f,
            -13.5f,
            -14.2f,
            14.2f,
            -20f,
            40f,
            Float.MAX_VALUE,
            -Float.MAX_VALUE,
            Float.MIN_VALUE,
            -Float.MIN_VALUE
        };
        System.arraycopy(special, 0, a, 0, special.length);
        System.arraycopy(special, 0, a, 2000, special.length);
        for (Unary op : new Unary[] {Unary.GELU, Unary.GELU_GRAD}) {
            MemorySegment out = Mem.zeros(n);
            Elementwise.unary(op, Mem.of(a), 0, out, 0, n);
            float[] got = Mem.read(out, n);
            for (int i = 0; i < n; i++) {
                float scalar = Elementwise.unaryScalar(op, a[i]);
                if (Float.isNaN(scalar) || Float.isInfinite(a[i])) {
                    assertEquals(scalar, got[i], op + " at " + a[i]);
                    continue;
                }
                // Φ and φ below 2^-126 are flushed to 0 by the vector path, then multiplied by |x| up to 15
                Mem.assertClose(ref(op, a[i]), got[i], 2.5e-5, 2e-37, op + " at " + a[i]);
            }
        }
    }

    @Test
    void unaryWithOffsets() {
        float[] a = Mem.random(rnd, 50, -1, 1);
        MemorySegment out = Mem.zeros(50);
        Elementwise.unary(Unary.NEG, Mem.of(a), 3, out, 5, 37);
        float[] got = Mem.read(out, 50);
        for (int i = 0; i < 37; i++) assertEquals(-a[3 + i], got[5 + i]);
        assertEquals(0f, got[4]);
        assertEquals(0f, got[42]);
    }

    @Test
    void reluKeepsNaNAndZeroesNegatives() {
        float[] a = new float[33];
        for (int i = 0; i < a.length; i++) a[i] = i % 3 == 0 ? Float.NaN : (i % 3 == 1 ? -i : i);
        MemorySegment out = Mem.zeros(33);
        Elementwise.unary(Unary.RELU, Mem.of(a), 0, out, 0, 33);
        float[] got = Mem.read(out, 33);
        for (int i = 0; i < 33; i++) {
            if (i % 3 == 0) assertTrue(Float.isNaN(got[i]));
            else assertEquals(Math.max(a[i], 0f), got[i]);
        }
    }

    /**
     * ReLU and its gradient bit for bit against the scalar definition on every class of float (NaN of
     * either sign, infinities, signed zeros, subnormals, the extremes), in whole vectors and a tail: on x86
     * held to SSE they run as integer arithmetic on the bits (VectorKernels.positiveMask), elsewhere as a
     * compare and blend. Checked to fail: the mask's upper bound one above +inf's bits (a NaN kept).
     */
    @Test
    void reluAndItsGradientMatchTheDefinitionOnEveryClassOfFloat() {
        float[] special = {
            Float.NaN,
            Float.intBitsToFloat(0xffc00000),
            Float.intBitsToFloat(0x7f800001),
            Float.POSITIVE_INFINITY,
            Float.NEGATIVE_INFINITY,
            0f,
            -0f,
            Float.MIN_VALUE,
            -Float.MIN_VALUE,
            Float.MIN_NORMAL,
            -Float.MIN_NORMAL,
            Float.MAX_VALUE,
            -Float.MAX_VALUE,
            1f,
            -1f,
            0.5f,
            -2.5f
        };
        int n = special.length * special.length + 3;
        float[] x = new float[n], y = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = special[i % special.length];
            y[i] = special[(i / special.length) % special.length];
        }
        MemorySegment relu = Mem.zeros(n), grad = Mem.zeros(n);
        Elementwise.unary(Unary.RELU, Mem.of(x), 0, relu, 0, n);
        Elementwise.binary(
                Binary.RELU_BACKWARD,
                new int[] {n},
                Mem.of(x),
                0,
                new long[] {1},
                Mem.of(y),
                0,
                new long[] {1},
                grad,
                0);
        float[] r = Mem.read(relu, n), g = Mem.read(grad, n);
        for (int i = 0; i < n; i++) {
            float want = x[i] > 0f ? x[i] : (x[i] == x[i] ? 0f : x[i]);
            assertEquals(Float.floatToRawIntBits(want), Float.floatToRawIntBits(r[i]), "relu(" + x[i] + ") at " + i);
            float wantG = y[i] > 0f ? x[i] : 0f;
            assertEquals(
                    Float.floatToRawIntBits(wantG),
                    Float.floatToRawIntBits(g[i]),
                    "relu gradient " + x[i] + " at input " + y[i] + ", index " + i);
        }
    }

    @Test
    void powAffineAxpyMatchReference() {
        for (int n : Mem.SIZES) {
            float[] a = Mem.random(rnd, n, 0.1, 3);
            float[] b = Mem.random(rnd, n, -2, 2);
            for (float p : new float[] {2f, 3f, 0.5f, -1f, 1f, 1.7f, -2.5f}) {
                MemorySegment out = Mem.zeros(n);
                Elementwise.pow(Mem.of(a), 0, p, out, 0, n);
                float[] got = Mem.read(out, n);
                for (int i = 0; i < n; i++) Mem.assertClose(Math.pow(a[i], p), got[i], 4e-6, 1e-7, "pow " + p);
            }
            MemorySegment out = Mem.zeros(n);
            Elementwise.affine(Mem.of(a), 0, -1.5f, 0.25f, out, 0, n);
            float[] got = Mem.read(out, n);
            for (int i = 0; i < n; i++) Mem.assertClose(a[i] * -1.5 + 0.25, got[i], 1e-6, 1e-7, "affine");
            MemorySegment y = Mem.of(b);
            Elementwise.axpy(n, 0.75f, Mem.of(a), 0, y, 0);
            got = Mem.read(y, n);
            for (int i = 0; i < n; i++) Mem.assertClose(b[i] + 0.75 * a[i], got[i], 1e-6, 1e-6, "axpy");
        }
    }

    @Test
    void powOfNegativeBaseFollowsPyTorch() {
        float[] a = {-2f, -0.5f, 3f};
        MemorySegment out = Mem.zeros(3);
        Elementwise.pow(Mem.of(a), 0, 3f, out, 0, 3);
        assertArrayEquals(new float[] {-8f, -0.125f, 27f}, Mem.read(out, 3), 1e-6f);
        Elementwise.pow(Mem.of(a), 0, 1.5f, out, 0, 3);
        float[] got = Mem.read(out, 3);
        assertTrue(Float.isNaN(got[0]) && Float.isNaN(got[1]));
    }

    /** Reference broadcasting binary op over a contiguous output. */
    private static float[] refBinary(Binary op, int[] shape, float[] a, long[] as, float[] b, long[] bs) {
        int total = 1;
        for (int d : shape) total *= d;
        float[] out = new float[total];
        int[] idx = new int[shape.length];
        for (int i = 0; i < total; i++) {
            int rem = i;
            for (int d = shape.length - 1; d >= 0; d--) {
                idx[d] = rem % shape[d];
                rem /= shape[d];
            }
            long ao = 0, bo = 0;
            for (int d = 0; d < shape.length; d++) {
                ao += idx[d] * as[d];
                bo += idx[d] * bs[d];
            }
            double x = a[(int) ao], y = b[(int) bo];
            out[i] = (float)
                    switch (op) {
                        case ADD -> x + y;
                        case SUB -> x - y;
                        case MUL -> x * y;
                        case DIV -> x / y;
                        case RELU_BACKWARD -> y > 0 ? x : 0;
                    };
        }
        return out;
    }

    private static long[] strides(int[] shape, boolean[] broadcast) {
        long[] s = new long[shape.length];
        long acc = 1;
        for (int d = shape.length - 1; d >= 0; d--) {
            if (broadcast[d]) {
                s[d] = 0;
                continue;
            }
            s[d] = acc;
            acc *= shape[d];
        }
        return s;
    }

    @Test
    void binaryBroadcastsEveryStridePattern() {
        for (int trial = 0; trial < 300; trial++) {
            int rank = rnd.nextInt(0, 4);
            int[] shape = new int[rank];
            for (int d = 0; d < rank; d++) shape[d] = d == rank - 1 ? Mem.SIZES[rnd.nextInt(1, 16)] : rnd.nextInt(1, 5);
            boolean[] ba = new boolean[rank], bb = new boolean[rank];
            for (int d = 0; d < rank; d++) {
                ba[d] = rnd.nextInt(3) == 0;
                bb[d] = !ba[d] && rnd.nextInt(3) == 0;
            }
            long[] as = strides(shape, ba), bs = strides(shape, bb);
            int na = 1, nb = 1;
            for (int d = 0; d < rank; d++) {
                if (!ba[d]) na *= shape[d];
                if (!bb[d]) nb *= shape[d];
            }
            float[] a = Mem.random(rnd, na, -3, 3), b = Mem.random(rnd, nb, 0.5, 3);
            int total = 1;
            for (int d : shape) total *= d;
            for (Binary op : Binary.values()) {
                MemorySegment out = Mem.zeros(total);
                Elementwise.binary(op, shape, Mem.of(a), 0, as, Mem.of(b), 0, bs, out, 0);
                float[] want = refBinary(op, shape, a, as, b, bs);
                float[] got = Mem.read(out, total);
                for (int i = 0; i < total; i++)
                    Mem.assertClose(want[i], got[i], 1e-6, 0, op + " " + java.util.Arrays.toString(shape));
            }
        }
    }

    @Test
    void sumIntoReducesAnySetOfDimensions() {
        for (int trial = 0; trial < 200; trial++) {
            int rank = rnd.nextInt(1, 4);
            int[] shape = new int[rank];
            for (int d = 0; d < rank; d++) shape[d] = d == rank - 1 ? Mem.SIZES[rnd.nextInt(1, 17)] : rnd.nextInt(1, 5);
            boolean[] reduce = new boolean[rank];
            for (int d = 0; d < rank; d++) reduce[d] = rnd.nextBoolean();
            int[] outShape = shape.clone();
            for (int d = 0; d < rank; d++) if (reduce[d]) outShape[d] = 1;
            long[] os = strides(outShape, reduce);
            int total = 1, outTotal = 1;
            for (int d = 0; d < rank; d++) {
                total *= shape[d];
                outTotal *= outShape[d];
            }
            float[] in = Mem.random(rnd, total, -1, 1);
            double[] want = new double[outTotal];
            int[] idx = new int[rank];
            for (int i = 0; i < total; i++) {
                int rem = i;
                for (int d = rank - 1; d >= 0; d--) {
                    idx[d] = rem % shape[d];
                    rem /= shape[d];
                }
                long o = 0;
                for (int d = 0; d < rank; d++) o += idx[d] * os[d];
                want[(int) o] += in[i];
            }
            MemorySegment out = Mem.of(Mem.random(rnd, outTotal, 5, 6)); // garbage that must be overwritten
            Elementwise.sumInto(shape, Mem.of(in), 0, out, 0, os, outTotal);
            float[] got = Mem.read(out, outTotal);
            // float accumulation of up to ~4000 terms of size <= 1: absolute error well under 1e-4
            for (int i = 0; i < outTotal; i++)
                Mem.assertClose(want[i], got[i], 1e-5, 1e-4, "sum " + java.util.Arrays.toString(shape));
        }
    }

    @Test
    void expandRepeatsAlongZeroStrides() {
        int[] shape = {3, 4, 17};
        float[] src = Mem.random(rnd, 3 * 17, -1, 1); // source shape [3, 1, 17]
        long[] ss = {17, 0, 1};
        MemorySegment out = Mem.zeros(3 * 4 * 17);
        Elementwise.expand(shape, Mem.of(src), 0, ss, out, 0);
        float[] got = Mem.read(out, 3 * 4 * 17);
        for (int i = 0; i < 3; i++)
            for (int j = 0; j < 4; j++)
                for (int k = 0; k < 17; k++) {
                    assertEquals(src[i * 17 + k], got[(i * 4 + j) * 17 + k]);
                }
        float[] one = {2.5f};
        MemorySegment out2 = Mem.zeros(10);
        Elementwise.expand(new int[] {2, 5}, Mem.of(one), 0, new long[] {0, 0}, out2, 0);
        for (float f : Mem.read(out2, 10)) assertEquals(2.5f, f);
    }

    @Test
    void permuteMatchesIndexArithmetic() {
        int[] shape = {2, 3, 5};
        int[] perm = {2, 0, 1};
        float[] src = new float[30];
        for (int i = 0; i < 30; i++) src[i] = i;
        MemorySegment out = Mem.zeros(30);
        Elementwise.permute(shape, perm, Mem.of(src), 0, out, 0);
        float[] got = Mem.read(out, 30);
        for (int k = 0; k < 5; k++)
            for (int i = 0; i < 2; i++)
                for (int j = 0; j < 3; j++) {
                    assertEquals(src[(i * 3 + j) * 5 + k], got[(k * 2 + i) * 3 + j]);
                }
    }

    @Test
    void maxAndArgmaxKeepFirstOfTiesAndScatterBack() {
        for (int inner : new int[] {1, 3, 16, 17, 33}) {
            int outer = 3, n = 5;
            float[] in = new float[outer * n * inner];
            for (int i = 0; i < in.length; i++) in[i] = (float) Math.floor(rnd.nextDouble() * 4); // many ties
            MemorySegment vals = Mem.zeros(outer * inner), idx = Mem.zeros(outer * inner);
            Reduce.max(outer, n, inner, Mem.of(in), 0, vals, 0, idx, 0);
            float[] v = Mem.read(vals, outer * inner);
            int[] ix = new int[outer * inner];
            MemorySegment.copy(idx, java.lang.foreign.ValueLayout.JAVA_INT, 0, ix, 0, ix.length);
            for (int o = 0; o < outer; o++)
                for (int i = 0; i < inner; i++) {
                    float best = Float.NEGATIVE_INFINITY;
                    int bi = -1;
                    for (int k = 0; k < n; k++) {
                        float x = in[(o * n + k) * inner + i];
                        if (x > best) {
                            best = x;
                            bi = k;
                        }
                    }
                    assertEquals(best, v[o * inner + i]);
                    assertEquals(bi, ix[o * inner + i], "first index of the max");
                }
            float[] g = Mem.random(rnd, outer * inner, 1, 2);
            MemorySegment back = Mem.of(Mem.random(rnd, outer * n * inner, 5, 6));
            Reduce.scatterMax(outer, n, inner, Mem.of(g), 0, idx, 0, back, 0);
            float[] b = Mem.read(back, outer * n * inner);
            for (int o = 0; o < outer; o++)
                for (int k = 0; k < n; k++)
                    for (int i = 0; i < inner; i++) {
                        float want = ix[o * inner + i] == k ? g[o * inner + i] : 0f;
                        assertEquals(want, b[(o * n + k) * inner + i]);
                    }
        }
    }

    /** The non-finite scan against a plain loop, with NaN and infinities at every position (tails too). */
    @Test
    void nonFiniteFindsNaNAndInfinityAnywhere() {
        for (int n : new int[] {0, 1, 7, 15, 16, 17, 33, 100}) {
            for (int pos = 0; pos < n; pos++) {
                for (float bad : new float[] {Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY}) {
                    float[] x = Mem.random(rnd, n, -1e30, 1e30);
                    x[pos] = bad;
                    int want = Float.isNaN(bad) ? Reduce.HAS_NAN : Reduce.HAS_INFINITY;
                    assertEquals(want, Reduce.nonFinite(Mem.of(x), 0, n), "n=" + n + " at " + pos + ": " + bad);
                }
            }
            float[] x = Mem.random(rnd, n + 3, -1e30, 1e30);
            assertEquals(0, Reduce.nonFinite(Mem.of(x), 3, n), "finite, n=" + n);
            if (n > 1) {
                x[3] = Float.NaN;
                x[3 + n - 1] = Float.NEGATIVE_INFINITY;
                assertEquals(Reduce.HAS_NAN | Reduce.HAS_INFINITY, Reduce.nonFinite(Mem.of(x), 3, n));
                assertEquals(0, Reduce.nonFinite(Mem.of(x), 4, n - 2), "the scan stays inside its range");
            }
        }
    }

    @Test
    void maxPropagatesNaN() {
        float[] in = {1f, Float.NaN, 3f, 2f};
        MemorySegment vals = Mem.zeros(1), idx = Mem.zeros(1);
        Reduce.max(1, 4, 1, Mem.of(in), 0, vals, 0, idx, 0);
        assertTrue(Float.isNaN(Mem.read(vals, 1)[0]));
    }

    @Test
    void badSizesAreRejectedWithTheNumbers() {
        MemorySegment small = Mem.zeros(4);
        IllegalArgumentException e =
                assertThrows(IllegalArgumentException.class, () -> Elementwise.unary(Unary.EXP, small, 0, small, 0, 5));
        assertTrue(e.getMessage().contains("[0, 5)") && e.getMessage().contains("holds 4"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Elementwise.affine(small, -1, 1f, 0f, small, 0, 2));
        assertThrows(IllegalArgumentException.class, () -> Reduce.max(1, 0, 1, small, 0, small, 0, small, 0));
        assertThrows(
                IllegalArgumentException.class,
                () -> Elementwise.binary(
                        Binary.ADD,
                        new int[] {2, 3},
                        small,
                        0,
                        new long[] {3, 1},
                        small,
                        0,
                        new long[] {0, 1},
                        small,
                        0));
    }

    /**
     * Passes long enough to run in blocks on the pool (n past PARALLEL_MIN, not a multiple of the block):
     * the same bits on one and two threads, and each element as the one-pass kernel gives it.
     */
    @Test
    void longPassesRunInBlocksWithTheSameBits() {
        int n = (int) Elementwise.PARALLEL_MIN + 65_539;
        float[] a = Mem.random(rnd, n, -5, 5), b = Mem.random(rnd, n, -5, 5);
        int saved = Parallel.getNumThreads();
        float[][] exp = new float[2][], relu = new float[2][];
        try {
            for (int t = 1; t <= 2; t++) {
                Parallel.setNumThreads(t);
                MemorySegment out = Mem.zeros(n), out2 = Mem.zeros(n);
                Elementwise.unary(Unary.EXP, Mem.of(a), 0, out, 0, n);
                Elementwise.binary(
                        Binary.RELU_BACKWARD,
                        new int[] {n},
                        Mem.of(a),
                        0,
                        new long[] {1},
                        Mem.of(b),
                        0,
                        new long[] {1},
                        out2,
                        0);
                exp[t - 1] = Mem.read(out, n);
                relu[t - 1] = Mem.read(out2, n);
            }
        } finally {
            Parallel.setNumThreads(saved);
        }
        assertArrayEquals(exp[0], exp[1], 0f, "exp on 1 and 2 threads");
        // many runs: a [64, 32, 145] activation times a [64, 32, 1] mask (dropout2d's shape), runs of 145
        int[] shape = {64, 32, 145};
        int total = 64 * 32 * 145;
        float[] x = Mem.random(rnd, total, -1, 1), mask = Mem.random(rnd, 64 * 32, 0, 2);
        float[][] masked = new float[2][];
        try {
            for (int t = 1; t <= 2; t++) {
                Parallel.setNumThreads(t);
                MemorySegment out = Mem.zeros(total);
                Elementwise.binary(
                        Binary.MUL,
                        shape,
                        Mem.of(x),
                        0,
                        new long[] {32 * 145, 145, 1},
                        Mem.of(mask),
                        0,
                        new long[] {32, 1, 0},
                        out,
                        0);
                masked[t - 1] = Mem.read(out, total);
            }
        } finally {
            Parallel.setNumThreads(saved);
        }
        assertArrayEquals(masked[0], masked[1], 0f, "broadcast multiply on 1 and 2 threads");
        for (int i = 0; i < total; i++) assertEquals(x[i] * mask[i / 145], masked[0][i], "broadcast multiply " + i);
        assertArrayEquals(relu[0], relu[1], 0f, "relu backward on 1 and 2 threads");
        MemorySegment whole = Mem.zeros(n);
        // exp's vector form is the path where vectors have compares (else the scalar loop: Elementwise.sseVector)
        if (Simd.FULL_FLOAT_VECTORS) VectorKernels.unary(Unary.EXP, Mem.of(a), 0, whole, 0, n);
        else Elementwise.unaryScalar(Unary.EXP, Mem.of(a), 0, whole, 0, 0, n);
        assertArrayEquals(Mem.read(whole, n), exp[0], 0f, "exp in blocks as in one pass");
        for (int i = 0; i < n; i++) assertEquals(b[i] > 0 ? a[i] : 0f, relu[0][i], "relu backward " + i);
    }
}
