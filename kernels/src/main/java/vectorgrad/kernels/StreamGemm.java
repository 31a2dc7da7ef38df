package vectorgrad.kernels;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * {@code C = alpha·op(A)·B + beta·C} with B stored k x n, read once straight from its rows, nothing packed:
 * for A of at most six rows (a Linear layer's input gradient {@code g·W} at a small batch), and for any A
 * when k is at most {@link #SMALL_K} (its weight gradient {@code gᵀ·x}, C as large as the weight: writing C
 * is the work). op(A) is copied to the heap in groups of six rows. Six rows of C by two vectors of columns stay in registers over a block of B's rows
 * ({@link Config#GEMM_STREAM_KB}), so each pass streams that many rows of B in sequence (a few prefetch
 * streams) and C's tile goes to memory once a block. Threads take disjoint ranges of C's columns; each
 * element sums its products in the order of k, by the same blocks, whatever the thread count.
 */
final class StreamGemm {
    private StreamGemm() {}

    private static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT;
    /** Rows of A a tile holds: {@link MicroKernels#streamTile}'s. */
    static final int MAX_M = Config.GEMM_STREAM_MAX_M;

    /**
     * Rows of B a pass streams: 5x9216x128 on two threads (JMH, products/s) at 4, 8, 16, 32, 64, 128 rows:
     * 7,256, 9,355, 9,984-10,681, 9,196, 8,525, 8,843 at 512 bits; 4,269, 6,098, 6,976-7,181, 6,092, 5,007,
     * 4,939 at 256.
     */
    private static final int KB = Config.GEMM_STREAM_KB;
    /** The calling thread's copy of op(A), kept for the next call (the pool's threads only read it). */
    private static final ThreadScratch.Floats A_COPY = new ThreadScratch.Floats();
    /** Columns of a tile: two vectors. */
    private static final int WIDTH = 2 * VectorKernels.LANES;

    /**
     * k up to which any A runs here (B stored k x n, so at most {@value #SMALL_K} of its rows: they stay in
     * the core's caches while every six rows of A pass over them): a weight gradient gᵀ·x at a small batch,
     * where writing C is the work.
     */
    static final int SMALL_K = 16;

    /**
     * Whether op(A)·B (B not transposed) with m rows, n columns and depth k runs here. The threads split C's
     * columns only, and the columns past the last whole tile go one at a time on the calling thread, so a
     * shallow product of many rows comes here only when it is wide ({@value #SHALLOW_MIN_TILES} tiles of
     * columns or more); narrower, the packed path splits its rows.
     */
    static boolean serves(boolean transA, boolean transB, int m, int n, int k) {
        if (MAX_M <= 0 || transB || n < 2 * WIDTH) return false;
        return (!transA && m <= MAX_M) || (k <= SMALL_K && n >= SHALLOW_MIN_TILES * WIDTH);
    }

    /** Tiles of columns a shallow product (k at most {@link #SMALL_K}, any m) needs to run here. */
    static final int SHALLOW_MIN_TILES = 32;

    /**
     * The product, C's rows scaled by beta beforehand unless beta is 0 (C then overwritten, not read) or 1.
     */
    static void multiply(
            boolean transA,
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
            boolean overwrite,
            MemorySegment c,
            long cOff,
            int ldc) {
        // op(A) on the heap, rows k long in groups of six (zeros past m), alpha applied: the tile broadcasts
        // from it
        int groups = (m + 5) / 6;
        float[] ah = A_COPY.get(groups * 6 * k);
        java.util.Arrays.fill(ah, m * k, groups * 6 * k, 0f);
        for (int r = 0; r < m; r++)
            for (int p = 0; p < k; p++)
                ah[r * k + p] = alpha * a.getAtIndex(F, transA ? aOff + (long) p * lda + r : aOff + (long) r * lda + p);
        int blocks = n / WIDTH;
        Parallel.RangeBody body = (from, to) -> {
            for (int p0 = 0; p0 < k; p0 += KB) {
                int len = Math.min(KB, k - p0);
                boolean add = p0 > 0 || !overwrite;
                long bRow = bOff + (long) p0 * ldb;
                // six rows of C at a time, along the thread's columns: C is written in six sequential streams
                // (column by column down all the rows it was 0.8x as fast), B's few rows re-read from the cache
                for (int gr = 0; gr < groups; gr++) {
                    int r0 = 6 * gr;
                    for (int jb = from; jb < to; jb++) {
                        long j = (long) jb * WIDTH;
                        MicroKernels.streamTile(
                                len,
                                ah,
                                r0 * k + p0,
                                k,
                                b,
                                bRow + j,
                                ldb,
                                c,
                                cOff + (long) r0 * ldc + j,
                                ldc,
                                Math.min(6, m - r0),
                                add);
                    }
                }
            }
        };
        long flops = 2L * m * n * k, bytes = 4L * ((long) m * k + (long) k * n + (long) m * n);
        if (Parallel.getNumThreads() > 1
                && (flops >= PackedGemm.PARALLEL_MIN_FLOPS || bytes >= PackedGemm.PARALLEL_MIN_BYTES))
            Parallel.forRange(blocks, 1, body);
        else body.run(0, blocks);
        // columns past the last whole tile: the same sums, by the same blocks of k, one at a time
        for (int r = 0; r < m; r++) {
            for (int j = blocks * WIDTH; j < n; j++) {
                long cj = cOff + (long) r * ldc + j;
                for (int p0 = 0; p0 < k; p0 += KB) {
                    float s = 0f;
                    for (int p = p0; p < Math.min(k, p0 + KB); p++) {
                        float x = ah[r * k + p], y = b.getAtIndex(F, bOff + (long) p * ldb + j);
                        s = Config.FMA ? Math.fma(x, y, s) : x * y + s;
                    }
                    c.setAtIndex(F, cj, p0 > 0 || !overwrite ? c.getAtIndex(F, cj) + s : s);
                }
            }
        }
    }
}
