package vectorgrad.kernels;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * {@code C = alpha·A·B + beta·C} for A of at most six rows and B stored k x n (the NN case with few rows: a
 * Linear layer's input gradient {@code g·W} at a small batch): B is read once, straight from its rows,
 * nothing packed. Six rows of C by two vectors of columns stay in registers over a block of B's rows
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
    /** Columns of a tile: two vectors. */
    private static final int WIDTH = 2 * VectorKernels.LANES;

    /** Whether A·B (neither transposed) with m rows and n columns runs here. */
    static boolean serves(boolean transA, boolean transB, int m, int n) {
        return !transA && !transB && m <= MAX_M && n >= 2 * WIDTH;
    }

    /**
     * The product, C's rows scaled by beta beforehand unless beta is 0 (C then overwritten, not read) or 1.
     */
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
            boolean overwrite,
            MemorySegment c,
            long cOff,
            int ldc) {
        // A on the heap, six rows (zeros past m), alpha applied: the tile broadcasts from it
        float[] ah = new float[MAX_M * k];
        for (int r = 0; r < m; r++)
            for (int p = 0; p < k; p++) ah[r * k + p] = alpha * a.getAtIndex(F, aOff + (long) r * lda + p);
        int blocks = n / WIDTH;
        Parallel.RangeBody body = (from, to) -> {
            for (int p0 = 0; p0 < k; p0 += KB) {
                int len = Math.min(KB, k - p0);
                boolean add = p0 > 0 || !overwrite;
                long bRow = bOff + (long) p0 * ldb;
                for (int jb = from; jb < to; jb++) {
                    long j = (long) jb * WIDTH;
                    MicroKernels.streamTile(len, ah, p0, k, b, bRow + j, ldb, c, cOff + j, ldc, m, add);
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
