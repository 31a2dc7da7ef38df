package vectorgrad.kernels;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

/**
 * The Vector API bodies of the elementwise and reduction kernels. Loaded only when
 * {@link Simd#VECTOR_AVAILABLE}; every loop runs whole vectors, then hands the tail to the scalar body.
 * Arguments were checked by the public entry point.
 */
final class VectorKernels {
    private VectorKernels() {}

    static final VectorSpecies<Float> S = species();
    static final VectorSpecies<Integer> SI = IntVector.SPECIES_PREFERRED.length() == S.length()
            ? IntVector.SPECIES_PREFERRED
            : (S.length() == 8 ? IntVector.SPECIES_256 : IntVector.SPECIES_512);
    static final int LANES = S.length();
    private static final ByteOrder NO = ByteOrder.nativeOrder();
    private static final FloatVector ONE = FloatVector.broadcast(S, 1f);

    private static VectorSpecies<Float> species() {
        return switch (Config.VECTOR_BITS) {
            case 256 -> FloatVector.SPECIES_256;
            case 512 -> FloatVector.SPECIES_512;
            default -> FloatVector.SPECIES_PREFERRED;
        };
    }

    private static FloatVector load(MemorySegment m, long i) {
        return FloatVector.fromMemorySegment(S, m, i * Float.BYTES, NO);
    }

    private static void store(FloatVector v, MemorySegment m, long i) {
        v.intoMemorySegment(m, i * Float.BYTES, NO);
    }

    /**
     * One method per op: with every loop in one method (18 of them), C2 ran out of inlining budget, left
     * {@code load} and {@code phi} as calls and boxed their vectors (a GPT step allocated 1.7 GB/s of heap
     * there, and its GELU ran 3x slower than alone).
     */
    static void unary(Elementwise.Unary op, MemorySegment a, long aOff, MemorySegment out, long outOff, long n) {
        long upper = n - n % LANES;
        switch (op) {
            case NEG -> unaryNeg(a, aOff, out, outOff, upper);
            case EXP -> unaryExp(a, aOff, out, outOff, upper);
            case LOG -> unaryLog(a, aOff, out, outOff, upper);
            case SQRT -> unarySqrt(a, aOff, out, outOff, upper);
            case ABS -> unaryAbs(a, aOff, out, outOff, upper);
            case RELU -> unaryRelu(a, aOff, out, outOff, upper);
            case SIGMOID -> unarySigmoid(a, aOff, out, outOff, upper);
            case TANH -> unaryTanh(a, aOff, out, outOff, upper);
            case SQUARE -> unarySquare(a, aOff, out, outOff, upper);
            case SIGN -> unarySign(a, aOff, out, outOff, upper);
            case RECIPROCAL -> unaryReciprocal(a, aOff, out, outOff, upper);
            case GELU -> VectorGelu.forward(a, aOff, out, outOff, upper);
            case GELU_GRAD -> VectorGelu.derivative(a, aOff, null, 0, out, outOff, upper);
            case GELU_TANH -> unaryGeluTanh(a, aOff, out, outOff, upper);
            case GELU_TANH_GRAD -> unaryGeluTanhGrad(a, aOff, out, outOff, upper);
            case SILU -> unarySilu(a, aOff, out, outOff, upper);
            case SILU_GRAD -> unarySiluGrad(a, aOff, out, outOff, upper);
        }
        Elementwise.unaryScalar(op, a, aOff, out, outOff, upper, n);
    }

    /** {@code out = gelu(a)} and {@code a = gelu'(a)} (see {@link Elementwise#unaryWithDerivativeLocal}). */
    static void geluWithDerivative(MemorySegment a, long aOff, MemorySegment out, long outOff, long n) {
        long upper = n - n % LANES;
        VectorGelu.forwardAndDerivative(a, aOff, out, outOff, upper);
        Elementwise.unaryScalar(Elementwise.Unary.GELU, a, aOff, out, outOff, upper, n);
        Elementwise.unaryScalar(Elementwise.Unary.GELU_GRAD, a, aOff, a, aOff, upper, n);
    }

    /** {@code out = f(a)·b}: a map's derivative times the incoming gradient (see {@link Elementwise#unaryMul}). */
    static void unaryMul(
            Elementwise.Unary op,
            MemorySegment a,
            long aOff,
            MemorySegment b,
            long bOff,
            MemorySegment out,
            long outOff,
            long n) {
        long upper = n - n % LANES;
        if (op == Elementwise.Unary.GELU_GRAD) {
            VectorGelu.derivative(a, aOff, b, bOff, out, outOff, upper);
        } else {
            // the map into a per-thread block in cache, then the product: out may be b (a row epilogue's
            // C = op(other)·C), which the map must not overwrite before it is read
            MemorySegment t = MAP_BLOCK.get(MAP_BLOCK_FLOATS);
            for (long from = 0; from < upper; from += MAP_BLOCK_FLOATS) {
                long len = Math.min(MAP_BLOCK_FLOATS, upper - from);
                unary(op, a, aOff + from, t, 0, len);
                for (long i = 0; i < len; i += LANES)
                    store(load(t, i).mul(load(b, bOff + from + i)), out, outOff + from + i);
            }
        }
        Elementwise.unaryMulScalar(op, a, aOff, b, bOff, out, outOff, upper, n);
    }

    /** {@link #unaryMul}'s block of mapped values: whole vectors, small enough to stay in L1. */
    private static final int MAP_BLOCK_FLOATS = 1024;

    private static final ThreadScratch.NativeFloats MAP_BLOCK = new ThreadScratch.NativeFloats();

    private static void unaryNeg(MemorySegment a, long aOff, MemorySegment out, long outOff, long upper) {
        long i = 0;
        for (; i < upper; i += LANES) store(load(a, aOff + i).neg(), out, outOff + i);
    }

    private static void unaryExp(MemorySegment a, long aOff, MemorySegment out, long outOff, long upper) {
        long i = 0;
        for (; i < upper; i += LANES) store(VectorExp.exp(load(a, aOff + i)), out, outOff + i);
    }

    private static void unaryLog(MemorySegment a, long aOff, MemorySegment out, long outOff, long upper) {
        long i = 0;
        for (; i < upper; i += LANES) store(load(a, aOff + i).lanewise(VectorOperators.LOG), out, outOff + i);
    }

    private static void unarySqrt(MemorySegment a, long aOff, MemorySegment out, long outOff, long upper) {
        long i = 0;
        for (; i < upper; i += LANES) store(load(a, aOff + i).sqrt(), out, outOff + i);
    }

    private static void unaryAbs(MemorySegment a, long aOff, MemorySegment out, long outOff, long upper) {
        long i = 0;
        for (; i < upper; i += LANES) store(load(a, aOff + i).abs(), out, outOff + i);
    }

    private static void unaryRelu(MemorySegment a, long aOff, MemorySegment out, long outOff, long upper) {
        for (long i = 0; i < upper; i += LANES) store(relu(load(a, aOff + i)), out, outOff + i);
    }

    /**
     * {@code x > 0 ? x : 0}, NaN kept (a blend rather than max, so NaN inputs stay NaN as in PyTorch); without
     * float compares, the bits of x masked by {@link #positiveMask} or NaN's (small: C2 inlines it, as
     * {@link #reluGradient}).
     */
    private static FloatVector relu(FloatVector x) {
        if (COMPARES) return x.blend(0f, x.compare(VectorOperators.LE, 0f));
        IntVector bits = x.reinterpretAsInts();
        // NaN: 0x7f800000 - |bits| < 0
        IntVector nan = bits.and(0x7fffffff).neg().add(0x7f800000).lanewise(VectorOperators.ASHR, 31);
        return bits.and(positiveMask(bits).or(nan)).reinterpretAsFloats();
    }

    /**
     * Whether float compares, min, max, sqrt and masked loads and stores are vector instructions: not on x86
     * without AVX (C2 implements them with AVX only), where ReLU and its gradient take the integer forms below.
     */
    private static final boolean COMPARES = Simd.FULL_FLOAT_VECTORS;

    /**
     * All ones in the lanes whose float (as bits) is greater than zero, from integer arithmetic: the bits
     * lie in [1, 0x7f800000] (the smallest subnormal to +inf; NaN and anything with the sign bit outside)
     * exactly when both {@code bits - 1} and {@code 0x7f800000 - bits} are non-negative.
     */
    private static IntVector positiveMask(IntVector bits) {
        return bits.sub(1)
                .or(bits.neg().add(0x7f800000))
                .lanewise(VectorOperators.ASHR, 31)
                .not();
    }

    /** {@code g[i] = y[i] > 0 ? g[i] : 0} over n values: a ReLU's gradient applied to a heap copy of dy. */
    static void reluGradientInPlace(float[] g, int off, MemorySegment y, long yOff, int n) {
        int upper = n - n % LANES;
        for (int i = 0; i < upper; i += LANES) {
            FloatVector v = FloatVector.fromArray(S, g, off + i);
            reluGradient(v, load(y, yOff + i)).intoArray(g, off + i);
        }
        for (int i = upper; i < n; i++)
            g[off + i] = Elementwise.binaryScalar(
                    Elementwise.Binary.RELU_BACKWARD, g[off + i], y.getAtIndex(Elementwise.F, yOff + i));
    }

    /**
     * ReLU's gradient {@code y > 0 ? x : 0}: a compare and blend, or without float compares the bits of x
     * masked by {@link #positiveMask} of y's (small: C2 inlines it into the loops, so no vector is boxed).
     */
    private static FloatVector reluGradient(FloatVector x, FloatVector y) {
        return COMPARES
                ? FloatVector.zero(S).blend(x, y.compare(VectorOperators.GT, 0f))
                : x.reinterpretAsInts().and(positiveMask(y.reinterpretAsInts())).reinterpretAsFloats();
    }

    private static void unarySigmoid(MemorySegment a, long aOff, MemorySegment out, long outOff, long upper) {
        long i = 0;
        for (; i < upper; i += LANES) {
            FloatVector x = load(a, aOff + i);
            store(ONE.div(VectorExp.exp(x.neg()).add(1f)), out, outOff + i);
        }
    }

    private static void unaryTanh(MemorySegment a, long aOff, MemorySegment out, long outOff, long upper) {
        long i = 0;
        for (; i < upper; i += LANES) store(load(a, aOff + i).lanewise(VectorOperators.TANH), out, outOff + i);
    }

    private static void unarySquare(MemorySegment a, long aOff, MemorySegment out, long outOff, long upper) {
        long i = 0;
        for (; i < upper; i += LANES) {
            FloatVector x = load(a, aOff + i);
            store(x.mul(x), out, outOff + i);
        }
    }

    private static void unarySign(MemorySegment a, long aOff, MemorySegment out, long outOff, long upper) {
        long i = 0;
        FloatVector one = ONE, minusOne = ONE.neg();
        for (; i < upper; i += LANES) {
            FloatVector x = load(a, aOff + i);
            // 0 stays 0 and NaN stays NaN: only strictly positive/negative lanes are replaced
            store(
                    x.blend(one, x.compare(VectorOperators.GT, 0f)).blend(minusOne, x.compare(VectorOperators.LT, 0f)),
                    out,
                    outOff + i);
        }
    }

    private static void unaryReciprocal(MemorySegment a, long aOff, MemorySegment out, long outOff, long upper) {
        long i = 0;
        for (; i < upper; i += LANES) store(ONE.div(load(a, aOff + i)), out, outOff + i);
    }

    private static void unaryGeluTanh(MemorySegment a, long aOff, MemorySegment out, long outOff, long upper) {
        long i = 0;
        for (; i < upper; i += LANES) {
            FloatVector x = load(a, aOff + i);
            store(x.mul(0.5f).mul(geluTanh(x).add(1f)), out, outOff + i);
        }
    }

    private static void unaryGeluTanhGrad(MemorySegment a, long aOff, MemorySegment out, long outOff, long upper) {
        long i = 0;
        float k = (float) Elementwise.SQRT_2_OVER_PI, c3 = (float) (3 * Elementwise.GELU_C);
        for (; i < upper; i += LANES) {
            FloatVector x = load(a, aOff + i);
            FloatVector t = geluTanh(x);
            FloatVector inner = x.mul(x).mul(c3).add(1f).mul(k);
            FloatVector sech2 = ONE.sub(t.mul(t));
            store(t.add(1f).mul(0.5f).add(x.mul(0.5f).mul(sech2).mul(inner)), out, outOff + i);
        }
    }

    private static void unarySilu(MemorySegment a, long aOff, MemorySegment out, long outOff, long upper) {
        long i = 0;
        for (; i < upper; i += LANES) {
            FloatVector x = load(a, aOff + i);
            store(x.div(VectorExp.exp(x.neg()).add(1f)), out, outOff + i);
        }
    }

    private static void unarySiluGrad(MemorySegment a, long aOff, MemorySegment out, long outOff, long upper) {
        long i = 0;
        for (; i < upper; i += LANES) {
            FloatVector x = load(a, aOff + i);
            FloatVector sg = ONE.div(VectorExp.exp(x.neg()).add(1f));
            store(sg.mul(x.mul(ONE.sub(sg)).add(1f)), out, outOff + i);
        }
    }

    static void pow(MemorySegment a, long aOff, float p, MemorySegment out, long outOff, long n) {
        long upper = n - n % LANES;
        for (long i = 0; i < upper; i += LANES) {
            store(load(a, aOff + i).lanewise(VectorOperators.POW, p), out, outOff + i);
        }
        Elementwise.powScalar(a, aOff, p, out, outOff, upper, n);
    }

    private static FloatVector geluTanh(FloatVector x) {
        return x.mul(x)
                .mul(x)
                .mul((float) Elementwise.GELU_C)
                .add(x)
                .mul((float) Elementwise.SQRT_2_OVER_PI)
                .lanewise(VectorOperators.TANH);
    }

    static void affine(MemorySegment a, long aOff, float scale, float shift, MemorySegment out, long outOff, long n) {
        long upper = n - n % LANES;
        for (long i = 0; i < upper; i += LANES) {
            store(load(a, aOff + i).mul(scale).add(shift), out, outOff + i);
        }
        Elementwise.affineScalar(a, aOff, scale, shift, out, outOff, upper, n);
    }

    /** {@link #affine} then ReLU in one pass: the same bits as the two. */
    static void affineRelu(MemorySegment a, long off, float scale, float shift, MemorySegment out, long n) {
        long upper = n - n % LANES;
        for (long i = 0; i < upper; i += LANES) {
            store(relu(load(a, off + i).mul(scale).add(shift)), out, off + i);
        }
        Elementwise.affineReluScalar(a, null, off, scale, shift, out, upper, n);
    }

    /**
     * {@code out = a·scale + shift > 0 ? g : 0}: the gradient through a ReLU of {@link #affine}'s output,
     * recomputed with its bits.
     */
    static void reluGradientOfAffine(
            MemorySegment g, MemorySegment a, long off, float scale, float shift, MemorySegment out, long n) {
        long upper = n - n % LANES;
        for (long i = 0; i < upper; i += LANES) {
            store(reluGradient(load(g, off + i), load(a, off + i).mul(scale).add(shift)), out, off + i);
        }
        Elementwise.reluGradientOfAffineScalar(g, a, null, off, scale, shift, out, upper, n);
    }

    /** {@code out = relu(a·scale + shift + r)}: {@link #affine}, an add of r, then ReLU in one pass, the same bits. */
    static void affineAddRelu(
            MemorySegment a, MemorySegment r, long off, float scale, float shift, MemorySegment out, long n) {
        long upper = n - n % LANES;
        for (long i = 0; i < upper; i += LANES) {
            store(relu(load(a, off + i).mul(scale).add(shift).add(load(r, off + i))), out, off + i);
        }
        Elementwise.affineReluScalar(a, r, off, scale, shift, out, upper, n);
    }

    /** {@code out = a·scale + shift + r > 0 ? g : 0}: {@link #reluGradientOfAffine} with the add of r. */
    static void reluGradientOfAffineAdd(
            MemorySegment g,
            MemorySegment a,
            MemorySegment r,
            long off,
            float scale,
            float shift,
            MemorySegment out,
            long n) {
        long upper = n - n % LANES;
        for (long i = 0; i < upper; i += LANES) {
            FloatVector y = load(a, off + i).mul(scale).add(shift).add(load(r, off + i));
            store(reluGradient(load(g, off + i), y), out, off + i);
        }
        Elementwise.reluGradientOfAffineScalar(g, a, r, off, scale, shift, out, upper, n);
    }

    static void axpy(long n, float alpha, MemorySegment x, long xOff, MemorySegment y, long yOff) {
        long upper = n - n % LANES;
        for (long i = 0; i < upper; i += LANES) {
            store(load(y, yOff + i).add(load(x, xOff + i).mul(alpha)), y, yOff + i);
        }
        Elementwise.axpyScalar(n, alpha, x, xOff, y, yOff, upper);
    }

    /**
     * One innermost run of a broadcasting binary op; each stride is 0 (repeat) or 1 (contiguous).
     * One flat loop per op and stride pattern: a vector chosen by a branch inside the loop would be
     * boxed by C2 and run many times slower.
     */
    static void binaryRun(
            Elementwise.Binary op,
            MemorySegment a,
            long ao,
            long sa,
            MemorySegment b,
            long bo,
            long sb,
            MemorySegment out,
            long oo,
            long n) {
        long upper = n - n % LANES;
        if (sa == 1 && sb == 1) {
            switch (op) {
                case ADD -> {
                    for (long i = 0; i < upper; i += LANES) {
                        FloatVector x = load(a, ao + i), y = load(b, bo + i);
                        store(x.add(y), out, oo + i);
                    }
                }
                case SUB -> {
                    for (long i = 0; i < upper; i += LANES) {
                        FloatVector x = load(a, ao + i), y = load(b, bo + i);
                        store(x.sub(y), out, oo + i);
                    }
                }
                case MUL -> {
                    for (long i = 0; i < upper; i += LANES) {
                        FloatVector x = load(a, ao + i), y = load(b, bo + i);
                        store(x.mul(y), out, oo + i);
                    }
                }
                case DIV -> {
                    for (long i = 0; i < upper; i += LANES) {
                        FloatVector x = load(a, ao + i), y = load(b, bo + i);
                        store(x.div(y), out, oo + i);
                    }
                }
                case RELU_BACKWARD -> {
                    for (long i = 0; i < upper; i += LANES) {
                        FloatVector x = load(a, ao + i), y = load(b, bo + i);
                        store(reluGradient(x, y), out, oo + i);
                    }
                }
            }
        } else if (sa == 0 && sb == 1) {
            FloatVector x = FloatVector.broadcast(S, a.getAtIndex(Elementwise.F, ao));
            switch (op) {
                case ADD -> {
                    for (long i = 0; i < upper; i += LANES) {
                        FloatVector y = load(b, bo + i);
                        store(x.add(y), out, oo + i);
                    }
                }
                case SUB -> {
                    for (long i = 0; i < upper; i += LANES) {
                        FloatVector y = load(b, bo + i);
                        store(x.sub(y), out, oo + i);
                    }
                }
                case MUL -> {
                    for (long i = 0; i < upper; i += LANES) {
                        FloatVector y = load(b, bo + i);
                        store(x.mul(y), out, oo + i);
                    }
                }
                case DIV -> {
                    for (long i = 0; i < upper; i += LANES) {
                        FloatVector y = load(b, bo + i);
                        store(x.div(y), out, oo + i);
                    }
                }
                case RELU_BACKWARD -> {
                    for (long i = 0; i < upper; i += LANES) {
                        FloatVector y = load(b, bo + i);
                        store(reluGradient(x, y), out, oo + i);
                    }
                }
            }
        } else if (sa == 1 && sb == 0) {
            FloatVector y = FloatVector.broadcast(S, b.getAtIndex(Elementwise.F, bo));
            switch (op) {
                case ADD -> {
                    for (long i = 0; i < upper; i += LANES) {
                        FloatVector x = load(a, ao + i);
                        store(x.add(y), out, oo + i);
                    }
                }
                case SUB -> {
                    for (long i = 0; i < upper; i += LANES) {
                        FloatVector x = load(a, ao + i);
                        store(x.sub(y), out, oo + i);
                    }
                }
                case MUL -> {
                    for (long i = 0; i < upper; i += LANES) {
                        FloatVector x = load(a, ao + i);
                        store(x.mul(y), out, oo + i);
                    }
                }
                case DIV -> {
                    for (long i = 0; i < upper; i += LANES) {
                        FloatVector x = load(a, ao + i);
                        store(x.div(y), out, oo + i);
                    }
                }
                case RELU_BACKWARD -> {
                    for (long i = 0; i < upper; i += LANES) {
                        FloatVector x = load(a, ao + i);
                        store(reluGradient(x, y), out, oo + i);
                    }
                }
            }
        } else {
            upper = 0; // both repeated: a run of one value, the scalar body does it
        }
        Elementwise.binaryRunScalar(op, a, ao, sa, b, bo, sb, out, oo, upper, n);
    }

    /**
     * The lanes of {@code v} added as a fixed tree: lane i with lane i + LANES/2, then the halves of that,
     * down to one lane. Not {@code reduceLanes(ADD)}: its association order is unspecified and differs
     * between the interpreter and C2's intrinsic, so the same call gave different bits before and after
     * JIT compilation (seen as a training run that did not repeat itself). The tree is 4 shuffles and adds
     * on 16 lanes, where adding lane by lane takes 15 lane extractions.
     */
    static float sumLanes(FloatVector v) {
        // LANES is a constant: the untaken levels fold away, the shuffles are constants (one vpermps each)
        FloatVector t = v;
        if (LANES >= 16) t = t.add(t.rearrange(FOLD8));
        if (LANES >= 8) t = t.add(t.rearrange(FOLD4));
        if (LANES >= 4) t = t.add(t.rearrange(FOLD2));
        if (LANES >= 2) t = t.add(t.rearrange(FOLD1));
        return t.lane(0);
    }

    /**
     * {@code sums[r] = }{@link #sumLanes(FloatVector) sumLanes}{@code (lanes[r·LANES..])} for
     * r < rows (the same additions in the same order, so the same bits), {@code LANES} rows at a time by
     * vectors: each level of sumLanes' tree (lane l plus lane l + h) is one add of two vectors, each
     * holding the low and the high h lanes of a row from a pair of vectors ({@code rearrange} of two) —
     * log2(LANES) levels for LANES rows, where the scalar tree took LANES - 1 dependent loads, adds and
     * stores a row. {@code lanes} is used as scratch; rows up to the next multiple of LANES are read
     * (whatever they hold) and their sums written, so both arrays must reach that far.
     */
    static void rowSums(float[] lanes, int rows, float[] sums) {
        RowSums.rowSums(lanes, rows, sums);
    }

    /**
     * {@link #rowSums}' body and shuffles, in a class of their own so that the shuffles are built at its first
     * use (building shuffles costs tens of ms before C2 has compiled them, see Simd), not by every vector
     * kernel's first call.
     */
    private static final class RowSums {
        private RowSums() {}

        static void rowSums(float[] lanes, int rows, float[] sums) {
            for (int r0 = 0; r0 < rows; r0 += LANES) {
                int base = r0 * LANES;
                // level h: vectors 2i and 2i+1 (rows of 2h lanes each) folded into vector i (rows of h lanes)
                // (LANES is a constant: the untaken levels fold away)
                int count = foldPairs(lanes, base, LANES, LOW1, HIGH1);
                if (LANES >= 4) count = foldPairs(lanes, base, count, LOW2, HIGH2);
                if (LANES >= 8) count = foldPairs(lanes, base, count, LOW3, HIGH3);
                if (LANES >= 16) foldPairs(lanes, base, count, LOW4, HIGH4);
                FloatVector.fromArray(S, lanes, base).intoArray(sums, r0);
            }
        }

        /** One level of {@link #rowSums}' tree over {@code count} vectors at {@code buf[base..]}; returns count / 2. */
        private static int foldPairs(
                float[] buf, int base, int count, VectorShuffle<Float> lo, VectorShuffle<Float> hi) {
            for (int i = 0; i < count / 2; i++) {
                FloatVector a = FloatVector.fromArray(S, buf, base + 2 * i * LANES),
                        b = FloatVector.fromArray(S, buf, base + (2 * i + 1) * LANES);
                a.rearrange(lo, b).add(a.rearrange(hi, b)).intoArray(buf, base + i * LANES);
            }
            return count / 2;
        }

        /**
         * The two halves a level of {@link #rowSums} adds: of rows of 2h lanes (the first vector's rows, then
         * the second's), lane e of each row's low half (high half: {@code high}) to lane {@code row·h + e} of
         * the result. Indexes from LANES on select the second vector (rearrange's exceptional lanes).
         */
        private static VectorShuffle<Float> fold(int h, boolean high) {
            int rowsPerVector = LANES / (2 * h);
            return VectorShuffle.fromOp(S, o -> {
                int row = o / h, e = o % h;
                int from = row < rowsPerVector ? 0 : LANES, slot = row % rowsPerVector;
                return from + slot * 2 * h + (high ? h : 0) + e;
            });
        }

        /** Level n of the tree folds rows of LANES / 2^(n-1) lanes in half (an untaken level: any valid shuffle). */
        private static final VectorShuffle<Float> LOW1 = fold(Math.max(1, LANES / 2), false),
                HIGH1 = fold(Math.max(1, LANES / 2), true),
                LOW2 = fold(Math.max(1, LANES / 4), false),
                HIGH2 = fold(Math.max(1, LANES / 4), true),
                LOW3 = fold(Math.max(1, LANES / 8), false),
                HIGH3 = fold(Math.max(1, LANES / 8), true),
                LOW4 = fold(Math.max(1, LANES / 16), false),
                HIGH4 = fold(Math.max(1, LANES / 16), true);
    }

    /** FOLDh moves lane i + h onto lane i (the upper lanes' results are never read). */
    private static final VectorShuffle<Float> FOLD8 = fold(8), FOLD4 = fold(4), FOLD2 = fold(2), FOLD1 = fold(1);

    private static VectorShuffle<Float> fold(int h) {
        return VectorShuffle.fromOp(S, i -> (i + h) % LANES);
    }

    /**
     * dst[d..d+n) = src[s..s+n) for a short run (im2col's rows: 24 floats in the MNIST model's second
     * layer): vector moves with a masked tail instead of a System.arraycopy call per row, whose fixed
     * cost dominates a run this short.
     */
    static void copyRun(float[] src, int s, float[] dst, int d, int n) {
        int i = 0;
        for (; i + LANES <= n; i += LANES) FloatVector.fromArray(S, src, s + i).intoArray(dst, d + i);
        if (i < n) {
            VectorMask<Float> m = S.indexInRange(i, n);
            FloatVector.fromArray(S, src, s + i, m).intoArray(dst, d + i, m);
        }
    }

    /**
     * dst[d..d+n) = src[s..s+n) in whole vectors, without a masked tail: reads and writes up to LANES-1
     * floats past the run. For packing loops whose next run overwrites that spill (the implicit
     * convolution's panels: a masked tail per 24-float row was most of their cost).
     */
    static void copyRunSpill(float[] src, int s, float[] dst, int d, int n) {
        for (int i = 0; i < n; i += LANES) FloatVector.fromArray(S, src, s + i).intoArray(dst, d + i);
    }

    /** {@code Σ a[off..off+n)}: four vector accumulators, then the tail. */
    static float sum(float[] a, int off, int n) {
        FloatVector s0 = FloatVector.zero(S),
                s1 = FloatVector.zero(S),
                s2 = FloatVector.zero(S),
                s3 = FloatVector.zero(S);
        int i = 0;
        for (; i + 4 * LANES <= n; i += 4 * LANES) {
            s0 = s0.add(FloatVector.fromArray(S, a, off + i));
            s1 = s1.add(FloatVector.fromArray(S, a, off + i + LANES));
            s2 = s2.add(FloatVector.fromArray(S, a, off + i + 2 * LANES));
            s3 = s3.add(FloatVector.fromArray(S, a, off + i + 3 * LANES));
        }
        for (; i + LANES <= n; i += LANES) s0 = s0.add(FloatVector.fromArray(S, a, off + i));
        float t = sumLanes(s0.add(s1).add(s2.add(s3)));
        for (; i < n; i++) t += a[off + i];
        return t;
    }

    /** {@code sums[sOff + l] += Σ_{q<count} a[off + q·stride + l]} for l below the vector length: column sums of a row-major block. */
    static void addColumnSums(float[] a, int off, int stride, int count, float[] sums, int sOff) {
        FloatVector s = FloatVector.zero(S);
        for (int q = 0; q < count; q++) s = s.add(FloatVector.fromArray(S, a, off + q * stride));
        s.add(FloatVector.fromArray(S, sums, sOff)).intoArray(sums, sOff);
    }

    /** dst[d..d+n) += src[s..s+n) for a short run (col2im's rows), vectorised with a masked tail. */
    static void addRun(float[] src, int s, float[] dst, int d, int n) {
        int i = 0;
        for (; i + LANES <= n; i += LANES) {
            FloatVector.fromArray(S, dst, d + i)
                    .add(FloatVector.fromArray(S, src, s + i))
                    .intoArray(dst, d + i);
        }
        if (i < n) {
            VectorMask<Float> m = S.indexInRange(i, n);
            FloatVector.fromArray(S, dst, d + i, m)
                    .add(FloatVector.fromArray(S, src, s + i, m))
                    .intoArray(dst, d + i, m);
        }
    }

    /** out[off..off+n) = value, with vector stores (a few rows of a GEMM tile: no slice, no call into fill). */
    static void fill(MemorySegment out, long off, int n, float value) {
        FloatVector v = FloatVector.broadcast(S, value);
        int upper = n - n % LANES;
        for (int i = 0; i < upper; i += LANES) v.intoMemorySegment(out, (off + i) * Float.BYTES, NO);
        for (int i = upper; i < n; i++) out.setAtIndex(ValueLayout.JAVA_FLOAT, off + i, value);
    }

    static int nonFinite(MemorySegment in, long off, long n) {
        long upper = n - n % LANES;
        VectorMask<Float> nan = S.maskAll(false), inf = S.maskAll(false);
        for (long i = 0; i < upper; i += LANES) {
            FloatVector v = load(in, off + i);
            nan = nan.or(v.test(VectorOperators.IS_NAN));
            inf = inf.or(v.test(VectorOperators.IS_INFINITE));
        }
        int flags = (nan.anyTrue() ? Reduce.HAS_NAN : 0) | (inf.anyTrue() ? Reduce.HAS_INFINITY : 0);
        return flags | Reduce.nonFiniteScalar(in, off, upper, n);
    }

    static float sum(MemorySegment in, long off, long n) {
        long upper = n - n % LANES;
        FloatVector acc = FloatVector.zero(S);
        for (long i = 0; i < upper; i += LANES) acc = acc.add(load(in, off + i));
        return VectorKernels.sumLanes(acc) + Elementwise.sumScalar(in, off, upper, n);
    }

    /**
     * {@code Σ_b Σ_i in[off + b·stride + i]} over {@code count} runs of {@code n} floats (a convolution's
     * bias gradient: one channel's planes over the batch). Four accumulators, so the adds are not one
     * dependent chain, and each run's tail is a masked load into the same accumulators.
     */
    static float sumRuns(MemorySegment in, long off, long stride, int count, int n) {
        FloatVector a0 = FloatVector.zero(S),
                a1 = FloatVector.zero(S),
                a2 = FloatVector.zero(S),
                a3 = FloatVector.zero(S);
        int upper4 = n - n % (4 * LANES), upper = n - n % LANES;
        VectorMask<Float> tail = S.indexInRange(upper, n);
        for (int b = 0; b < count; b++) {
            long base = off + b * stride;
            int i = 0;
            for (; i < upper4; i += 4 * LANES) {
                a0 = a0.add(load(in, base + i));
                a1 = a1.add(load(in, base + i + LANES));
                a2 = a2.add(load(in, base + i + 2 * LANES));
                a3 = a3.add(load(in, base + i + 3 * LANES));
            }
            for (; i < upper; i += LANES) a0 = a0.add(load(in, base + i));
            if (upper < n) a1 = a1.add(FloatVector.fromMemorySegment(S, in, (base + upper) * Float.BYTES, NO, tail));
        }
        return sumLanes(a0.add(a1).add(a2.add(a3)));
    }

    /** Running max and first argmax over k of {@code in[o*n*inner + k*inner + i]}, vectorised over i. */
    static void maxInner(
            MemorySegment in, long base, int n, int inner, MemorySegment vals, long vo, MemorySegment idx, long io) {
        int upper = inner - inner % LANES;
        for (int i = 0; i < upper; i += LANES) {
            FloatVector best = load(in, base + i);
            IntVector bestIdx = IntVector.zero(SI);
            for (int k = 1; k < n; k++) {
                FloatVector v = load(in, base + (long) k * inner + i);
                // strictly greater keeps the first index on ties; a NaN wins once, as in the scalar body
                VectorMask<Float> gt = v.compare(VectorOperators.GT, best)
                        .or(v.test(VectorOperators.IS_NAN).andNot(best.test(VectorOperators.IS_NAN)));
                best = best.blend(v, gt);
                bestIdx = bestIdx.blend(k, gt.cast(SI));
            }
            store(best, vals, vo + i);
            bestIdx.intoMemorySegment(idx, (io + i) * Integer.BYTES, NO);
        }
        Reduce.maxInnerScalar(in, base, n, inner, vals, vo, idx, io, upper);
    }
}
