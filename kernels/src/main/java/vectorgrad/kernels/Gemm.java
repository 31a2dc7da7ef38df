package vectorgrad.kernels;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * {@code C = alpha * op(A) * op(B) + beta * C} on row-major float32 memory, BLAS style.
 *
 * <p>{@code op(A)} is {@code m x k}: A itself ({@code m x k}, row stride {@code lda}) or, with
 * {@code transA}, the transpose of a stored {@code k x m} matrix. Likewise {@code op(B)} is {@code k x n}.
 * With {@code beta == 0} C is overwritten and never read (NaN in C does not propagate, as in BLAS).
 *
 * <p>This is the straightforward, correct kernel: rows of C in parallel, the inner loop a vector
 * broadcast-FMA over a row of B (or a vector dot product when B is transposed). Results do not depend
 * on the thread count: each row of C is computed by the same code whichever thread runs it.
 */
public final class Gemm {
    private Gemm() {}

    private static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT;

    /** Below this many multiply-adds packing costs more than it saves: the direct loops run. */
    static final long PACKED_MIN_WORK = Config.GEMM_PACKED_MIN_WORK;

    /**
     * NT products with at most DOT_MAX_M rows and at least DOT_MIN_K go to the dot-product kernel; with
     * more rows the packed path wins even though it transposes B while packing (measured: 122 vs 90
     * GFLOP/s at 64x128x9216, 200 vs 67 at 1024³).
     */
    static final int DOT_MIN_K = Config.GEMM_DOT_MIN_K;

    static final int DOT_MAX_M = Config.GEMM_DOT_MAX_M;

    public static void sgemm(
            boolean transA,
            boolean transB,
            int m,
            int n,
            int k,
            float alpha,
            MemorySegment a,
            long aOff,
            int lda,
            MemorySegment b,
            long bOff,
            int ldb,
            float beta,
            MemorySegment c,
            long cOff,
            int ldc) {
        validate(transA, transB, m, n, k, a, aOff, lda, b, bOff, ldb, c, cOff, ldc);
        if (m == 0 || n == 0) return;
        if (Simd.VECTOR_AVAILABLE && (long) m * n * k >= PACKED_MIN_WORK && k > 0 && alpha != 0f) {
            if (transB && !transA && m <= DOT_MAX_M && k >= DOT_MIN_K) {
                for (int i = 0; i < m; i++) scaleRow(c, cOff + (long) i * ldc, n, beta);
                if (ColdStart.cold(ColdStart.Kernel.DOT_GEMM, 2L * m * n * k)) {
                    // DotGemm's block from Config: reading DotGemm.KB would initialise DotGemm, and with it the
                    // vector classes (35 ms of class loading inside a first one-image inference)
                    ColdKernels.dotGemm(m, n, k, alpha, a, aOff, lda, b, bOff, ldb, c, cOff, ldc, Config.GEMM_DOT_KB);
                    ColdStart.served(
                            ColdStart.Kernel.DOT_GEMM, new ColdStart.GemmCall(transA, transB, m, n, k, alpha, beta));
                    return;
                }
                // skinny NT (a Linear layer's x·Wᵀ at small batch): dot-product tiles stream W once, no
                // packing; measured 86 GFLOP/s at 5x128x9216 where packing gave 26 (OpenBLAS: 28)
                DotGemm.multiply(m, n, k, alpha, a, aOff, lda, b, bOff, ldb, c, cOff, ldc);
                return;
            }
            if (StreamGemm.serves(transA, transB, m, n, k)) {
                // few rows of A, or a shallow k, times B stored k x n (a Linear layer's g·W and gᵀ·x at a small
                // batch): B streamed, unpacked; on two threads (JMH) 5x9216x128 166 -> 94-100 µs at 512 bits,
                // 312 -> 139-143 at 256; 128x9216x5 TN 139 -> 95 and 228 -> 159
                if (beta != 0f && beta != 1f) for (int i = 0; i < m; i++) scaleRow(c, cOff + (long) i * ldc, n, beta);
                StreamGemm.multiply(transA, m, n, k, alpha, a, aOff, lda, b, bOff, ldb, beta == 0f, c, cOff, ldc);
                return;
            }
            // beta = 0: the kernel stores its first block of k into C (no zeroing pass, no reads of C)
            if (beta != 0f) for (int i = 0; i < m; i++) scaleRow(c, cOff + (long) i * ldc, n, beta);
            PackedGemm.multiply(transA, transB, m, n, k, alpha, a, aOff, lda, b, bOff, ldb, c, cOff, ldc, beta == 0f);
            return;
        }
        long work = (long) m * n * Math.max(k, 1);
        // the unpacked loops' vector forms, or while they are cold their scalar twins (the same bits)
        boolean cold = Simd.VECTOR_AVAILABLE && k > 0 && ColdStart.cold(ColdStart.Kernel.SMALL_GEMM, 2 * work);
        boolean vector = Simd.VECTOR_AVAILABLE && !cold;
        if (cold && transB && !transA && alpha != 0f) {
            // NT: the dot products' twin, k in one block as VectorGemm.dot sums it
            for (int i = 0; i < m; i++) scaleRow(c, cOff + (long) i * ldc, n, beta);
            ColdKernels.dotGemm(m, n, k, alpha, a, aOff, lda, b, bOff, ldb, c, cOff, ldc, k);
            ColdStart.served(ColdStart.Kernel.SMALL_GEMM, new ColdStart.GemmCall(transA, transB, m, n, k, alpha, beta));
            return;
        }
        int grain = (int) Math.max(1, (1L << 16) / Math.max(1, (long) n * Math.max(k, 1)));
        Parallel.RangeBody rows = (from, to) -> {
            for (int i = from; i < to; i++) {
                long ci = cOff + (long) i * ldc;
                scaleRow(c, ci, n, beta);
                if (k == 0 || alpha == 0f) continue;
                if (!transB) {
                    for (int p = 0; p < k; p++) {
                        float aip = alpha
                                * (transA
                                        ? a.getAtIndex(F, aOff + (long) p * lda + i)
                                        : a.getAtIndex(F, aOff + (long) i * lda + p));
                        long bp = bOff + (long) p * ldb;
                        if (vector) VectorGemm.axpyRow(n, aip, b, bp, c, ci);
                        else Elementwise.axpyScalar(n, aip, b, bp, c, ci, 0);
                    }
                } else if (!transA) {
                    long ai = aOff + (long) i * lda;
                    int j = 0;
                    // without vectors four outputs at a time: four independent sums instead of one chain of
                    // dependent adds, each still over p in order (dotScalar's bits): sampling 6,000 characters
                    // of a GPT with the scalar kernels (its one-position steps are mostly these products) took
                    // 5.6 s instead of 10.5
                    if (!vector)
                        for (; j + 4 <= n; j += 4)
                            dotScalar4(k, alpha, a, ai, b, bOff + (long) j * ldb, ldb, c, ci + j);
                    for (; j < n; j++) {
                        long bj = bOff + (long) j * ldb;
                        float dot = vector ? VectorGemm.dot(k, a, ai, b, bj) : dotScalar(k, a, ai, b, bj, 0);
                        c.setAtIndex(F, ci + j, c.getAtIndex(F, ci + j) + alpha * dot);
                    }
                } else {
                    for (int j = 0; j < n; j++) {
                        float dot = 0f;
                        for (int p = 0; p < k; p++) {
                            dot += a.getAtIndex(F, aOff + (long) p * lda + i)
                                    * b.getAtIndex(F, bOff + (long) j * ldb + p);
                        }
                        c.setAtIndex(F, ci + j, c.getAtIndex(F, ci + j) + alpha * dot);
                    }
                }
            }
        };
        if (work < (1L << 15)) rows.run(0, m);
        else Parallel.forRange(m, grain, rows);
        if (cold)
            ColdStart.served(ColdStart.Kernel.SMALL_GEMM, new ColdStart.GemmCall(transA, transB, m, n, k, alpha, beta));
    }

    /**
     * {@link #sgemm}, then {@code epilogue} over C's rows: on the packed path with beta = 0 each block of rows as
     * soon as it is final, while it is in cache, where a thread's work covers whole rows; on the others after
     * the product.
     */
    public static void sgemm(
            boolean transA,
            boolean transB,
            int m,
            int n,
            int k,
            float alpha,
            MemorySegment a,
            long aOff,
            int lda,
            MemorySegment b,
            long bOff,
            int ldb,
            float beta,
            MemorySegment c,
            long cOff,
            int ldc,
            RowEpilogue epilogue) {
        if (epilogue == null || beta != 0f || alpha == 0f || !packs(transA, transB, m, n, k)) {
            if (epilogue != null) epilogue.check(m, n);
            sgemm(transA, transB, m, n, k, alpha, a, aOff, lda, b, bOff, ldb, beta, c, cOff, ldc);
            if (epilogue != null) epilogue.applyAll(c, cOff, ldc, m, n);
            return;
        }
        validate(transA, transB, m, n, k, a, aOff, lda, b, bOff, ldb, c, cOff, ldc);
        epilogue.check(m, n);
        if (m == 0 || n == 0) return;
        PackedGemm.multiply(
                transA, transB, m, n, k, alpha, a, aOff, lda, b, null, bOff, ldb, c, cOff, ldc, true, null, epilogue);
    }

    /** Whether {@link #sgemm} takes the packed path for this shape (alpha ≠ 0): not the dot-product or streamed ones. */
    private static boolean packs(boolean transA, boolean transB, int m, int n, int k) {
        return Simd.VECTOR_AVAILABLE
                && (long) m * n * k >= PACKED_MIN_WORK
                && k > 0
                && !(transB && !transA && m <= DOT_MAX_M && k >= DOT_MIN_K)
                && !StreamGemm.serves(transA, transB, m, n, k);
    }

    /**
     * What a product does with C's rows once they are final ({@link Kind}); {@code other} holds C's rows'
     * counterparts, {@code ldOther} floats apart from {@code otherOff}. Row by row, each row's whole vectors
     * then its scalar tail, so the bits do not depend on where a block of rows starts (nor on the thread count).
     */
    public record RowEpilogue(Kind kind, Elementwise.Unary op, MemorySegment other, long otherOff, int ldOther) {
        /** What the epilogue writes. */
        public enum Kind {
            /** {@code other = op(C)}: a layer's activation written beside its input. */
            MAP,
            /**
             * {@code other = op(C)}, then in place {@code C = op'(C)} ({@link Elementwise#derivative}): the
             * activation, and its derivative at its input where the input was, for a backward that needs
             * nothing else of the input. {@code other} must not overlap C.
             */
            MAP_AND_DERIVATIVE,
            /** {@code C = op(other)·C}: an activation's derivative at its input times the gradient that reaches it. */
            TIMES_MAP,
            /** {@code C = other·C} ({@code op} null): a derivative kept by MAP_AND_DERIVATIVE times the gradient. */
            TIMES
        }

        public RowEpilogue {
            java.util.Objects.requireNonNull(kind, "sgemm epilogue's kind");
            java.util.Objects.requireNonNull(other, "sgemm epilogue's matrix");
            if (kind != Kind.TIMES) java.util.Objects.requireNonNull(op, "sgemm epilogue's map");
            else if (op != null)
                throw new IllegalArgumentException(
                        "sgemm epilogue: TIMES multiplies by the matrix as it is, got map " + op);
            if (kind == Kind.MAP_AND_DERIVATIVE) Elementwise.derivative(op);
        }

        void check(int m, int n) {
            if (m > 0 && n > 0) Check.floats(other, otherOff, (long) (m - 1) * ldOther + n, "sgemm epilogue's matrix");
        }

        /** Rows [r0, r1), columns [j0, j1) of C. */
        void apply(MemorySegment c, long cOff, int ldc, int j0, int j1, int r0, int r1) {
            for (int r = r0; r < r1; r++) {
                long ci = cOff + (long) r * ldc + j0, oi = otherOff + (long) r * ldOther + j0;
                int n = j1 - j0;
                switch (kind) {
                    case MAP -> Elementwise.unaryLocal(op, c, ci, other, oi, n);
                    case MAP_AND_DERIVATIVE -> Elementwise.unaryWithDerivativeLocal(op, c, ci, other, oi, n);
                    case TIMES_MAP -> Elementwise.unaryMulLocal(op, other, oi, c, ci, c, ci, n);
                    case TIMES -> Elementwise.mulLocal(other, oi, c, ci, c, ci, n);
                }
            }
        }

        /** Every row of an m x n C, on the pool. */
        void applyAll(MemorySegment c, long cOff, int ldc, int m, int n) {
            Parallel.forRange(
                    m, Math.max(1, (1 << 14) / Math.max(1, n)), (r0, r1) -> apply(c, cOff, ldc, 0, n, r0, r1));
        }
    }

    /**
     * {@code C = alpha·op(A)·op(B) + bias}, {@code bias} a row of n floats from {@code biasOff} added to every
     * row of C (a Linear layer's {@code x·Wᵀ + b}); C's contents are not read. The same bits as filling C
     * with the bias and calling {@link #sgemm} with beta = 1, which is what the unpacked paths and alpha ≠ 1
     * do. The packed path with alpha = 1 adds the bias as it stores each tile's first block of k (whole
     * tiles and the edges the micro-kernels write directly: VectorGemm.writesDirect; other edge tiles get it
     * added right after their store, in L1): no pass over all of C first, and no reading it back.
     * fma(acc, 1, b) and acc + b round alike, so the bits are those of beta = 1 (tested). A null {@code bias}
     * adds nothing: {@link #sgemm} with beta = 0.
     */
    public static void sgemmBias(
            boolean transA,
            boolean transB,
            int m,
            int n,
            int k,
            float alpha,
            MemorySegment a,
            long aOff,
            int lda,
            MemorySegment b,
            long bOff,
            int ldb,
            MemorySegment bias,
            long biasOff,
            MemorySegment c,
            long cOff,
            int ldc) {
        sgemmBias(transA, transB, m, n, k, alpha, a, aOff, lda, b, bOff, ldb, bias, biasOff, c, cOff, ldc, null);
    }

    /**
     * {@link #sgemmBias}, then {@code epilogue} (or null) over C's rows: on the packed path each block of rows as
     * soon as it is final, while it is in cache, where a thread's work covers whole rows.
     */
    public static void sgemmBias(
            boolean transA,
            boolean transB,
            int m,
            int n,
            int k,
            float alpha,
            MemorySegment a,
            long aOff,
            int lda,
            MemorySegment b,
            long bOff,
            int ldb,
            MemorySegment bias,
            long biasOff,
            MemorySegment c,
            long cOff,
            int ldc,
            RowEpilogue epilogue) {
        if (bias == null) {
            sgemm(transA, transB, m, n, k, alpha, a, aOff, lda, b, bOff, ldb, 0f, c, cOff, ldc, epilogue);
            return;
        }
        validate(transA, transB, m, n, k, a, aOff, lda, b, bOff, ldb, c, cOff, ldc);
        if (epilogue != null) epilogue.check(m, n);
        Check.floats(bias, biasOff, n, "sgemm bias");
        if (m == 0 || n == 0) return;
        boolean packed = alpha == 1f && packs(transA, transB, m, n, k);
        if (!packed) {
            for (int i = 0; i < m; i++)
                MemorySegment.copy(
                        bias, biasOff * Float.BYTES, c, (cOff + (long) i * ldc) * Float.BYTES, n * (long) Float.BYTES);
            sgemm(transA, transB, m, n, k, alpha, a, aOff, lda, b, bOff, ldb, 1f, c, cOff, ldc);
            if (epilogue != null) epilogue.applyAll(c, cOff, ldc, m, n);
            return;
        }
        MemorySegment row = bias.asSlice(biasOff * Float.BYTES, (long) n * Float.BYTES);
        PackedGemm.multiply(
                transA, transB, m, n, k, alpha, a, aOff, lda, b, null, bOff, ldb, c, cOff, ldc, false, row, epilogue);
    }

    /**
     * {@code C = alpha·op(A)·op(B) + beta·C} with B in a heap array, for kernels that build B on the heap
     * (convolution's column matrix). Same contract and checks as {@link #sgemm}; B is {@code b[bOff..]}.
     */
    static void sgemmHeapB(
            boolean transA,
            boolean transB,
            int m,
            int n,
            int k,
            float alpha,
            MemorySegment a,
            long aOff,
            int lda,
            float[] b,
            int bOff,
            int ldb,
            float beta,
            MemorySegment c,
            long cOff,
            int ldc) {
        if (!Simd.VECTOR_AVAILABLE || (long) m * n * k < PACKED_MIN_WORK || k == 0 || alpha == 0f) {
            // the small and scalar paths read segments: wrap the array (rare; not a hot path)
            sgemm(
                    transA,
                    transB,
                    m,
                    n,
                    k,
                    alpha,
                    a,
                    aOff,
                    lda,
                    MemorySegment.ofArray(b),
                    bOff,
                    ldb,
                    beta,
                    c,
                    cOff,
                    ldc);
            return;
        }
        int bRows = transB ? n : k, bCols = transB ? k : n;
        if (bOff < 0
                || ldb < Math.max(1, bCols)
                || (bRows > 0 && (long) bOff + (long) (bRows - 1) * ldb + bCols > b.length)) {
            throw new IllegalArgumentException(
                    "sgemm: B (" + bRows + "x" + bCols + ", ld " + ldb + ") does not fit its array of " + b.length);
        }
        validate(
                transA,
                false,
                m,
                n,
                k,
                a,
                aOff,
                lda,
                MemorySegment.ofArray(new float[0]),
                0,
                Math.max(1, n),
                c,
                cOff,
                ldc,
                true);
        if (beta != 0f) for (int i = 0; i < m; i++) scaleRow(c, cOff + (long) i * ldc, n, beta);
        PackedGemm.multiply(
                transA, transB, m, n, k, alpha, a, aOff, lda, null, b, bOff, ldb, c, cOff, ldc, beta == 0f, null, null);
    }

    /**
     * {@code batch} independent products: operand {@code i} starts {@code i * stride} floats after the
     * first (a stride of 0 reuses one operand for every product, e.g. a weight matrix).
     */
    public static void sgemmBatched(
            boolean transA,
            boolean transB,
            int batch,
            int m,
            int n,
            int k,
            float alpha,
            MemorySegment a,
            long aOff,
            long strideA,
            int lda,
            MemorySegment b,
            long bOff,
            long strideB,
            int ldb,
            float beta,
            MemorySegment c,
            long cOff,
            long strideC,
            int ldc) {
        if (batch < 0 || strideA < 0 || strideB < 0 || strideC < 0) {
            throw new IllegalArgumentException("sgemmBatched: negative batch or stride (batch " + batch + ", strides "
                    + strideA + ", " + strideB + ", " + strideC + ")");
        }
        if (batch == 0) return;
        // the last product reaches furthest: checking it (and the first) checks them all
        validate(transA, transB, m, n, k, a, aOff, lda, b, bOff, ldb, c, cOff, ldc);
        validate(
                transA,
                transB,
                m,
                n,
                k,
                a,
                aOff + (batch - 1) * strideA,
                lda,
                b,
                bOff + (batch - 1) * strideB,
                ldb,
                c,
                cOff + (batch - 1) * strideC,
                ldc);
        for (int i = 0; i < batch; i++) {
            sgemm(
                    transA,
                    transB,
                    m,
                    n,
                    k,
                    alpha,
                    a,
                    aOff + i * strideA,
                    lda,
                    b,
                    bOff + i * strideB,
                    ldb,
                    beta,
                    c,
                    cOff + i * strideC,
                    ldc);
        }
    }

    private static void scaleRow(MemorySegment c, long ci, int n, float beta) {
        if (beta == 0f) {
            c.asSlice(ci * Float.BYTES, (long) n * Float.BYTES).fill((byte) 0);
        } else if (beta != 1f) {
            for (int j = 0; j < n; j++) c.setAtIndex(F, ci + j, beta * c.getAtIndex(F, ci + j));
        }
    }

    /**
     * {@code c[ci + q] += alpha·Σ_p a[ai + p]·b[bj + q·ldb + p]} for q < 4: four of {@link #dotScalar}'s sums
     * side by side, the same bits.
     */
    static void dotScalar4(
            int k, float alpha, MemorySegment a, long ai, MemorySegment b, long bj, int ldb, MemorySegment c, long ci) {
        long b1 = bj + ldb, b2 = b1 + ldb, b3 = b2 + ldb;
        float s0 = 0f, s1 = 0f, s2 = 0f, s3 = 0f;
        for (int p = 0; p < k; p++) {
            float x = a.getAtIndex(F, ai + p);
            s0 += x * b.getAtIndex(F, bj + p);
            s1 += x * b.getAtIndex(F, b1 + p);
            s2 += x * b.getAtIndex(F, b2 + p);
            s3 += x * b.getAtIndex(F, b3 + p);
        }
        c.setAtIndex(F, ci, c.getAtIndex(F, ci) + alpha * s0);
        c.setAtIndex(F, ci + 1, c.getAtIndex(F, ci + 1) + alpha * s1);
        c.setAtIndex(F, ci + 2, c.getAtIndex(F, ci + 2) + alpha * s2);
        c.setAtIndex(F, ci + 3, c.getAtIndex(F, ci + 3) + alpha * s3);
    }

    static float dotScalar(int k, MemorySegment a, long ai, MemorySegment b, long bj, int from) {
        float s = 0f;
        for (int p = from; p < k; p++) s += a.getAtIndex(F, ai + p) * b.getAtIndex(F, bj + p);
        return s;
    }

    private static String dims(int r, int c) {
        return r + "x" + c;
    }

    private static void validate(
            boolean transA,
            boolean transB,
            int m,
            int n,
            int k,
            MemorySegment a,
            long aOff,
            int lda,
            MemorySegment b,
            long bOff,
            int ldb,
            MemorySegment c,
            long cOff,
            int ldc) {
        validate(transA, transB, m, n, k, a, aOff, lda, b, bOff, ldb, c, cOff, ldc, false);
    }

    /** With {@code skipB}, B was checked by the caller (it lives in a heap array). */
    private static void validate(
            boolean transA,
            boolean transB,
            int m,
            int n,
            int k,
            MemorySegment a,
            long aOff,
            int lda,
            MemorySegment b,
            long bOff,
            int ldb,
            MemorySegment c,
            long cOff,
            int ldc,
            boolean skipB) {
        int aCols = transA ? m : k, aRows = transA ? k : m;
        int bCols = transB ? k : n, bRows = transB ? n : k;
        // the checks alone first: the message (string concatenation) only for an error
        boolean ok = m >= 0
                && n >= 0
                && k >= 0
                && lda >= Math.max(1, aCols)
                && ldb >= Math.max(1, bCols)
                && ldc >= Math.max(1, n)
                && (aRows == 0 || aCols == 0 || Check.fits(a, aOff, (long) (aRows - 1) * lda + aCols))
                && (skipB || bRows == 0 || bCols == 0 || Check.fits(b, bOff, (long) (bRows - 1) * ldb + bCols))
                && (m == 0 || n == 0 || Check.fits(c, cOff, (long) (m - 1) * ldc + n));
        if (ok) return;
        String shapes = "op(A) " + dims(m, k) + (transA ? " (A stored " + dims(k, m) + ")" : "")
                + ", op(B) " + dims(k, n) + (transB ? " (B stored " + dims(n, k) + ")" : "")
                + ", C " + dims(m, n);
        if (m < 0 || n < 0 || k < 0) throw new IllegalArgumentException("sgemm: negative dimension: " + shapes);
        if (lda < Math.max(1, aCols))
            throw new IllegalArgumentException("sgemm: lda " + lda + " < row length " + aCols + " of A: " + shapes);
        if (ldb < Math.max(1, bCols))
            throw new IllegalArgumentException("sgemm: ldb " + ldb + " < row length " + bCols + " of B: " + shapes);
        if (ldc < Math.max(1, n))
            throw new IllegalArgumentException("sgemm: ldc " + ldc + " < row length " + n + " of C: " + shapes);
        if (aRows > 0 && aCols > 0) Check.floats(a, aOff, (long) (aRows - 1) * lda + aCols, "sgemm A (" + shapes + ")");
        if (!skipB && bRows > 0 && bCols > 0)
            Check.floats(b, bOff, (long) (bRows - 1) * ldb + bCols, "sgemm B (" + shapes + ")");
        if (m > 0 && n > 0) Check.floats(c, cOff, (long) (m - 1) * ldc + n, "sgemm C (" + shapes + ")");
    }
}
