package vectorgrad.kernels;

import java.lang.foreign.MemorySegment;

/**
 * {@code C += alpha·A·Bᵀ} for row-major A {@code [m, k]} and B {@code [n, k]} (the NT case: a Linear
 * layer's {@code x·Wᵀ}, a convolution's {@code dy·colᵀ}) as tiles of dot products: both operands are
 * read along their rows, contiguous, so nothing is transposed or packed. Each 4x3 tile (2x3 below 512
 * bits: {@link VectorGemm#dot2x3}) keeps its vector accumulators over a block of k and reduces them once per
 * block (no reduceLanes in the inner loop). k is blocked so a tile's rows stay in L1/L2; threads take disjoint ranges of C's columns,
 * and every element is summed in the same order whatever the thread count.
 */
final class DotGemm {
    private DotGemm() {}

    static final int TM = VectorKernels.LANES >= 16 ? 4 : 2, TN = 3;
    /**
     * k block: at most 16 rows of A, 16 K floats each, stay in the core's 2 MB L2 while the column tiles pass.
     * Longer blocks stream each row of B whole: products/s on two threads (JMH, two runs each) at 2048 and
     * 65536: 5x128x9216 6,935-7,015 (±3,000-6,000 between iterations) against 8,851-9,361, 16x128x9216
     * 2,417-2,503 against 2,826-2,922, 8x512x4096 2,541-2,662 against 2,873-2,968, 1x128x9216 the same.
     */
    static final int KB = Config.GEMM_DOT_KB;

    static void multiply(
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
            MemorySegment c,
            long cOff,
            int ldc) {
        int colTiles = (n + TN - 1) / TN;
        long flops = 2L * m * n * k;
        Parallel.RangeBody body = (from, to) -> block(
                m, Math.min(n, from * TN), Math.min(n, to * TN), k, alpha, a, aOff, lda, b, bOff, ldb, c, cOff, ldc);
        if (flops < (1L << 21)) body.run(0, colTiles);
        else Parallel.forRange(colTiles, 1, body);
    }

    private static void block(
            int m,
            int j0,
            int j1,
            int k,
            float alpha,
            MemorySegment a,
            long aOff,
            int lda,
            MemorySegment b,
            long bOff,
            int ldb,
            MemorySegment c,
            long cOff,
            int ldc) {
        for (int p0 = 0; p0 < k; p0 += KB) {
            int len = Math.min(KB, k - p0);
            for (int j = j0; j < j1; j += TN) {
                int nr = Math.min(TN, j1 - j);
                for (int i = 0; i < m; i += TM) {
                    int mr = Math.min(TM, m - i);
                    long ai = aOff + (long) i * lda + p0,
                            bj = bOff + (long) j * ldb + p0,
                            ci = cOff + (long) i * ldc + j;
                    if (mr == TM && nr == TN) {
                        if (TM == 4) VectorGemm.dot4x3(a, ai, lda, b, bj, ldb, len, c, ci, ldc, alpha);
                        else VectorGemm.dot2x3(a, ai, lda, b, bj, ldb, len, c, ci, ldc, alpha);
                    } else {
                        // edges: rows one at a time, columns in threes then singly
                        for (int r = 0; r < mr; r++) {
                            long ar = ai + (long) r * lda, cr = ci + (long) r * ldc;
                            if (nr == TN) {
                                VectorGemm.dot1x3(a, ar, lda, b, bj, ldb, len, c, cr, ldc, alpha);
                            } else {
                                for (int q = 0; q < nr; q++)
                                    VectorGemm.dot1x1(
                                            a, ar, lda, b, bj + (long) q * ldb, ldb, len, c, cr + q, ldc, alpha);
                            }
                        }
                    }
                }
            }
        }
    }
}
