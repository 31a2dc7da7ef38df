package vectorgrad.kernels;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.MemorySegment;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** sgemm against a double-precision triple loop: every transpose case, ragged sizes, alpha/beta, ld > row. */
class GemmTest {
    private final SplittableRandom rnd = new SplittableRandom(7);

    /** C = alpha*op(A)*op(B) + beta*C in double; beta == 0 ignores C (NaN included), as BLAS. */
    static double[] reference(
            boolean ta,
            boolean tb,
            int m,
            int n,
            int k,
            double alpha,
            float[] a,
            int lda,
            float[] b,
            int ldb,
            double beta,
            float[] c,
            int ldc) {
        double[] out = new double[c.length];
        for (int i = 0; i < c.length; i++) out[i] = c[i];
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++) {
                double s = 0;
                for (int p = 0; p < k; p++) {
                    double av = ta ? a[p * lda + i] : a[i * lda + p];
                    double bv = tb ? b[j * ldb + p] : b[p * ldb + j];
                    s += av * bv;
                }
                out[i * ldc + j] = alpha * s + (beta == 0 ? 0 : beta * c[i * ldc + j]);
            }
        return out;
    }

    private void check(boolean ta, boolean tb, int m, int n, int k, float alpha, float beta, int pad) {
        int lda = (ta ? m : k) + pad, ldb = (tb ? k : n) + pad, ldc = n + pad;
        float[] a = Mem.random(rnd, Math.max(1, (ta ? k : m) * lda), -1, 1);
        float[] b = Mem.random(rnd, Math.max(1, (tb ? n : k) * ldb), -1, 1);
        float[] c = Mem.random(rnd, Math.max(1, m * ldc), -1, 1);
        if (beta == 0) for (int i = 0; i < c.length; i += 3) c[i] = Float.NaN;
        double[] want = reference(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
        MemorySegment cs = Mem.of(c);
        Gemm.sgemm(
                ta,
                tb,
                m,
                n,
                k,
                alpha,
                Mem.of(a),
                0,
                Math.max(1, lda),
                Mem.of(b),
                0,
                Math.max(1, ldb),
                beta,
                cs,
                0,
                Math.max(1, ldc));
        float[] got = Mem.read(cs, c.length);
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++) {
                // k products of terms <= 1 summed in float: error grows ~ sqrt(k) ulps; 1e-5*k bounds it loosely
                Mem.assertClose(
                        want[i * ldc + j],
                        got[i * ldc + j],
                        1e-5,
                        1e-5 * Math.max(1, k),
                        "sgemm ta=" + ta + " tb=" + tb + " m=" + m + " n=" + n + " k=" + k + " at " + i + "," + j);
            }
        // the same product with B in a heap array (the convolution's path: its own packing code)
        MemorySegment cs2 = Mem.of(c);
        Gemm.sgemmHeapB(
                ta,
                tb,
                m,
                n,
                k,
                alpha,
                Mem.of(a),
                0,
                Math.max(1, lda),
                b,
                0,
                Math.max(1, ldb),
                beta,
                cs2,
                0,
                Math.max(1, ldc));
        float[] got2 = Mem.read(cs2, c.length);
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++) {
                Mem.assertClose(
                        want[i * ldc + j],
                        got2[i * ldc + j],
                        1e-5,
                        1e-5 * Math.max(1, k),
                        "sgemm (heap B) ta=" + ta + " tb=" + tb + " m=" + m + " n=" + n + " k=" + k + " at " + i + ","
                                + j);
            }
        // padding between rows of C is never written
        for (int i = 0; i < m; i++)
            for (int j = n; j < ldc; j++) {
                float before = c[i * ldc + j];
                assertTrue(Float.compare(before, got[i * ldc + j]) == 0, "wrote into C's padding at " + i + "," + j);
                assertTrue(
                        Float.compare(before, got2[i * ldc + j]) == 0,
                        "wrote into C's padding (heap B) at " + i + "," + j);
            }
    }

    @Test
    void everyTransposeCaseAtRaggedSizes() {
        int[] sizes = {1, 2, 3, 7, 16, 17, 33, 64, 65};
        for (boolean ta : new boolean[] {false, true})
            for (boolean tb : new boolean[] {false, true}) {
                for (int t = 0; t < 40; t++) {
                    int m = sizes[rnd.nextInt(sizes.length)],
                            n = sizes[rnd.nextInt(sizes.length)],
                            k = sizes[rnd.nextInt(sizes.length)];
                    check(ta, tb, m, n, k, 1f, 0f, 0);
                }
            }
    }

    @Test
    void alphaBetaAndLeadingDimensions() {
        for (boolean ta : new boolean[] {false, true})
            for (boolean tb : new boolean[] {false, true}) {
                check(ta, tb, 13, 19, 23, 0.5f, 0f, 3);
                check(ta, tb, 13, 19, 23, -2f, 1f, 5);
                check(ta, tb, 31, 9, 40, 1.5f, 0.25f, 1);
                check(ta, tb, 5, 128, 300, 1f, 0f, 0);
                check(ta, tb, 4, 4, 0, 1f, 0.5f, 0); // k = 0: C = beta*C
            }
    }

    /** Random shapes and transposes (QuickTheories draws them; the reference decides). */
    @Test
    void propertyOverRandomShapes() {
        org.quicktheories.QuickTheory.qt()
                .withExamples(60)
                .withFixedSeed(11)
                .forAll(
                        org.quicktheories.generators.SourceDSL.integers().between(1, 100),
                        org.quicktheories.generators.SourceDSL.integers().between(1, 100),
                        org.quicktheories.generators.SourceDSL.integers().between(1, 100),
                        org.quicktheories.generators.SourceDSL.integers().between(0, 3))
                .checkAssert((m, n, k, t) -> check((t & 1) != 0, (t & 2) != 0, m, n, k, 1f, 0f, t));
    }

    /**
     * The edge tiles that skip the scratch tile: 4 rows (M = 4, 10, 64; 8 = 4 + 4), 32 columns (N = 32,
     * 80, 128), both at once, each with one and two blocks of k (the first stores, the second adds).
     */
    @Test
    void edgeTilesWrittenDirectly() {
        for (int m : new int[] {4, 6, 8, 10, 64}) {
            for (int n : new int[] {32, 80, 128}) {
                for (int k : new int[] {40, 300}) {
                    check(false, false, m, n, k, 1f, 0f, 0);
                    check(true, true, m, n, k, 0.5f, 1f, 3);
                }
            }
        }
    }

    /**
     * A row-major A read in place by the storing kernels (blocks of k from PackedGemm.DIRECT_MIN_K, six-row
     * tiles of 48 or 32 columns, otherwise packed block by block) gives the packed kernels' bits, which every
     * transpose case has, here written out as a scalar loop: each block of k of an
     * element summed by fused multiply-adds in order (multiply, then add, where FMA is not an instruction),
     * the first block's sum times alpha stored (plus the bias), the others' added as {@code sum·alpha + C}.
     * Every transpose case, k of one and of several blocks (the last one short), with and without a bias, blocks
     * of rows that do and do not allow it (m = 200 ends in a block of 8; n = 113 ends in a 17-column panel, so
     * that shape is always packed), one to three threads. The kernels read A in place at 512 bits with the
     * default blocks (the suite's first execution); the other executions check the packed arithmetic alone.
     */
    @Test
    void aReadInPlaceGivesTheKernelsBits() {
        org.junit.jupiter.api.Assumptions.assumeTrue(Simd.VECTOR_AVAILABLE, "the packed kernels' arithmetic");
        int[][] shapes = {{204, 128, 300}, {96, 80, 512}, {200, 144, 1100}, {18, 32, 256}, {204, 113, 300}};
        int saved = Parallel.getNumThreads();
        try {
            for (int[] sh : shapes)
                for (int t = 0; t < 4; t++)
                    for (boolean withBias : new boolean[] {false, true}) {
                        boolean ta = (t & 1) != 0, tb = (t & 2) != 0;
                        int m = sh[0], n = sh[1], k = sh[2];
                        float alpha = withBias ? 1f : 0.5f;
                        float[] a = Mem.random(rnd, m * k, -1, 1), b = Mem.random(rnd, k * n, -1, 1);
                        float[] bias = Mem.random(rnd, n, -1, 1), want = new float[m * n];
                        for (int i = 0; i < m; i++)
                            for (int j = 0; j < n; j++) {
                                float c = 0;
                                for (int p0 = 0; p0 < k; p0 += PackedGemm.KC) {
                                    float sum = 0;
                                    for (int p = p0; p < Math.min(k, p0 + PackedGemm.KC); p++) {
                                        float x = ta ? a[p * m + i] : a[i * k + p],
                                                y = tb ? b[j * k + p] : b[p * n + j];
                                        sum = Config.FMA ? Math.fma(x, y, sum) : x * y + sum;
                                    }
                                    if (p0 == 0) c = withBias ? sum + bias[j] : sum * alpha;
                                    else c = Config.FMA ? Math.fma(sum, alpha, c) : sum * alpha + c;
                                }
                                want[i * n + j] = c;
                            }
                        int lda = ta ? m : k, ldb = tb ? k : n;
                        for (int threads = 1; threads <= 3; threads++) {
                            Parallel.setNumThreads(threads);
                            MemorySegment got = Mem.zeros(m * n);
                            if (withBias)
                                Gemm.sgemmBias(
                                        ta,
                                        tb,
                                        m,
                                        n,
                                        k,
                                        1f,
                                        Mem.of(a),
                                        0,
                                        lda,
                                        Mem.of(b),
                                        0,
                                        ldb,
                                        Mem.of(bias),
                                        0,
                                        got,
                                        0,
                                        n);
                            else
                                Gemm.sgemm(ta, tb, m, n, k, alpha, Mem.of(a), 0, lda, Mem.of(b), 0, ldb, 0f, got, 0, n);
                            assertArrayEquals(
                                    want,
                                    Mem.read(got, m * n),
                                    0f,
                                    (ta ? "T" : "N") + (tb ? "T" : "N") + " " + m + "x" + n + "x" + k
                                            + (withBias ? ", bias" : "") + ", " + threads + " threads");
                        }
                    }
        } finally {
            Parallel.setNumThreads(saved);
        }
    }

    /**
     * C one vector wide or less (the one-vector kernel, masked stores): N = 1, 10, 15, 16, 17 (16 + 1:
     * a full panel's edge of one column) with M leaving 1-5 rows in the last tile, one and two blocks of
     * k, every transpose case, beta 0 and 1 (C read under the mask, and the columns past N untouched).
     */
    @Test
    void narrowProducts() {
        for (int m : new int[] {7, 11, 64, 65}) {
            for (int n : new int[] {1, 10, 15, 16, 17}) {
                for (int k : new int[] {600, 300}) {
                    check(false, true, m, n, k, 1f, 0f, 0);
                    check(false, false, m, n, k, 0.5f, 1f, 3);
                    check(true, true, m, n, k, 1f, 1f, 5);
                    check(true, false, m, n, k, 2f, 0f, 1);
                }
            }
        }
    }

    /**
     * A·B with at most six rows (StreamGemm: B streamed, six rows by two vectors a tile): every row count,
     * columns in whole tiles and with a scalar tail, k inside one block of 16, at its edge and across
     * blocks (the first block stores over C when beta is 0, later ones add), alpha and beta, padded rows:
     * through sgemm's dispatch, and through StreamGemm directly (sgemm sends products under
     * {@code PACKED_MIN_WORK} multiply-adds to its unpacked loops).
     */
    @Test
    void fewRowsTimesB() {
        for (int m = 1; m <= 6; m++) {
            for (int n : new int[] {64, 65, 100, 333}) {
                for (int k : new int[] {1, 15, 16, 17, 33, 100}) {
                    check(false, false, m, n, k, 1f, 0f, 0);
                    check(false, false, m, n, k, 0.5f, 1f, 3);
                    check(false, false, m, n, k, -2f, 0.25f, 1);
                    checkStream(false, m, n, k, 1f, true, 0);
                    checkStream(false, m, n, k, -0.5f, false, 3);
                }
            }
        }
    }

    /**
     * StreamGemm called directly (C overwritten, or added to), against the reference: every element of C,
     * and C's padding between rows untouched. On the vector path only (its tiles are Vector API code).
     */
    private void checkStream(boolean ta, int m, int n, int k, float alpha, boolean overwrite, int pad) {
        if (!Simd.VECTOR_AVAILABLE) return;
        int lda = (ta ? m : k) + pad, ldb = n + pad, ldc = n + pad;
        float[] a = Mem.random(rnd, (ta ? k : m) * lda, -1, 1), b = Mem.random(rnd, k * ldb, -1, 1);
        float[] c = Mem.random(rnd, m * ldc, -1, 1);
        if (overwrite) for (int i = 0; i < c.length; i += 3) c[i] = Float.NaN;
        double[] want = reference(ta, false, m, n, k, alpha, a, lda, b, ldb, overwrite ? 0f : 1f, c, ldc);
        MemorySegment cs = Mem.of(c);
        StreamGemm.multiply(ta, m, n, k, alpha, Mem.of(a), 0, lda, Mem.of(b), 0, ldb, overwrite, cs, 0, ldc);
        float[] got = Mem.read(cs, c.length);
        String what = "StreamGemm ta=" + ta + " m=" + m + " n=" + n + " k=" + k + " overwrite=" + overwrite;
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++)
                Mem.assertClose(want[i * ldc + j], got[i * ldc + j], 1e-5, 1e-5 * k, what + " at " + i + "," + j);
            for (int j = n; j < ldc; j++)
                assertTrue(Float.compare(c[i * ldc + j], got[i * ldc + j]) == 0, what + ": wrote C's padding");
        }
    }

    /**
     * op(A)·B with k at most 16 and any number of rows (StreamGemm over groups of six rows: a weight
     * gradient gᵀ·x at a small batch): A stored or transposed, rows in whole and partial groups, columns
     * with a tail, alpha and beta, padded rows.
     */
    @Test
    void shallowProductsOfAnyHeight() {
        for (boolean ta : new boolean[] {false, true}) {
            for (int m : new int[] {7, 13, 128}) {
                for (int n : new int[] {64, 65, 333, 1100}) {
                    for (int k : new int[] {1, 5, 16}) {
                        check(ta, false, m, n, k, 1f, 0f, 0);
                        check(ta, false, m, n, k, 0.5f, 1f, 3);
                        check(ta, false, m, n, k, -2f, 0.25f, 1);
                        checkStream(ta, m, n, k, 1f, true, 0);
                        checkStream(ta, m, n, k, 0.5f, false, 3);
                    }
                }
            }
        }
    }

    /** The MNIST model's products (Linear(9216,128) forward and both gradients, Linear(128,10)). */
    @Test
    void mnistShapes() {
        check(false, true, 5, 128, 9216, 1f, 0f, 0); // x · Wᵀ
        check(false, false, 5, 9216, 128, 1f, 0f, 0); // g · W
        check(false, true, 64, 128, 9216, 1f, 0f, 0); // x · Wᵀ at batch 64: cut along k into slices
        check(false, true, 37, 130, 5000, 0.5f, 0.75f, 3); // the same with beta and padded rows
        check(true, true, 37, 130, 5000, 1f, 1f, 1);
        check(true, false, 128, 9216, 5, 1f, 1f, 0); // gᵀ · x, accumulated
        check(false, true, 5, 10, 128, 1f, 0f, 0);
        check(false, true, 64, 10, 128, 1f, 0f, 0); // Linear(128, 10) at batch 64: the one-vector kernel
    }

    /**
     * Bit for bit on 1, 2 and 3 threads: C split by rows, by columns (n > m with many panels: Linear's
     * backward products at batch 64, scaled down but past the parallel threshold; g·W at batch 5, B
     * streamed) and along k (a small C
     * with a long k: the forward), alpha != 1, beta = 1.
     */
    @Test
    void resultDoesNotDependOnThreadCount() {
        sameOnOneTwoThreeThreads(false, false, 170, 150, 90, 1f, 0f);
        sameOnOneTwoThreeThreads(false, false, 150, 170, 90, 1f, 0f);
        sameOnOneTwoThreeThreads(false, true, 32, 130, 2100, 0.5f, 1f); // x · Wᵀ
        sameOnOneTwoThreeThreads(false, false, 32, 2100, 130, 1f, 1f); // g · W
        sameOnOneTwoThreeThreads(false, false, 5, 9216, 130, 0.5f, 1f); // g · W at batch 5: B streamed
        sameOnOneTwoThreeThreads(true, false, 128, 9216, 5, 1f, 0f); // gᵀ · x at batch 5: B streamed
        sameOnOneTwoThreeThreads(true, false, 130, 2100, 32, 0.5f, 0f); // gᵀ · x
        sameOnOneTwoThreeThreads(false, true, 24, 64, 8192, 0.5f, 1f); // small C, long k: cut along k
        sameOnOneTwoThreeThreads(true, false, 24, 64, 8192, 1f, 0f);
    }

    private void sameOnOneTwoThreeThreads(boolean ta, boolean tb, int m, int n, int k, float alpha, float beta) {
        float[] a = Mem.random(rnd, m * k, -1, 1),
                b = Mem.random(rnd, k * n, -1, 1),
                c0 = Mem.random(rnd, m * n, -1, 1);
        int saved = Parallel.getNumThreads();
        try {
            float[][] results = new float[3][];
            int[] threads = {1, 2, 3};
            for (int t = 0; t < 3; t++) {
                Parallel.setNumThreads(threads[t]);
                MemorySegment c = Mem.of(c0);
                Gemm.sgemm(ta, tb, m, n, k, alpha, Mem.of(a), 0, ta ? m : k, Mem.of(b), 0, tb ? k : n, beta, c, 0, n);
                results[t] = Mem.read(c, m * n);
            }
            String what = (ta ? "T" : "N") + (tb ? "T" : "N") + " " + m + "x" + n + "x" + k;
            assertArrayEquals(results[0], results[1], 0f, what);
            assertArrayEquals(results[0], results[2], 0f, what);
        } finally {
            Parallel.setNumThreads(saved);
        }
    }

    /**
     * One row of A against Bᵀ (a Linear layer's x·Wᵀ for one input: the dot-product path's edge tiles of one row
     * by three columns and by one) gives, element by element, the bits that row gets as the first of three (tiles
     * of two or four rows by three columns) and is within the definition's rounding: column counts not a multiple
     * of three, k with and without a scalar tail, C added to with alpha ≠ 1; one, two and three threads.
     */
    @Test
    void oneRowTimesBTransposedGivesTheBitsOfARowAmongOthers() {
        int saved = Parallel.getNumThreads();
        try {
            for (int n : new int[] {1, 5, 6, 7, 12, 13, 17, 128})
                for (int k : new int[] {64, 67, 300, 9216}) {
                    float[] a = Mem.random(rnd, 3 * k, -1, 1), b = Mem.random(rnd, n * k, -1, 1);
                    float[] c = Mem.random(rnd, 3 * n, -1, 1);
                    MemorySegment three = Mem.of(c);
                    Gemm.sgemm(false, true, 3, n, k, 0.75f, Mem.of(a), 0, k, Mem.of(b), 0, k, 1f, three, 0, n);
                    float[] want = Mem.read(three, n);
                    double[] ref = reference(false, true, 1, n, k, 0.75f, a, k, b, k, 1f, c, n);
                    for (int threads = 1; threads <= 3; threads++) {
                        Parallel.setNumThreads(threads);
                        MemorySegment one = Mem.of(java.util.Arrays.copyOf(c, n));
                        Gemm.sgemm(false, true, 1, n, k, 0.75f, Mem.of(a), 0, k, Mem.of(b), 0, k, 1f, one, 0, n);
                        float[] got = Mem.read(one, n);
                        String what = "1x" + n + "x" + k + ", " + threads + " threads";
                        assertArrayEquals(want, got, 0f, what);
                        for (int j = 0; j < n; j++)
                            assertTrue(Math.abs(got[j] - ref[j]) <= 1e-5 * Math.sqrt(k), what + ", column " + j);
                    }
                }
        } finally {
            Parallel.setNumThreads(saved);
        }
    }

    /**
     * C = op(A)·op(B) + bias row: the same bits as C filled with the bias and sgemm with beta = 1, on every
     * path (packed with whole and edge tiles and two blocks of k, cut along k, dot-product, streamed, the
     * unpacked loops) and on one, two and three threads; C's old contents (NaN here) are not read.
     */
    @Test
    void biasRowGivesTheBitsOfBetaOneOverAFilledC() {
        int[][] shapes = {
            {0, 1, 128, 512, 128},
            {0, 1, 130, 70, 300},
            {0, 1, 37, 19, 600},
            {0, 1, 24, 64, 8192},
            {0, 1, 5, 128, 9216},
            {0, 0, 5, 300, 130},
            {1, 0, 70, 50, 300},
            {0, 0, 170, 150, 90},
            {0, 1, 3, 4, 5},
            {0, 1, 96, 10, 300}
        };
        int saved = Parallel.getNumThreads();
        try {
            for (int[] sh : shapes) {
                for (float alpha : new float[] {1f, 0.5f}) biasCase(sh[0] == 1, sh[1] == 1, sh[2], sh[3], sh[4], alpha);
            }
        } finally {
            Parallel.setNumThreads(saved);
        }
        IllegalArgumentException e = assertThrows(
                IllegalArgumentException.class,
                () -> Gemm.sgemmBias(
                        false,
                        true,
                        2,
                        3,
                        4,
                        1f,
                        Mem.zeros(8),
                        0,
                        4,
                        Mem.zeros(12),
                        0,
                        4,
                        Mem.zeros(2),
                        0,
                        Mem.zeros(6),
                        0,
                        3));
        assertTrue(e.getMessage().startsWith("sgemm bias: needs floats [0, 3)"), e.getMessage());
    }

    /**
     * A row epilogue gives the bits of the product followed by the map row by row (GELU into a second matrix,
     * or GELU's derivative at a second matrix times C, or GELU with its derivative in place of C, or a second
     * matrix times C), on every path — packed with rows split between
     * threads, with columns split, with several blocks of k, cut along k, dot-product, streamed, the unpacked
     * loops — with and without a bias row, rows whose length is not whole vectors, and one, two and three
     * threads.
     */
    @Test
    void rowEpilogueGivesTheBitsOfTheProductThenTheMapRowByRow() {
        int[][] shapes = {
            {0, 1, 300, 512, 128},
            {0, 0, 300, 130, 90},
            {0, 0, 32, 2100, 130},
            {0, 1, 130, 70, 1300},
            {0, 1, 24, 64, 8192},
            {0, 1, 5, 128, 9216},
            {0, 0, 5, 300, 130},
            {1, 0, 70, 50, 300},
            {0, 1, 3, 4, 5}
        };
        int saved = Parallel.getNumThreads();
        try {
            for (int[] sh : shapes)
                for (Gemm.RowEpilogue.Kind kind : Gemm.RowEpilogue.Kind.values())
                    for (boolean withBias : new boolean[] {false, true})
                        epilogueCase(sh[0] == 1, sh[1] == 1, sh[2], sh[3], sh[4], kind, withBias, geluMap(kind));
            // a map whose derivative is not computed lane by lane with it (SiLU's): C is both the factor and the
            // output, or both the map's input and its derivative's output
            for (Gemm.RowEpilogue.Kind kind : Gemm.RowEpilogue.Kind.values())
                if (kind != Gemm.RowEpilogue.Kind.TIMES)
                    epilogueCase(
                            false,
                            true,
                            300,
                            520,
                            128,
                            kind,
                            true,
                            kind == Gemm.RowEpilogue.Kind.TIMES_MAP
                                    ? Elementwise.Unary.SILU_GRAD
                                    : Elementwise.Unary.SILU);
        } finally {
            Parallel.setNumThreads(saved);
        }
    }

    /** The GELU map each kind of epilogue takes in a transformer's MLP (none for TIMES). */
    private static Elementwise.Unary geluMap(Gemm.RowEpilogue.Kind kind) {
        return switch (kind) {
            case MAP, MAP_AND_DERIVATIVE -> Elementwise.Unary.GELU;
            case TIMES_MAP -> Elementwise.Unary.GELU_GRAD;
            case TIMES -> null;
        };
    }

    private void epilogueCase(
            boolean ta,
            boolean tb,
            int m,
            int n,
            int k,
            Gemm.RowEpilogue.Kind kind,
            boolean withBias,
            Elementwise.Unary op) {
        float[] a = Mem.random(rnd, m * k, -1, 1), b = Mem.random(rnd, k * n, -1, 1), bias = Mem.random(rnd, n, -1, 1);
        int ld = n + 3, lda = ta ? m : k, ldb = tb ? k : n;
        float[] other0 = Mem.random(rnd, 2 + m * ld, -3, 3);
        MemorySegment expected = Mem.zeros(m * n), expectedOther = Mem.of(other0);
        if (withBias)
            Gemm.sgemmBias(ta, tb, m, n, k, 1f, Mem.of(a), 0, lda, Mem.of(b), 0, ldb, Mem.of(bias), 0, expected, 0, n);
        else Gemm.sgemm(ta, tb, m, n, k, 1f, Mem.of(a), 0, lda, Mem.of(b), 0, ldb, 0f, expected, 0, n);
        MemorySegment product = Mem.of(Mem.read(expected, m * n));
        for (int r = 0; r < m; r++) {
            long o = 2 + (long) r * ld, c = (long) r * n;
            switch (kind) {
                case MAP -> Elementwise.unary(op, expected, c, expectedOther, o, n);
                case MAP_AND_DERIVATIVE -> {
                    Elementwise.unary(op, expected, c, expectedOther, o, n);
                    Elementwise.unary(Elementwise.derivative(op), product, c, expected, c, n);
                }
                case TIMES_MAP -> Elementwise.unaryMul(op, expectedOther, o, product, c, expected, c, n);
                case TIMES -> {
                    for (int j = 0; j < n; j++)
                        expected.setAtIndex(
                                java.lang.foreign.ValueLayout.JAVA_FLOAT,
                                c + j,
                                expectedOther.getAtIndex(java.lang.foreign.ValueLayout.JAVA_FLOAT, o + j)
                                        * product.getAtIndex(java.lang.foreign.ValueLayout.JAVA_FLOAT, c + j));
                }
            }
        }
        for (int threads = 1; threads <= 3; threads++) {
            Parallel.setNumThreads(threads);
            // C starts as NaN: neither form reads it; a null bias is sgemm with beta = 0
            float[] nan = new float[m * n];
            java.util.Arrays.fill(nan, Float.NaN);
            MemorySegment c = Mem.of(nan), other = Mem.of(other0);
            Gemm.RowEpilogue e = new Gemm.RowEpilogue(kind, op, other, 2, ld);
            MemorySegment biasOrNull = withBias ? Mem.of(bias) : null;
            Gemm.sgemmBias(ta, tb, m, n, k, 1f, Mem.of(a), 0, lda, Mem.of(b), 0, ldb, biasOrNull, 0, c, 0, n, e);
            String what = (ta ? "T" : "N") + (tb ? "T" : "N") + " " + m + "x" + n + "x" + k + ", " + kind + " " + op
                    + (withBias ? ", bias" : "") + ", " + threads + " threads";
            assertArrayEquals(Mem.read(expected, m * n), Mem.read(c, m * n), 0f, what);
            assertArrayEquals(Mem.read(expectedOther, other0.length), Mem.read(other, other0.length), 0f, what);
        }
    }

    private void biasCase(boolean ta, boolean tb, int m, int n, int k, float alpha) {
        float[] a = Mem.random(rnd, m * k, -1, 1), b = Mem.random(rnd, k * n, -1, 1);
        float[] bias = Mem.random(rnd, n + 3, -1, 1), filled = new float[m * n], nan = new float[m * n];
        for (int i = 0; i < m; i++) System.arraycopy(bias, 3, filled, i * n, n);
        java.util.Arrays.fill(nan, Float.NaN);
        int lda = ta ? m : k, ldb = tb ? k : n;
        MemorySegment expected = Mem.of(filled);
        Gemm.sgemm(ta, tb, m, n, k, alpha, Mem.of(a), 0, lda, Mem.of(b), 0, ldb, 1f, expected, 0, n);
        for (int threads = 1; threads <= 3; threads++) {
            Parallel.setNumThreads(threads);
            MemorySegment c = Mem.of(nan);
            Gemm.sgemmBias(ta, tb, m, n, k, alpha, Mem.of(a), 0, lda, Mem.of(b), 0, ldb, Mem.of(bias), 3, c, 0, n);
            String what = (ta ? "T" : "N") + (tb ? "T" : "N") + " " + m + "x" + n + "x" + k + ", alpha " + alpha + ", "
                    + threads + " threads";
            assertArrayEquals(Mem.read(expected, m * n), Mem.read(c, m * n), 0f, what);
        }
    }

    @Test
    void mismatchedSizesNameEveryShape() {
        MemorySegment a = Mem.zeros(10), b = Mem.zeros(10), c = Mem.zeros(10);
        IllegalArgumentException e = assertThrows(
                IllegalArgumentException.class,
                () -> Gemm.sgemm(false, false, 5, 10, 9216, 1f, a, 0, 9216, b, 0, 10, 0f, c, 0, 10));
        assertTrue(e.getMessage().contains("5x9216") && e.getMessage().contains("9216x10"), e.getMessage());
        assertThrows(
                IllegalArgumentException.class,
                () -> Gemm.sgemm(false, false, -1, 2, 2, 1f, a, 0, 2, b, 0, 2, 0f, c, 0, 2));
        assertThrows(
                IllegalArgumentException.class,
                () -> Gemm.sgemm(false, false, 2, 2, 3, 1f, a, 0, 2, b, 0, 2, 0f, c, 0, 2));
    }

    /** The scalar NT path's four sums side by side give {@link Gemm#dotScalar}'s bits for each, at any k. */
    @Test
    void fourScalarDotsGiveTheBitsOfOne() {
        for (int k : new int[] {1, 3, 16, 37, 128}) {
            int ldb = k + 3;
            float[] a = Mem.random(rnd, k, -1, 1), b = Mem.random(rnd, 4 * ldb, -1, 1), c = Mem.random(rnd, 4, -1, 1);
            MemorySegment as = Mem.of(a), bs = Mem.of(b), cs = Mem.of(c);
            Gemm.dotScalar4(k, 0.75f, as, 0, bs, 0, ldb, cs, 0);
            float[] got = Mem.read(cs, 4);
            for (int q = 0; q < 4; q++)
                org.junit.jupiter.api.Assertions.assertEquals(
                        Float.floatToRawIntBits(c[q] + 0.75f * Gemm.dotScalar(k, as, 0, bs, (long) q * ldb, 0)),
                        Float.floatToRawIntBits(got[q]),
                        "output " + q + ", k = " + k);
        }
    }
}
