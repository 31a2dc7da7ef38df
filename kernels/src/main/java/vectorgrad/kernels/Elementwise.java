package vectorgrad.kernels;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Elementwise maps, broadcasting binary ops and sum-reductions over float32 memory.
 *
 * <p>Offsets and lengths count floats, not bytes. Strides are in floats too; a stride of 0 repeats an
 * element along that dimension, which is how broadcasting reaches the kernels. Each public method checks
 * its arguments against the segments once; the loops behind it do not.
 *
 * <p>Each method has a scalar body here, used alone on the scalar path and for the tail (the last
 * {@code n % lanes} elements) on the vector path; the vector bodies live in {@link VectorKernels}.
 */
public final class Elementwise {
    private Elementwise() {}

    static {
        ColdStart.begin(); // tensors filled or copied: the kernels' first use (see ColdStart)
    }

    static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT;
    static final boolean V = Simd.VECTOR_AVAILABLE;

    /** Unary maps {@code out[i] = f(a[i])}. */
    public enum Unary {
        NEG,
        EXP,
        LOG,
        SQRT,
        ABS,
        RELU,
        SIGMOID,
        TANH,
        SQUARE,
        RECIPROCAL,
        SIGN,
        /**
         * Exact GELU, {@code x·Φ(x)}, Φ from an erfc of relative error of a few 1e-7 in float
         * ({@link Elementwise#phi} here, {@link VectorGelu}'s fit in the vector form).
         */
        GELU,
        /** d/dx of {@link #GELU}: {@code Φ(x) + x·φ(x)}. */
        GELU_GRAD,
        /** GELU's tanh approximation, {@code x/2·(1 + tanh(√(2/π)·(x + 0.044715·x³)))}. */
        GELU_TANH,
        /** d/dx of {@link #GELU_TANH}. */
        GELU_TANH_GRAD,
        /** SiLU (swish), {@code x·σ(x)}. */
        SILU,
        /** d/dx of {@link #SILU}: {@code σ(x)·(1 + x·(1 - σ(x)))}. */
        SILU_GRAD
    }

    /** Binary maps {@code out[i] = f(a[i], b[i])}. */
    public enum Binary {
        ADD,
        SUB,
        MUL,
        DIV,
        /** {@code b > 0 ? a : 0}: the gradient {@code a} of relu at input {@code b}. */
        RELU_BACKWARD
    }

    // ---------------------------------------------------------------- unary

    public static void unary(Unary op, MemorySegment a, long aOff, MemorySegment out, long outOff, long n) {
        Check.floats(a, aOff, n, "unary ", op, " input");
        Check.floats(out, outOff, n, "unary ", op, " output");
        boolean v = V && (Simd.FULL_FLOAT_VECTORS || sseVector(op));
        if (v && ColdKernels.exact(op) && ColdStart.cold(ColdStart.Kernel.EXACT_MAPS, n)) {
            // cold: the scalar map, whose results these maps' vector forms equal bit for bit
            ColdKernels.unary(op, a, aOff, out, outOff, n);
            ColdStart.served(ColdStart.Kernel.EXACT_MAPS, new ColdStart.MapCall(op, n));
            return;
        }
        // in blocks on the pool, each the vector loop or, for a map without its vector form here (x86 held to
        // SSE), the scalar one
        if (V && n >= PARALLEL_MIN) inBlocks(n, (from, len) -> unaryLocal(op, a, aOff + from, out, outOff + from, len));
        else unaryLocal(op, a, aOff, out, outOff, n);
    }

    /**
     * ReLU in place over a short run on the calling thread (no pool, no cold-start routing): the
     * epilogue of a fused operation inside its own work unit. The same bits as {@link #unary} RELU.
     */
    static void reluInPlace(MemorySegment m, long off, long n) {
        unaryLocal(Unary.RELU, m, off, m, off, n);
    }

    /**
     * {@link #unary} over a short run on the calling thread (no pool, no cold-start routing), for an epilogue
     * inside a work unit of its own; the bits of {@link #unary}'s vector or scalar form, whichever it takes.
     */
    static void unaryLocal(Unary op, MemorySegment a, long aOff, MemorySegment out, long outOff, long n) {
        if (V && (Simd.FULL_FLOAT_VECTORS || sseVector(op))) VectorKernels.unary(op, a, aOff, out, outOff, n);
        else unaryScalar(op, a, aOff, out, outOff, 0, n);
    }

    /**
     * The map that is {@code op}'s derivative: {@link Unary#GELU_GRAD} for {@link Unary#GELU}, likewise for
     * GELU's tanh form and SiLU; an error for the others.
     */
    public static Unary derivative(Unary op) {
        return switch (op) {
            case GELU -> Unary.GELU_GRAD;
            case GELU_TANH -> Unary.GELU_TANH_GRAD;
            case SILU -> Unary.SILU_GRAD;
            default -> throw new IllegalArgumentException("no derivative map for " + op);
        };
    }

    /**
     * {@code out = f(a)} and then, in place, {@code a = f'(a)} ({@link #derivative}), on the calling thread:
     * the bits of {@link #unaryLocal} of each; GELU's vector form makes both from one exp, Φ and φ a value.
     */
    static void unaryWithDerivativeLocal(Unary op, MemorySegment a, long aOff, MemorySegment out, long outOff, long n) {
        Unary d = derivative(op);
        if (op == Unary.GELU && V && Simd.FULL_FLOAT_VECTORS) {
            VectorKernels.geluWithDerivative(a, aOff, out, outOff, n);
            return;
        }
        unaryLocal(op, a, aOff, out, outOff, n);
        unaryLocal(d, a, aOff, a, aOff, n);
    }

    /** {@code out = a·b} over n floats on the calling thread. */
    static void mulLocal(
            MemorySegment a, long aOff, MemorySegment b, long bOff, MemorySegment out, long outOff, int n) {
        if (V) VectorKernels.binaryRun(Binary.MUL, a, aOff, 1, b, bOff, 1, out, outOff, n);
        else binaryRunScalar(Binary.MUL, a, aOff, 1, b, bOff, 1, out, outOff, 0, n);
    }

    /** {@link #unaryMul} on the calling thread, as {@link #unaryLocal}. */
    static void unaryMulLocal(
            Unary op, MemorySegment a, long aOff, MemorySegment b, long bOff, MemorySegment out, long outOff, long n) {
        if (V && (Simd.FULL_FLOAT_VECTORS || sseVector(op)))
            VectorKernels.unaryMul(op, a, aOff, b, bOff, out, outOff, n);
        else unaryMulScalar(op, a, aOff, b, bOff, out, outOff, 0, n);
    }

    /**
     * {@code out[i] = f(a[i])·b[i]}: a map's derivative times the incoming gradient in one pass (for
     * {@link Unary#GELU_GRAD} fused lane by lane; for the other maps, the map then the product over a block
     * still in cache), without the derivative as a tensor of its own.
     */
    public static void unaryMul(
            Unary op, MemorySegment a, long aOff, MemorySegment b, long bOff, MemorySegment out, long outOff, long n) {
        Check.floats(a, aOff, n, "unaryMul ", op, " input");
        Check.floats(b, bOff, n, "unaryMul ", op, " factor");
        Check.floats(out, outOff, n, "unaryMul ", op, " output");
        if (V && n >= PARALLEL_MIN)
            inBlocks(n, (from, len) -> unaryMulLocal(op, a, aOff + from, b, bOff + from, out, outOff + from, len));
        else unaryMulLocal(op, a, aOff, b, bOff, out, outOff, n);
    }

    static void unaryMulScalar(
            Unary op,
            MemorySegment a,
            long aOff,
            MemorySegment b,
            long bOff,
            MemorySegment out,
            long outOff,
            long from,
            long n) {
        for (long i = from; i < n; i++) {
            float x = a.getAtIndex(F, aOff + i);
            out.setAtIndex(F, outOff + i, unaryScalar(op, x) * b.getAtIndex(F, bOff + i));
        }
    }

    /**
     * The maps whose vector form needs no float compare, min, max or sqrt, so it stays vectorised on x86
     * held to SSE (the others run their scalar loops there: see {@link Simd#FULL_FLOAT_VECTORS}).
     */
    private static boolean sseVector(Unary op) {
        return op == Unary.NEG || op == Unary.SQUARE || op == Unary.RECIPROCAL || op == Unary.RELU;
    }

    /** Elementwise passes at least this long run in blocks on the pool (1 MB of floats). */
    static final long PARALLEL_MIN = 1L << 18;
    /** Block length: a multiple of every vector length, so only the pass's own last elements take the scalar tail. */
    private static final int BLOCK = 1 << 16;

    interface Block {
        void run(long from, long len);
    }

    /**
     * Runs {@code body} over {@code [0, n)} in fixed blocks of BLOCK floats on the pool. The blocks do not
     * depend on the thread count, so neither do the results (a vector and a scalar exp may round
     * differently: an element's path must not depend on where a thread's share ends).
     */
    static void inBlocks(long n, Block body) {
        int blocks = Math.toIntExact((n + BLOCK - 1) / BLOCK);
        Parallel.forRange(blocks, 1, (b0, b1) -> {
            for (int b = b0; b < b1; b++) {
                long from = (long) b * BLOCK;
                body.run(from, Math.min(BLOCK, n - from));
            }
        });
    }

    static void unaryScalar(Unary op, MemorySegment a, long aOff, MemorySegment out, long outOff, long from, long n) {
        for (long i = from; i < n; i++) {
            float x = a.getAtIndex(F, aOff + i);
            out.setAtIndex(F, outOff + i, unaryScalar(op, x));
        }
    }

    /** The reference definition of each unary op (also the tail of the vector path). */
    public static float unaryScalar(Unary op, float x) {
        return switch (op) {
            case NEG -> -x;
            case EXP -> (float) Math.exp(x);
            case LOG -> (float) Math.log(x);
            case SQRT -> (float) Math.sqrt(x);
            case ABS -> Math.abs(x);
            case RELU -> x > 0f ? x : (x == x ? 0f : x);
            case SIGMOID -> (float) (1.0 / (1.0 + Math.exp(-x)));
            case TANH -> (float) Math.tanh(x);
            case SQUARE -> x * x;
            case RECIPROCAL -> 1f / x;
            case SIGN -> x > 0f ? 1f : (x < 0f ? -1f : (x == x ? 0f : x));
            case GELU -> (float) (x * phi(x));
            case GELU_GRAD -> (float) (phi(x) + x * Math.exp(-0.5 * x * x) * INV_SQRT_2PI);
            case GELU_TANH -> {
                double t = Math.tanh(SQRT_2_OVER_PI * (x + GELU_C * x * x * x));
                yield (float) (0.5 * x * (1 + t));
            }
            case GELU_TANH_GRAD -> {
                double t = Math.tanh(SQRT_2_OVER_PI * (x + GELU_C * x * x * x));
                yield (float) (0.5 * (1 + t) + 0.5 * x * (1 - t * t) * SQRT_2_OVER_PI * (1 + 3 * GELU_C * x * x));
            }
            case SILU -> (float) (x / (1.0 + Math.exp(-x)));
            case SILU_GRAD -> {
                double sg = 1.0 / (1.0 + Math.exp(-x));
                yield (float) (sg * (1 + x * (1 - sg)));
            }
        };
    }

    static final double SQRT_2_OVER_PI = 0.7978845608028654, GELU_C = 0.044715, INV_SQRT_2PI = 0.3989422804014327;

    /**
     * erfc(z) for z ≥ 0 as {@code t·exp(-z² + P(t))}, t = 1/(1 + z/2), P of degree 9 (the Chebyshev fit in
     * Numerical Recipes' {@code erfcc}): relative error below 1.2e-7 everywhere, so GELU's far negative tail,
     * where Φ(x) is tiny, keeps its relative accuracy.
     */
    static final double[] ERFC_P = {
        -1.26551223,
        1.00002368,
        0.37409196,
        0.09678418,
        -0.18628806,
        0.27886807,
        -1.13520398,
        1.48851587,
        -0.82215223,
        0.17087277
    };

    /** The standard normal CDF Φ(x) = erfc(-x/√2)/2. */
    static double phi(double x) {
        double z = Math.abs(x) * 0.7071067811865476;
        double t = 1 / (1 + 0.5 * z);
        double p = ERFC_P[9];
        for (int i = 8; i >= 0; i--) p = p * t + ERFC_P[i];
        double half = 0.5 * t * Math.exp(-z * z + p);
        return x < 0 ? half : 1 - half;
    }

    // ---------------------------------------------------------------- pow and affine

    /** {@code out[i] = a[i]^p} with PyTorch's rules: integral p works for negative bases, other p gives NaN there. */
    public static void pow(MemorySegment a, long aOff, float p, MemorySegment out, long outOff, long n) {
        Check.floats(a, aOff, n, "pow input");
        Check.floats(out, outOff, n, "pow output");
        if (p == 2f) {
            unary(Unary.SQUARE, a, aOff, out, outOff, n);
            return;
        }
        if (p == 1f) {
            copy(a, aOff, out, outOff, n);
            return;
        }
        if (p == 0.5f) {
            unary(Unary.SQRT, a, aOff, out, outOff, n);
            return;
        }
        if (p == -1f) {
            unary(Unary.RECIPROCAL, a, aOff, out, outOff, n);
            return;
        }
        if (V) VectorKernels.pow(a, aOff, p, out, outOff, n);
        else powScalar(a, aOff, p, out, outOff, 0, n);
    }

    static void powScalar(MemorySegment a, long aOff, float p, MemorySegment out, long outOff, long from, long n) {
        for (long i = from; i < n; i++) {
            out.setAtIndex(F, outOff + i, (float) Math.pow(a.getAtIndex(F, aOff + i), p));
        }
    }

    /** {@code out[i] = a[i] * scale + shift}: the scalar forms of add, sub, mul and div. */
    public static void affine(
            MemorySegment a, long aOff, float scale, float shift, MemorySegment out, long outOff, long n) {
        Check.floats(a, aOff, n, "affine input");
        Check.floats(out, outOff, n, "affine output");
        if (V) VectorKernels.affine(a, aOff, scale, shift, out, outOff, n);
        else affineScalar(a, aOff, scale, shift, out, outOff, 0, n);
    }

    static void affineScalar(
            MemorySegment a, long aOff, float scale, float shift, MemorySegment out, long outOff, long from, long n) {
        for (long i = from; i < n; i++) {
            out.setAtIndex(F, outOff + i, a.getAtIndex(F, aOff + i) * scale + shift);
        }
    }

    /**
     * {@code out = relu(a·scale + shift + r)} over {@code [off, off + n)} of each, r (a residual) added when
     * not null: {@link #affine}, the add and {@link Unary#RELU} in one pass, the same bits as the three
     * (a batch norm and its ReLU; a residual block's last batch norm, shortcut and ReLU).
     */
    public static void affineRelu(
            MemorySegment a, MemorySegment r, long off, float scale, float shift, MemorySegment out, long n) {
        Check.floats(a, off, n, "affine input");
        if (r != null) Check.floats(r, off, n, "residual");
        Check.floats(out, off, n, "affine output");
        if (!V) affineReluScalar(a, r, off, scale, shift, out, 0, n);
        else if (r == null) VectorKernels.affineRelu(a, off, scale, shift, out, n);
        else VectorKernels.affineAddRelu(a, r, off, scale, shift, out, n);
    }

    static void affineReluScalar(
            MemorySegment a,
            MemorySegment r,
            long off,
            float scale,
            float shift,
            MemorySegment out,
            long from,
            long n) {
        for (long i = from; i < n; i++)
            out.setAtIndex(F, off + i, unaryScalar(Unary.RELU, affineAt(a, r, off + i, scale, shift)));
    }

    /**
     * {@code out = a·scale + shift + r > 0 ? g : 0} over {@code [off, off + n)} of each (r may be null):
     * {@link Binary#RELU_BACKWARD} of the gradient g through {@link #affineRelu}, the ReLU's input recomputed
     * with its bits.
     */
    public static void reluGradientOfAffine(
            MemorySegment g,
            MemorySegment a,
            MemorySegment r,
            long off,
            float scale,
            float shift,
            MemorySegment out,
            long n) {
        Check.floats(g, off, n, "relu gradient");
        Check.floats(a, off, n, "affine input");
        if (r != null) Check.floats(r, off, n, "residual");
        Check.floats(out, off, n, "relu gradient output");
        if (!V) reluGradientOfAffineScalar(g, a, r, off, scale, shift, out, 0, n);
        else if (r == null) VectorKernels.reluGradientOfAffine(g, a, off, scale, shift, out, n);
        else VectorKernels.reluGradientOfAffineAdd(g, a, r, off, scale, shift, out, n);
    }

    static void reluGradientOfAffineScalar(
            MemorySegment g,
            MemorySegment a,
            MemorySegment r,
            long off,
            float scale,
            float shift,
            MemorySegment out,
            long from,
            long n) {
        for (long i = from; i < n; i++) {
            float y = affineAt(a, r, off + i, scale, shift);
            out.setAtIndex(F, off + i, binaryScalar(Binary.RELU_BACKWARD, g.getAtIndex(F, off + i), y));
        }
    }

    /** {@code a·scale + shift}, plus r when r is not null, at index i: the vector loops' order of operations. */
    private static float affineAt(MemorySegment a, MemorySegment r, long i, float scale, float shift) {
        float y = a.getAtIndex(F, i) * scale + shift;
        return r == null ? y : y + r.getAtIndex(F, i);
    }

    /** {@code y[i] += alpha * x[i]}. */
    public static void axpy(long n, float alpha, MemorySegment x, long xOff, MemorySegment y, long yOff) {
        Check.floats(x, xOff, n, "axpy x");
        Check.floats(y, yOff, n, "axpy y");
        if (V) VectorKernels.axpy(n, alpha, x, xOff, y, yOff);
        else axpyScalar(n, alpha, x, xOff, y, yOff, 0);
    }

    static void axpyScalar(long n, float alpha, MemorySegment x, long xOff, MemorySegment y, long yOff, long from) {
        for (long i = from; i < n; i++) {
            y.setAtIndex(F, yOff + i, y.getAtIndex(F, yOff + i) + alpha * x.getAtIndex(F, xOff + i));
        }
    }

    public static void fill(MemorySegment out, long outOff, long n, float value) {
        Check.floats(out, outOff, n, "fill");
        if (value == 0f && !(1f / value < 0)) {
            out.asSlice(outOff * Float.BYTES, n * Float.BYTES).fill((byte) 0);
            return;
        }
        for (long i = 0; i < n; i++) out.setAtIndex(F, outOff + i, value);
    }

    public static void copy(MemorySegment src, long srcOff, MemorySegment dst, long dstOff, long n) {
        Check.floats(src, srcOff, n, "copy source");
        Check.floats(dst, dstOff, n, "copy destination");
        MemorySegment.copy(src, srcOff * Float.BYTES, dst, dstOff * Float.BYTES, n * Float.BYTES);
    }

    // ---------------------------------------------------------------- broadcasting binary

    /**
     * {@code out = a op b} over {@code shape}, {@code out} contiguous, {@code a} and {@code b} read through
     * their strides (0 along a broadcast dimension). The innermost dimension is the vectorised run.
     */
    public static void binary(
            Binary op,
            int[] shape,
            MemorySegment a,
            long aOff,
            long[] aStrides,
            MemorySegment b,
            long bOff,
            long[] bStrides,
            MemorySegment out,
            long outOff) {
        int rank = shape.length;
        if (aStrides.length != rank || bStrides.length != rank) {
            throw new IllegalArgumentException("binary " + op + ": rank of strides differs from rank of shape "
                    + java.util.Arrays.toString(shape));
        }
        long total = Check.product(shape);
        Check.floats(a, aOff, Check.extent(shape, aStrides), "binary ", op, " a");
        Check.floats(b, bOff, Check.extent(shape, bStrides), "binary ", op, " b");
        Check.floats(out, outOff, total, "binary ", op, " output");
        if (total == 0) return;
        if (rank == 0) {
            out.setAtIndex(F, outOff, binaryScalar(op, a.getAtIndex(F, aOff), b.getAtIndex(F, bOff)));
            return;
        }
        // Merge adjacent dimensions that both operands walk the same way (contiguously, or both repeated):
        // a [B, C, 12, 12] times a [B, C, 1, 1] mask becomes runs of 144, long enough to vectorise.
        int[] cs = new int[rank];
        long[] ca = new long[rank], cb = new long[rank];
        int merged = 0;
        for (int d = 0; d < rank; d++) {
            if (merged > 0
                    && mergeable(cs[merged - 1], ca[merged - 1], cb[merged - 1], shape[d], aStrides[d], bStrides[d])) {
                cs[merged - 1] *= shape[d];
                ca[merged - 1] = aStrides[d];
                cb[merged - 1] = bStrides[d];
            } else {
                cs[merged] = shape[d];
                ca[merged] = aStrides[d];
                cb[merged] = bStrides[d];
                merged++;
            }
        }
        shape = java.util.Arrays.copyOf(cs, merged);
        aStrides = java.util.Arrays.copyOf(ca, merged);
        bStrides = java.util.Arrays.copyOf(cb, merged);
        rank = merged;
        int inner = shape[rank - 1];
        long sa = aStrides[rank - 1], sb = bStrides[rank - 1];
        long runs = total / inner;
        if (V && runs == 1 && sa <= 1 && sb <= 1 && inner >= PARALLEL_MIN) {
            // one long run (same-shape operands, or a scalar): blocks on the pool
            long sa0 = sa, sb0 = sb;
            inBlocks(
                    inner,
                    (from, len) -> VectorKernels.binaryRun(
                            op, a, aOff + from * sa0, sa0, b, bOff + from * sb0, sb0, out, outOff + from, (int) len));
            return;
        }
        int[] sh = shape;
        long[] as = aStrides, bs = bStrides;
        if (V && total >= PARALLEL_MIN) {
            // many runs (a broadcast operand, as dropout2d's [B, C, 1, 1] mask): whole runs in fixed blocks
            long per = Math.max(1, BLOCK / inner), blocks = (runs + per - 1) / per;
            Parallel.forRange(
                    Math.toIntExact(blocks),
                    1,
                    (b0, b1) -> binaryRuns(
                            op, sh, a, aOff, as, b, bOff, bs, out, outOff, b0 * per, Math.min(runs, b1 * per)));
            return;
        }
        binaryRuns(op, sh, a, aOff, as, b, bOff, bs, out, outOff, 0, runs);
    }

    /** Runs [r0, r1) of a merged binary op: each run is the innermost dimension at one outer index. */
    private static void binaryRuns(
            Binary op,
            int[] shape,
            MemorySegment a,
            long aOff,
            long[] aStrides,
            MemorySegment b,
            long bOff,
            long[] bStrides,
            MemorySegment out,
            long outOff,
            long r0,
            long r1) {
        int rank = shape.length, inner = shape[rank - 1];
        long sa = aStrides[rank - 1], sb = bStrides[rank - 1];
        // the odometer over dims 0..rank-2 at run r0
        int[] idx = new int[rank];
        long ao = aOff, bo = bOff, oo = outOff + r0 * inner, rest = r0;
        for (int d = rank - 2; d >= 0; d--) {
            idx[d] = (int) (rest % shape[d]);
            rest /= shape[d];
            ao += idx[d] * aStrides[d];
            bo += idx[d] * bStrides[d];
        }
        for (long r = r0; r < r1; r++) {
            if (V && (sa <= 1 && sb <= 1)) VectorKernels.binaryRun(op, a, ao, sa, b, bo, sb, out, oo, inner);
            else binaryRunScalar(op, a, ao, sa, b, bo, sb, out, oo, 0, inner);
            oo += inner;
            // advance the outer index (odometer over dims 0..rank-2)
            for (int d = rank - 2; d >= 0; d--) {
                idx[d]++;
                ao += aStrides[d];
                bo += bStrides[d];
                if (idx[d] < shape[d]) break;
                ao -= aStrides[d] * shape[d];
                bo -= bStrides[d] * shape[d];
                idx[d] = 0;
            }
        }
    }

    /** Whether dimension (n1, sa1, sb1) can absorb the next one (n2, sa2, sb2) for both operands. */
    private static boolean mergeable(int n1, long sa1, long sb1, int n2, long sa2, long sb2) {
        boolean a = (sa1 == 0 && sa2 == 0) || (sa1 == sa2 * n2 && sa2 != 0);
        boolean b = (sb1 == 0 && sb2 == 0) || (sb1 == sb2 * n2 && sb2 != 0);
        return a && b;
    }

    static void binaryRunScalar(
            Binary op,
            MemorySegment a,
            long ao,
            long sa,
            MemorySegment b,
            long bo,
            long sb,
            MemorySegment out,
            long oo,
            long from,
            long n) {
        for (long i = from; i < n; i++) {
            out.setAtIndex(F, oo + i, binaryScalar(op, a.getAtIndex(F, ao + i * sa), b.getAtIndex(F, bo + i * sb)));
        }
    }

    /** The reference definition of each binary op. */
    public static float binaryScalar(Binary op, float x, float y) {
        return switch (op) {
            case ADD -> x + y;
            case SUB -> x - y;
            case MUL -> x * y;
            case DIV -> x / y;
            case RELU_BACKWARD -> y > 0f ? x : 0f;
        };
    }

    /**
     * {@code out} (contiguous, {@code shape}) = {@code src} read through {@code srcStrides}: 0 along a
     * dimension repeats it. The forward of expand and the backward of sum.
     */
    public static void expand(
            int[] shape, MemorySegment src, long srcOff, long[] srcStrides, MemorySegment out, long outOff) {
        int rank = shape.length;
        if (srcStrides.length != rank)
            throw new IllegalArgumentException("expand: strides rank differs from shape rank");
        long total = Check.product(shape);
        Check.floats(src, srcOff, Check.extent(shape, srcStrides), "expand source");
        Check.floats(out, outOff, total, "expand output");
        if (total == 0) return;
        if (rank == 0) {
            out.setAtIndex(F, outOff, src.getAtIndex(F, srcOff));
            return;
        }
        int inner = shape[rank - 1];
        long si = srcStrides[rank - 1];
        int[] idx = new int[rank];
        long so = srcOff, oo = outOff;
        long runs = total / inner;
        for (long r = 0; r < runs; r++) {
            if (si == 1) MemorySegment.copy(src, so * Float.BYTES, out, oo * Float.BYTES, (long) inner * Float.BYTES);
            else if (si == 0) fill(out, oo, inner, src.getAtIndex(F, so));
            else for (int i = 0; i < inner; i++) out.setAtIndex(F, oo + i, src.getAtIndex(F, so + i * si));
            oo += inner;
            for (int d = rank - 2; d >= 0; d--) {
                idx[d]++;
                so += srcStrides[d];
                if (idx[d] < shape[d]) break;
                so -= srcStrides[d] * shape[d];
                idx[d] = 0;
            }
        }
    }

    // ---------------------------------------------------------------- sum reduction

    /**
     * {@code out = sum of in over the dimensions where outStrides is 0}: {@code in} is contiguous with
     * {@code inShape}; element {@code i} of it adds into {@code out[sum_d idx_d * outStrides[d]]}.
     * {@code out} is overwritten (zeroed first, {@code outSize} floats). This one kernel serves sum over
     * any set of dimensions and the reduction of a broadcast gradient to its input's shape.
     */
    public static void sumInto(
            int[] inShape,
            MemorySegment in,
            long inOff,
            MemorySegment out,
            long outOff,
            long[] outStrides,
            long outSize) {
        int rank = inShape.length;
        if (outStrides.length != rank)
            throw new IllegalArgumentException("sumInto: strides rank differs from shape rank");
        long total = Check.product(inShape);
        Check.floats(in, inOff, total, "sum input");
        Check.floats(out, outOff, outSize, "sum output");
        if (Check.extent(inShape, outStrides) > outSize)
            throw new IllegalArgumentException("sum: output strides reach past outSize " + outSize);
        fill(out, outOff, outSize, 0f);
        if (total == 0) return;
        if (rank == 0) {
            out.setAtIndex(F, outOff, in.getAtIndex(F, inOff));
            return;
        }
        int inner = inShape[rank - 1];
        long so = outStrides[rank - 1];
        int[] idx = new int[rank];
        long io = inOff, oo = outOff;
        long runs = total / inner;
        for (long r = 0; r < runs; r++) {
            if (so == 0) {
                float s = V ? VectorKernels.sum(in, io, inner) : sumScalar(in, io, 0, inner);
                out.setAtIndex(F, oo, out.getAtIndex(F, oo) + s);
            } else if (so == 1) {
                if (V) VectorKernels.axpy(inner, 1f, in, io, out, oo);
                else axpyScalar(inner, 1f, in, io, out, oo, 0);
            } else {
                for (int i = 0; i < inner; i++)
                    out.setAtIndex(F, oo + i * so, out.getAtIndex(F, oo + i * so) + in.getAtIndex(F, io + i));
            }
            io += inner;
            for (int d = rank - 2; d >= 0; d--) {
                idx[d]++;
                oo += outStrides[d];
                if (idx[d] < inShape[d]) break;
                oo -= outStrides[d] * inShape[d];
                idx[d] = 0;
            }
        }
    }

    static float sumScalar(MemorySegment in, long off, long from, long n) {
        float s = 0f;
        for (long i = from; i < n; i++) s += in.getAtIndex(F, off + i);
        return s;
    }

    // ---------------------------------------------------------------- layout

    /**
     * Copies {@code src} (contiguous, {@code srcShape}) to {@code dst} contiguous in the permuted order:
     * {@code dst} has shape {@code srcShape[perm[0]], srcShape[perm[1]], ...}.
     */
    public static void permute(
            int[] srcShape, int[] perm, MemorySegment src, long srcOff, MemorySegment dst, long dstOff) {
        int rank = srcShape.length;
        if (perm.length != rank)
            throw new IllegalArgumentException("permute: " + perm.length + " axes for rank " + rank);
        long total = Check.product(srcShape);
        Check.floats(src, srcOff, total, "permute source");
        Check.floats(dst, dstOff, total, "permute destination");
        if (total == 0) return;
        long[] srcStrides = new long[rank];
        long s = 1;
        for (int d = rank - 1; d >= 0; d--) {
            srcStrides[d] = s;
            s *= srcShape[d];
        }
        int[] dstShape = new int[rank];
        long[] readStrides = new long[rank];
        for (int d = 0; d < rank; d++) {
            dstShape[d] = srcShape[perm[d]];
            readStrides[d] = srcStrides[perm[d]];
        }
        int[] idx = new int[rank];
        long ro = srcOff;
        for (long i = 0; i < total; i++) {
            dst.setAtIndex(F, dstOff + i, src.getAtIndex(F, ro));
            for (int d = rank - 1; d >= 0; d--) {
                idx[d]++;
                ro += readStrides[d];
                if (idx[d] < dstShape[d]) break;
                ro -= readStrides[d] * dstShape[d];
                idx[d] = 0;
            }
        }
    }
}
