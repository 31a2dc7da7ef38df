package vectorgrad.kernels;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.MemorySegment;
import java.util.SplittableRandom;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The scalar twins of {@link ColdStart}: every public entry point that has one gives the same bits with
 * every call sent to the twin as with every call sent to the vector form, over shapes with every kind of
 * edge; and a scheduled warm-up ends with its kernel warm.
 */
class ColdStartTest {
    private final SplittableRandom rnd = new SplittableRandom(7);

    @AfterEach
    void restore() {
        ColdStart.force(null);
    }

    /** Runs {@code call} into a zeroed output of n floats twice, twins then vector forms; both outputs. */
    private static float[][] bothWays(int n, Consumer<MemorySegment> call) {
        float[][] r = new float[2][];
        for (int way = 0; way < 2; way++) {
            ColdStart.force(way == 0);
            MemorySegment out = Mem.zeros(n);
            call.accept(out);
            r[way] = Mem.read(out, n);
        }
        ColdStart.force(null);
        return r;
    }

    private static void assertSameBits(float[][] r, String what) {
        assertEquals(r[1].length, r[0].length, what);
        for (int i = 0; i < r[0].length; i++) {
            if (Float.floatToRawIntBits(r[0][i]) != Float.floatToRawIntBits(r[1][i]))
                throw new AssertionError(what + ": element " + i + " twin " + r[0][i] + " vector " + r[1][i]);
        }
    }

    /** Values with ties, exact zeros of both signs and a spread of magnitudes, as activations have. */
    private float[] values(int n) {
        float[] v = Mem.random(rnd, n, -2, 2);
        for (int i = 0; i < n; i += 7) v[i] = 0f;
        for (int i = 3; i < n; i += 11) v[i] = -0f;
        for (int i = 5; i < n; i += 13) v[i] *= 1e3f;
        return v;
    }

    @Test
    void lanesAreTheVectorKernelsLanes() {
        if (!Simd.VECTOR_AVAILABLE) return;
        assertEquals(VectorKernels.LANES, Simd.floatLanes());
        assertEquals(VectorKernels.LANES, ColdStart.LANES);
    }

    @Test
    void convolutionsMatchTheirVectorForms() {
        if (!Simd.VECTOR_AVAILABLE) return;
        int checked = 0;
        int[][] shapes = { // batch, inC, h, w, outC, pad
            {1, 1, 28, 28, 32, 0},
            {2, 1, 17, 19, 5, 1},
            {1, 1, 9, 40, 3, 2}, // direct 3x3
            {1, 32, 26, 26, 64, 0},
            {2, 16, 7, 9, 32, 1},
            {1, 16, 5, 6, 96, 0},
            {1, 48, 11, 13, 64, 2},
            {2, 32, 4, 4, 32, 1}
        };
        for (int[] s : shapes) {
            Conv.Geometry g = new Conv.Geometry(s[0], s[1], s[2], s[3], s[4], 3, 3, 1, 1, s[5], s[5], 1, 1);
            ConvPlan.Algorithm alg = ConvPlan.forward(g);
            if (alg != ConvPlan.Algorithm.WINOGRAD && alg != ConvPlan.Algorithm.DIRECT_3X3) continue;
            MemorySegment x = Mem.of(values((int) g.inputSize())),
                    w = Mem.of(Mem.random(rnd, (int) g.weightSize(), -0.5, 0.5)),
                    b = Mem.of(Mem.random(rnd, g.outC(), -1, 1));
            for (MemorySegment bias : new MemorySegment[] {b, null}) {
                float[][] r = bothWays((int) g.outputSize(), out -> Conv.forward(g, x, w, bias, out));
                assertSameBits(r, alg + " " + g + (bias == null ? " without bias" : ""));
                checked++;
            }
        }
        assertTrue(checked >= 10, "too few shapes took a kernel with a twin: " + checked);
    }

    @Test
    void productsMatchTheirVectorForms() {
        // the dot-product tiles (m <= 16, k >= 64, NT) with every tile edge and k past its block, and the
        // unpacked loops (m·n·k below the packing threshold) in every transpose
        int[][] shapes = {{1, 128, 9216}, {1, 10, 128}, {5, 7, 77}, {4, 3, 64}, {16, 13, 300}, {3, 5, 16400}, {2, 9, 5}
        };
        for (int[] s : shapes) {
            int m = s[0], n = s[1], k = s[2];
            for (boolean ta : new boolean[] {false, true}) {
                for (boolean tb : new boolean[] {false, true}) {
                    if ((long) m * n * k >= Gemm.PACKED_MIN_WORK && !(tb && !ta)) continue; // packed: no twin
                    MemorySegment a = Mem.of(values(m * k)), b = Mem.of(values(k * n));
                    float[] c0 = values(m * n);
                    for (float beta : new float[] {0f, 1f, 0.5f}) {
                        float[][] r = bothWays(m * n, c -> {
                            MemorySegment.copy(Mem.of(c0), 0, c, 0, (long) m * n * Float.BYTES);
                            Gemm.sgemm(ta, tb, m, n, k, 0.75f, a, 0, ta ? m : k, b, 0, tb ? k : n, beta, c, 0, n);
                        });
                        assertSameBits(
                                r,
                                "sgemm " + m + "x" + n + "x" + k + " transA " + ta + " transB " + tb + " beta " + beta);
                    }
                }
            }
        }
    }

    @Test
    void maxPoolingMatchesItsVectorForm() {
        // planes x h x w: one window row shorter than a vector, odd sizes (a row and a column left over),
        // rows of more than one vector of windows and a row of exactly two vectors
        int[][] shapes = {{3, 24, 25}, {2, 5, 4}, {1, 2, 2}, {2, 41, 40}, {1, 64, 65}, {2, 3, 70}};
        for (int[] s : shapes) {
            int planes = s[0], h = s[1], w = s[2];
            float[] x = values(planes * h * w);
            for (int i = 1; i < x.length; i += 9) x[i] = x[i - 1]; // ties: the first wins in both
            if (x.length > 80) {
                x[40] = Float.NaN;
                x[77] = Float.POSITIVE_INFINITY;
                x[78] = Float.NEGATIVE_INFINITY;
            }
            MaxPool.Geometry g = new MaxPool.Geometry(planes, h, w, 2, 2, 2, 2, 0, 0, 1, 1, false);
            int n = g.planes() * g.outH() * g.outW();
            MemorySegment in = Mem.of(x);
            String what = "max pooling " + planes + "x" + h + "x" + w;
            float[][] values = bothWays(n, out -> MaxPool.maxForward(g, in, out, Mem.zeros(n)));
            assertSameBits(values, what);
            float[][] indices = bothWays(n, idx -> MaxPool.maxForward(g, in, Mem.zeros(n), idx));
            assertSameBits(indices, what + "'s indices");
            assertSameBits(bothWays(n, out -> MaxPool.maxForward(g, in, out, null)), what + " without indices");
        }
    }

    @Test
    void exactMapsMatchTheirVectorForms() {
        float[] special = {
            0f,
            -0f,
            1f,
            -1f,
            Float.NaN,
            Float.POSITIVE_INFINITY,
            Float.NEGATIVE_INFINITY,
            Float.MIN_VALUE,
            -Float.MIN_VALUE,
            Float.MAX_VALUE,
            -Float.MAX_VALUE,
            Float.MIN_NORMAL,
            3e-39f,
            -3e-39f,
            1e19f,
            -1e-20f
        };
        for (Elementwise.Unary op : Elementwise.Unary.values()) {
            if (!ColdKernels.exact(op)) continue;
            for (int n : Mem.SIZES) {
                float[] x = values(n);
                for (int i = 0; i < n; i++) if (i % 3 == 0) x[i] = special[i / 3 % special.length];
                MemorySegment in = Mem.of(x);
                assertSameBits(bothWays(n, out -> Elementwise.unary(op, in, 0, out, 0, n)), op + " over " + n);
            }
        }
    }

    /**
     * Softmax and log-softmax rows (a classifier's ten logits, rows of whole vectors, rows with tails),
     * twin against vector form bit for bit, with large logits, ties, zeros of both signs and a row whose every
     * logit is -∞.
     */
    @Test
    void softmaxRowsMatchTheirVectorForm() {
        for (int n : new int[] {4, 8, 10, 16, 17, 33, 100, 131}) {
            int rows = 16;
            // rows of moderate logits (whose sums round differently in another order), one of activation-like
            // values, one with a large logit, one with every logit -∞
            float[] x = Mem.random(rnd, rows * n, -3, 3);
            System.arraycopy(values(n), 0, x, n, n);
            x[2 * n + 1] = 80f;
            java.util.Arrays.fill(x, 3 * n, 4 * n, Float.NEGATIVE_INFINITY);
            MemorySegment in = Mem.of(x);
            for (boolean log : new boolean[] {false, true})
                assertSameBits(
                        bothWays(rows * n, out -> Softmax.forward(rows, n, 1, in, out, log)),
                        (log ? "log_softmax" : "softmax") + " rows of " + n);
        }
    }

    @Test
    void aWarmUpEndsWithItsKernelWarm() throws InterruptedException {
        if (!Simd.VECTOR_AVAILABLE) return;
        ColdStart.reset();
        ColdStart.served(ColdStart.Kernel.EXACT_MAPS, new ColdStart.MapCall(Elementwise.Unary.RELU, 1000));
        long end = System.nanoTime() + 30_000_000_000L;
        while (!ColdStart.isWarm(ColdStart.Kernel.EXACT_MAPS) && System.nanoTime() < end) Thread.sleep(10);
        assertTrue(ColdStart.isWarm(ColdStart.Kernel.EXACT_MAPS), "not warm after 30 s");
    }

    /**
     * The twins' warm-up runs every twin on its shapes without failing (on the warm-up thread a failure is
     * only logged). Whether C1 then has them compiled is not something a test can see.
     */
    @Test
    void theTwinsWarmUpRunsEveryTwin() {
        if (!Simd.VECTOR_AVAILABLE) return;
        ColdStart.force(true); // the pooling goes through its entry point: to its twin, as on the warm-up thread
        try {
            ColdStart.warmTwins();
        } finally {
            ColdStart.force(null);
        }
    }

    @Test
    void twinOfTheDotProductSumsLanesAsTheVectorFormDoes() {
        // laneDot against VectorGemm.dot directly, every tail length
        if (!Simd.VECTOR_AVAILABLE) return;
        for (int n : Mem.SIZES) {
            float[] a = values(n), b = values(n);
            float want = n == 0 ? 0f : VectorGemm.dot(n, Mem.of(a), 0, Mem.of(b), 0);
            float got = ColdKernels.laneDot(a, 0, b, 0, n, ColdStart.LANES, new float[ColdStart.LANES]);
            assertArrayEquals(
                    new int[] {Float.floatToRawIntBits(want)}, new int[] {Float.floatToRawIntBits(got)}, "n " + n);
        }
    }
}
