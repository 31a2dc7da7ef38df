package vectorgrad.kernels;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.lang.foreign.MemorySegment;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * Blocked attention against a plain double-precision reference written here: sequence lengths across and
 * inside a block (1, 5, 64, 70, 131), key lengths other than the query's, causal, an additive mask with -∞
 * (a fully masked row gives zeros), dropout (the reference draws the kernel's keep decisions), head sizes
 * with vector tails; and the same bits with one, two and three threads.
 */
class AttentionTest {
    private final SplittableRandom rnd = new SplittableRandom(3);

    @Test
    void forwardAndBackwardMatchTheDefinition() {
        int[][] cases = {
            {2, 5, 5, 8, 8},
            {3, 70, 70, 16, 16},
            {1, 131, 131, 20, 12},
            {2, 64, 40, 33, 7},
            {1, 1, 9, 4, 4},
            {1, 10, 4, 8, 8},
            {1, 3, 100, 16, 16}
        };
        for (int[] c : cases) {
            // plain, causal, masked, dropout, causal and masked
            for (int variant = 0; variant < 5; variant++) {
                boolean causal = variant == 1 || variant == 4, masked = variant == 2 || variant == 4;
                float dropout = variant == 3 ? 0.3f : 0f;
                check(
                        new Attention.Shape(
                                c[0], c[1], c[2], c[3], c[4], causal, (float) (1 / Math.sqrt(c[3])), dropout, 42),
                        masked);
            }
        }
    }

    private void check(Attention.Shape sh, boolean masked) {
        int b = sh.batch(), t = sh.t(), s = sh.s(), d = sh.d(), dv = sh.dv();
        float[] q = Mem.random(rnd, b * t * d, -1, 1),
                k = Mem.random(rnd, b * s * d, -1, 1),
                v = Mem.random(rnd, b * s * dv, -1, 1);
        float[] g = Mem.random(rnd, b * t * dv, -1, 1);
        float[] mask = null;
        if (masked) {
            mask = Mem.random(rnd, t * s, -2, 2);
            for (int j = 0; j < s; j++) mask[j] = Float.NEGATIVE_INFINITY; // row 0: every key removed
            if (t > 2) mask[2 * s + s - 1] = Float.NEGATIVE_INFINITY;
        }
        MemorySegment out = Mem.zeros(b * t * dv), lse = Mem.zeros(b * t);
        MemorySegment ms = mask == null ? null : Mem.of(mask);
        Attention.forward(sh, Mem.of(q), Mem.of(k), Mem.of(v), ms, 0, out, lse);
        MemorySegment dq = Mem.zeros(b * t * d), dk = Mem.zeros(b * s * d), dvv = Mem.zeros(b * s * dv);
        Attention.backward(sh, Mem.of(q), Mem.of(k), Mem.of(v), ms, 0, lse, Mem.of(g), dq, dk, dvv);
        float[] go = Mem.read(out, b * t * dv),
                gq = Mem.read(dq, b * t * d),
                gk = Mem.read(dk, b * s * d),
                gv = Mem.read(dvv, b * s * dv);
        String at = sh.toString() + (masked ? " masked" : "");
        // a gradient not asked for is skipped: the others come out the same, bit for bit
        MemorySegment dvOnly = Mem.zeros(b * s * dv), dqOnly = Mem.zeros(b * t * d);
        Attention.backward(sh, Mem.of(q), Mem.of(k), Mem.of(v), ms, 0, lse, Mem.of(g), null, null, dvOnly);
        Attention.backward(sh, Mem.of(q), Mem.of(k), Mem.of(v), ms, 0, lse, Mem.of(g), dqOnly, null, null);
        assertArrayEquals(gv, Mem.read(dvOnly, b * s * dv), "dv alone " + at);
        assertArrayEquals(gq, Mem.read(dqOnly, b * t * d), "dq alone " + at);
        double keepScale = 1 / (1 - (double) sh.dropoutP());
        for (int bb = 0; bb < b; bb++) {
            double[] rk = new double[b * s * d], rv = new double[b * s * dv];
            for (int i = 0; i < t; i++) {
                double[] p = new double[s];
                double m = Double.NEGATIVE_INFINITY;
                int n = sh.causal() ? Math.min(s, i + 1) : s;
                for (int j = 0; j < n; j++) {
                    double sc = 0;
                    for (int x = 0; x < d; x++) sc += (double) q[(bb * t + i) * d + x] * k[(bb * s + j) * d + x];
                    p[j] = sc * sh.scale() + (mask != null ? mask[i * s + j] : 0);
                    m = Math.max(m, p[j]);
                }
                double sum = 0;
                for (int j = 0; j < n; j++) sum += p[j] = m == Double.NEGATIVE_INFINITY ? 0 : Math.exp(p[j] - m);
                for (int j = 0; j < n; j++) p[j] = sum == 0 ? 0 : p[j] / sum;
                double[] pd = new double[s];
                for (int j = 0; j < n; j++)
                    pd[j] = sh.dropoutP() > 0 ? (Attention.keep(sh, bb, i, j) ? p[j] * keepScale : 0) : p[j];
                double[] o = new double[dv];
                for (int j = 0; j < n; j++) for (int x = 0; x < dv; x++) o[x] += pd[j] * v[(bb * s + j) * dv + x];
                for (int x = 0; x < dv; x++)
                    Mem.assertClose(o[x], go[(bb * t + i) * dv + x], 1e-4, 1e-5, "out " + at + " row " + i);
                // backward of this row
                double dd = 0;
                for (int x = 0; x < dv; x++) dd += (double) g[(bb * t + i) * dv + x] * o[x];
                double[] dqr = new double[d];
                for (int j = 0; j < n; j++) {
                    double dpt = 0;
                    for (int x = 0; x < dv; x++) dpt += (double) g[(bb * t + i) * dv + x] * v[(bb * s + j) * dv + x];
                    double dp = sh.dropoutP() > 0 ? (Attention.keep(sh, bb, i, j) ? dpt * keepScale : 0) : dpt;
                    double ds = p[j] * (dp - dd);
                    for (int x = 0; x < d; x++) {
                        dqr[x] += ds * sh.scale() * k[(bb * s + j) * d + x];
                        rk[(bb * s + j) * d + x] += ds * sh.scale() * q[(bb * t + i) * d + x];
                    }
                    for (int x = 0; x < dv; x++) rv[(bb * s + j) * dv + x] += pd[j] * g[(bb * t + i) * dv + x];
                }
                for (int x = 0; x < d; x++)
                    Mem.assertClose(dqr[x], gq[(bb * t + i) * d + x], 1e-3, 1e-4, "dq " + at + " row " + i);
            }
            for (int j = 0; j < s; j++) {
                for (int x = 0; x < d; x++)
                    Mem.assertClose(
                            rk[(bb * s + j) * d + x], gk[(bb * s + j) * d + x], 1e-3, 1e-4, "dk " + at + " key " + j);
                for (int x = 0; x < dv; x++)
                    Mem.assertClose(
                            rv[(bb * s + j) * dv + x], gv[(bb * s + j) * dv + x], 1e-3, 1e-4, "dv " + at + " key " + j);
            }
        }
    }

    @Test
    void bitsDoNotDependOnThreads() {
        Attention.Shape sh = new Attention.Shape(5, 100, 100, 32, 32, true, 0.2f, 0.1f, 7);
        int n = 5 * 100 * 32;
        float[] q = Mem.random(rnd, n, -1, 1),
                k = Mem.random(rnd, n, -1, 1),
                v = Mem.random(rnd, n, -1, 1),
                g = Mem.random(rnd, n, -1, 1);
        float[][] first = null;
        int before = Parallel.getNumThreads();
        try {
            for (int threads : new int[] {1, 2, 3}) {
                Parallel.setNumThreads(threads);
                MemorySegment out = Mem.zeros(n),
                        lse = Mem.zeros(500),
                        dq = Mem.zeros(n),
                        dk = Mem.zeros(n),
                        dv = Mem.zeros(n);
                Attention.forward(sh, Mem.of(q), Mem.of(k), Mem.of(v), null, 0, out, lse);
                Attention.backward(sh, Mem.of(q), Mem.of(k), Mem.of(v), null, 0, lse, Mem.of(g), dq, dk, dv);
                float[][] got = {Mem.read(out, n), Mem.read(dq, n), Mem.read(dk, n), Mem.read(dv, n)};
                if (first == null) first = got;
                else
                    for (int i = 0; i < 4; i++)
                        assertArrayEquals(first[i], got[i], "threads " + threads + " output " + i);
            }
        } finally {
            Parallel.setNumThreads(before);
        }
    }

    /** Heads read in place from {@code [B, T, H·d]} give what the same heads copied out to {@code [B·H, T, d]} give. */
    @Test
    void headsReadInPlaceMatchHeadsCopiedOut() {
        int bs = 2, h = 3, t = 70, s = 70, d = 8, dv = 8;
        float[] q = Mem.random(rnd, bs * t * h * d, -1, 1),
                k = Mem.random(rnd, bs * s * h * d, -1, 1),
                v = Mem.random(rnd, bs * s * h * dv, -1, 1);
        float[] g = Mem.random(rnd, bs * t * h * dv, -1, 1);
        Attention.Shape packed = new Attention.Shape(bs * h, h, t, s, d, dv, true, 0.3f, 0.2f, 9);
        Attention.Shape flat = new Attention.Shape(bs * h, 1, t, s, d, dv, true, 0.3f, 0.2f, 9);
        float[][] fromPacked = run(packed, q, k, v, g),
                fromFlat =
                        run(
                                flat,
                                heads(q, bs, t, h, d),
                                heads(k, bs, s, h, d),
                                heads(v, bs, s, h, dv),
                                heads(g, bs, t, h, dv));
        int[][] dims = {{t, dv}, {t, d}, {s, d}, {s, dv}};
        for (int o = 0; o < 4; o++) {
            float[] want = heads(fromPacked[o], bs, dims[o][0], h, dims[o][1]);
            for (int i = 0; i < want.length; i++)
                Mem.assertClose(want[i], fromFlat[o][i], 1e-5, 1e-6, "output " + o + " at " + i);
        }
    }

    /**
     * Heads read in place from one projection ({@code [B, T, 3·H·d]}, the GPT's layout) give the same bits on
     * one, two and three threads, whose ranges of problems start inside a sequence's heads (each range reads its
     * first sequence's rows ahead of the copies, {@code Attention.warm}).
     */
    @Test
    void packedHeadsBitsDoNotDependOnThreads() {
        int bs = 3, h = 4, t = 40, d = 8, e = h * d;
        float[] qkv = Mem.random(rnd, bs * t * 3 * e, -1, 1), g = Mem.random(rnd, bs * t * e, -1, 1);
        Attention.Shape sh = new Attention.Shape(bs * h, h, t, t, d, d, true, 0.35f, 0.1f, 5, 3 * e);
        int before = Parallel.getNumThreads();
        float[][] first = null;
        try {
            for (int threads = 1; threads <= 3; threads++) {
                Parallel.setNumThreads(threads);
                MemorySegment out = Mem.zeros(g.length), lse = Mem.zeros(bs * h * t), dqkv = Mem.zeros(qkv.length);
                Attention.forwardPacked(sh, Mem.of(qkv), null, 0, out, lse);
                Attention.backwardPacked(sh, Mem.of(qkv), null, 0, lse, Mem.of(g), dqkv);
                float[][] got = {Mem.read(out, g.length), Mem.read(dqkv, qkv.length)};
                if (first == null) first = got;
                else
                    for (int o = 0; o < got.length; o++)
                        org.junit.jupiter.api.Assertions.assertArrayEquals(
                                first[o], got[o], "output " + o + ", " + threads + " threads");
            }
        } finally {
            Parallel.setNumThreads(before);
        }
    }

    /** {out, dq, dk, dv} of one forward and backward. */
    private static float[][] run(Attention.Shape sh, float[] q, float[] k, float[] v, float[] g) {
        MemorySegment out = Mem.zeros(g.length),
                lse = Mem.zeros(sh.batch() * sh.t()),
                dq = Mem.zeros(q.length),
                dk = Mem.zeros(k.length),
                dv = Mem.zeros(v.length);
        Attention.forward(sh, Mem.of(q), Mem.of(k), Mem.of(v), null, 0, out, lse);
        Attention.backward(sh, Mem.of(q), Mem.of(k), Mem.of(v), null, 0, lse, Mem.of(g), dq, dk, dv);
        return new float[][] {
            Mem.read(out, g.length), Mem.read(dq, q.length), Mem.read(dk, k.length), Mem.read(dv, v.length)
        };
    }

    /** {@code [B, T, H, w]} to {@code [B, H, T, w]}. */
    private static float[] heads(float[] x, int b, int t, int h, int w) {
        float[] y = new float[x.length];
        for (int i = 0; i < b; i++)
            for (int r = 0; r < t; r++)
                for (int hh = 0; hh < h; hh++)
                    System.arraycopy(x, ((i * t + r) * h + hh) * w, y, ((i * h + hh) * t + r) * w, w);
        return y;
    }

    /** The kernels' own exp (VectorExp, attention's softmax): within 3e-7 of Math.exp over [-87, 0], 0 below, the vector lanes equal to the scalar function. */
    /**
     * The keep decisions: each key kept with chance 1 - p, neighbours independent (pairs kept together with
     * chance (1 - p)²), different rows and seeds different. 200 rows of 1,000 keys, within 5 standard
     * deviations. Checked to fail: the threshold p·2^16 instead of p·2^24 (nearly every key kept).
     */
    @Test
    void dropoutKeepsEachKeyWithChanceOneMinusP() {
        for (float p : new float[] {0.1f, 0.3f, 0.5f}) {
            Attention.Shape sh = new Attention.Shape(4, 50, 1000, 8, 8, false, 1f, p, 1234);
            Attention.Shape other = new Attention.Shape(4, 50, 1000, 8, 8, false, 1f, p, 1235);
            long kept = 0, pairs = 0, same = 0, total = 0;
            for (int b = 0; b < 4; b++)
                for (int i = 0; i < 50; i++)
                    for (int j = 0; j < 1000; j++) {
                        boolean k = Attention.keep(sh, b, i, j);
                        if (k) kept++;
                        if (j > 0 && k && Attention.keep(sh, b, i, j - 1)) pairs++;
                        if (k == Attention.keep(other, b, i, j)) same++;
                        total++;
                    }
            double q = 1 - p;
            assertEquals(q, (double) kept / total, 5 * Math.sqrt(q * p / total), "kept at p=" + p);
            assertEquals(q * q, (double) pairs / total, 5 * Math.sqrt(q * q * (1 - q * q) / total), "pairs at p=" + p);
            double agree = q * q + p * p; // two independent masks agree where both keep or both drop
            assertEquals(agree, (double) same / total, 5 * Math.sqrt(agree * (1 - agree) / total), "seeds at p=" + p);
        }
    }

    /** A row padded to whole vectors, as the heap rows are: the row passes read and write its last vector whole. */
    private static float[] padded(float[] row) {
        int lanes = Simd.floatLanes();
        return java.util.Arrays.copyOf(row, (row.length + lanes - 1) / lanes * lanes);
    }

    /**
     * The row pass's exp ({@link VectorExp#expNonPositive}, arguments ≤ 0) against {@link ScalarExp#exp}: the
     * same bits from -87.3 to 0, at most 2^-125 below it, 0 for -∞, NaN kept; accurate against Math.exp; the
     * padding past the row is zero afterwards.
     */
    @Test
    void rowExpHasTheScalarExpsBitsAboveItsUnderflowAndIsAccurate() {
        int n = 4003;
        float[] x = new float[n];
        for (int i = 0; i < n; i++) x[i] = i == 0 ? Float.NEGATIVE_INFINITY : -90f * i / (n - 1) + (i % 3) * 1e-3f;
        x[1] = Float.NaN;
        x[n - 1] = 0f;
        float[] got = padded(x);
        java.util.Arrays.fill(got, n, got.length, -1f);
        if (Simd.VECTOR_AVAILABLE) VectorAttention.expShifted(got, 0, n, 0f);
        else for (int i = 0; i < n; i++) got[i] = ScalarExp.exp(x[i]);
        org.junit.jupiter.api.Assertions.assertEquals(0f, got[0], "exp(-inf)");
        org.junit.jupiter.api.Assertions.assertTrue(Float.isNaN(got[1]), "exp(NaN)");
        for (int i = 2; i < n; i++) {
            if (x[i] >= -87.3f) {
                org.junit.jupiter.api.Assertions.assertEquals(
                        ScalarExp.exp(x[i]), got[i], 0f, "lane and scalar at " + x[i]);
            } else {
                org.junit.jupiter.api.Assertions.assertTrue(got[i] <= 0x1p-125f, "exp(" + x[i] + ") = " + got[i]);
            }
            double want = x[i] < -87.3f ? 0 : Math.exp(x[i]);
            org.junit.jupiter.api.Assertions.assertTrue(
                    Math.abs(got[i] - want) <= 3e-7 * want + 2.4e-38,
                    "exp(" + x[i] + ") = " + got[i] + ", Math.exp " + want);
        }
        org.junit.jupiter.api.Assertions.assertEquals(1f, got[n - 1]);
        if (Simd.VECTOR_AVAILABLE)
            for (int i = n; i < got.length; i++) org.junit.jupiter.api.Assertions.assertEquals(0f, got[i], "padding");
    }

    /**
     * A softmax row's one pass ({@link VectorAttention#expShiftedLanes}: exp(x - m) in place and the row's
     * vector sum, then {@link #laneTree})
     * gives the bits of the three it replaces (the shift, exp, {@link BatchNorm#runSum} over the row padded
     * with zeros to whole vectors), for rows with and without a partial last vector and with an odd or even
     * count of vectors; the padding is zero afterwards.
     */
    @Test
    void softmaxRowInOnePassGivesTheBitsOfItsThreePasses() {
        org.junit.jupiter.api.Assumptions.assumeTrue(Simd.VECTOR_AVAILABLE, "the one-pass row is a vector body");
        for (int n : new int[] {1, 3, 7, 8, 9, 16, 17, 24, 33, 64, 100, 128, 131}) {
            float[] x = Mem.random(rnd, n, -20, 5);
            float m = 5.25f;
            float[] one = padded(x);
            java.util.Arrays.fill(one, n, one.length, 7f);
            float[] shifted = padded(x);
            for (int i = 0; i < n; i++) shifted[i] = ScalarExp.exp(x[i] - m);
            MemorySegment three = Mem.of(shifted);
            float[] lanes = new float[3 * Simd.floatLanes()];
            VectorAttention.expShiftedLanes(one, 0, n, m, lanes, Simd.floatLanes());
            double sum = laneTree(lanes, Simd.floatLanes());
            assertArrayEquals(shifted, one, "exp(x - m) and zeros past it, n = " + n);
            org.junit.jupiter.api.Assertions.assertEquals(
                    BatchNorm.runSum(three, 0, shifted.length), sum, 0.0, "sum, n = " + n);
        }
    }

    /**
     * {@link VectorKernels#rowSums} (rows side by side in vectors) gives {@link #laneTree}'s bits for every row, for block heights that are and are not whole vectors of rows.
     */
    @Test
    void rowSumsGiveTheScalarTreesBits() {
        org.junit.jupiter.api.Assumptions.assumeTrue(Simd.FULL_FLOAT_VECTORS, "the rows' vector body");
        int lanesPerRow = Simd.floatLanes();
        for (int rows : new int[] {1, 5, lanesPerRow, lanesPerRow + 3, 64}) {
            int padded = (rows + lanesPerRow - 1) / lanesPerRow * lanesPerRow;
            float[] lanes = Mem.random(rnd, padded * lanesPerRow, -3, 3);
            float[] tree = lanes.clone(), sums = new float[padded];
            VectorKernels.rowSums(lanes, rows, sums);
            for (int r = 0; r < rows; r++)
                org.junit.jupiter.api.Assertions.assertEquals(
                        laneTree(tree, r * lanesPerRow), sums[r], 0f, "row " + r + " of " + rows);
        }
    }

    /**
     * The padded rows' passes read their last vector whole: what lies past n (NaN here) changes nothing —
     * {@link VectorAttention#maxPadded} against Math.max, {@link VectorAttention#dotLanes} against a double
     * sum, {@link VectorAttention#gradScores} and {@link VectorAttention#gradScoresDropped} against their
     * formulas with zeros to the vector's end.
     */
    @Test
    void paddedRowPassesIgnoreWhatLiesPastTheRow() {
        org.junit.jupiter.api.Assumptions.assumeTrue(Simd.FULL_FLOAT_VECTORS, "the rows' vector bodies");
        int lanesPerRow = Simd.floatLanes();
        for (int n : new int[] {1, 3, lanesPerRow - 1, lanesPerRow, lanesPerRow + 1, 2 * lanesPerRow + 5, 100}) {
            int width = (n + 2 * lanesPerRow - 1) / (2 * lanesPerRow) * 2 * lanesPerRow;
            float[] a = new float[width + 3], b = new float[width + 3];
            java.util.Arrays.fill(a, Float.NaN);
            java.util.Arrays.fill(b, Float.NaN);
            float max = Float.NEGATIVE_INFINITY;
            double dot = 0;
            for (int j = 0; j < n; j++) {
                a[3 + j] = rnd.nextFloat() * 8 - 6;
                b[3 + j] = rnd.nextFloat() * 2 - 1;
                max = Math.max(max, a[3 + j]);
                dot += (double) a[3 + j] * b[3 + j];
            }
            org.junit.jupiter.api.Assertions.assertEquals(max, VectorAttention.maxPadded(a, 3, n), 0f, "max, n = " + n);
            float[] lanes = new float[Simd.floatLanes()];
            VectorAttention.dotLanes(a, b, 3, n, lanes, 0);
            org.junit.jupiter.api.Assertions.assertEquals(dot, laneTree(lanes, 0), 1e-5 * n, "dot, n = " + n);
            float[] g = b.clone();
            VectorAttention.gradScores(a, g, 3, n, 0.25f);
            for (int j = 0; j < n; j++)
                org.junit.jupiter.api.Assertions.assertEquals(
                        a[3 + j] * (b[3 + j] - 0.25f), g[3 + j], 0f, "dS, j = " + j);
            for (int j = n; j < (n + lanesPerRow - 1) / lanesPerRow * lanesPerRow; j++)
                org.junit.jupiter.api.Assertions.assertEquals(0f, g[3 + j], "dS past the row, j = " + j);
            float[] kept = a.clone(), gd = b.clone();
            for (int j = 0; j < n; j++) kept[3 + j] = j % 3 == 0 ? 0f : a[3 + j] * 1.25f;
            VectorAttention.gradScoresDropped(a, kept, gd, 3, n, 0.25f);
            for (int j = 0; j < n; j++)
                org.junit.jupiter.api.Assertions.assertEquals(
                        kept[3 + j] * b[3 + j] - a[3 + j] * 0.25f, gd[3 + j], 0f, "dS with dropout, j = " + j);
            for (int j = n; j < (n + lanesPerRow - 1) / lanesPerRow * lanesPerRow; j++)
                org.junit.jupiter.api.Assertions.assertEquals(0f, gd[3 + j], "dS with dropout past the row, j = " + j);
        }
    }

    /**
     * {@link VectorKernels#sumLanes(FloatVector)}'s tree over a vector's floats at {@code lanes[off..]}, one
     * float at a time: lane l plus lane l + h for h = LANES/2, ..., 1 (in place).
     */
    private static float laneTree(float[] lanes, int off) {
        for (int half = Simd.floatLanes() / 2; half >= 1; half /= 2)
            for (int l = off; l < off + half; l++) lanes[l] = lanes[l] + lanes[l + half];
        return lanes[off];
    }
}
