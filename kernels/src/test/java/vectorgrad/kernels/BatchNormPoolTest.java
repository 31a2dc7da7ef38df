package vectorgrad.kernels;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import java.lang.foreign.MemorySegment;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * Batch norm and average pooling against plain double-precision references written here, at plane
 * sizes that leave every tail (the suite also runs on the scalar path, see the pom), and the same bits
 * with one thread and two.
 */
class BatchNormPoolTest {
    private final SplittableRandom rnd = new SplittableRandom(7);
    /** [n, c, hw]; the one before last takes blocks of 2, 2 and 1 channels (BatchNorm.channelBlock), the last one of all 50. */
    private static final int[][] GEOMETRIES = {
        {4, 3, 1}, {2, 5, 3}, {3, 2, 17}, {2, 4, 35}, {5, 3, 69}, {1, 2, 200}, {25, 5, 40000}, {4, 50, 400}
    };

    @Test
    void batchNormTrainingForwardAndBackwardMatchReference() {
        for (int[] g : GEOMETRIES) {
            int n = g[0], c = g[1], hw = g[2], total = n * c * hw;
            long m = (long) n * hw;
            float[] x = Mem.random(rnd, total, -2, 3), w = Mem.random(rnd, c, 0.5, 1.5), b = Mem.random(rnd, c, -1, 1);
            float[] dy = Mem.random(rnd, total, -1, 1);
            float[] rm = Mem.random(rnd, c, -1, 1), rv = Mem.random(rnd, c, 0.5, 2);
            MemorySegment y = Mem.zeros(total), mean = Mem.zeros(c), invstd = Mem.zeros(c);
            MemorySegment runMean = Mem.of(rm), runVar = Mem.of(rv);
            float eps = 1e-5f, mom = 0.1f;
            BatchNorm.forwardTraining(
                    n, c, hw, Mem.of(x), Mem.of(w), Mem.of(b), eps, y, mean, invstd, runMean, runVar, mom, false, null);
            MemorySegment dx = Mem.zeros(total), dw = Mem.zeros(c), db = Mem.zeros(c);
            backwardTraining(n, c, hw, x, w, b, mean, invstd, false, null, dy, dx, dw, db, null);
            float[] gy = Mem.read(y, total), gdx = Mem.read(dx, total), gdw = Mem.read(dw, c), gdb = Mem.read(db, c);
            float[] grm = Mem.read(runMean, c), grv = Mem.read(runVar, c);
            for (int ch = 0; ch < c; ch++) {
                double s = 0, q = 0;
                for (int i = 0; i < n; i++) for (int j = 0; j < hw; j++) s += x[(i * c + ch) * hw + j];
                double mu = s / m;
                for (int i = 0; i < n; i++)
                    for (int j = 0; j < hw; j++) q += Math.pow(x[(i * c + ch) * hw + j] - mu, 2);
                double var = q / m, is = 1 / Math.sqrt(var + eps);
                String at = "n=" + n + " c=" + c + " hw=" + hw + " ch=" + ch;
                Mem.assertClose(0.9 * rm[ch] + 0.1 * mu, grm[ch], 1e-5, 1e-6, "running mean " + at);
                Mem.assertClose(0.9 * rv[ch] + 0.1 * q / (m - 1), grv[ch], 1e-5, 1e-6, "running var " + at);
                double sg = 0, sgx = 0;
                for (int i = 0; i < n; i++)
                    for (int j = 0; j < hw; j++) {
                        int k = (i * c + ch) * hw + j;
                        double xh = (x[k] - mu) * is;
                        Mem.assertClose(xh * w[ch] + b[ch], gy[k], 1e-4, 1e-5, "y " + at);
                        sg += dy[k];
                        sgx += dy[k] * xh;
                    }
                Mem.assertClose(sg, gdb[ch], 1e-4, 1e-5, "dbias " + at);
                Mem.assertClose(sgx, gdw[ch], 1e-4, 1e-5, "dweight " + at);
                for (int i = 0; i < n; i++)
                    for (int j = 0; j < hw; j++) {
                        int k = (i * c + ch) * hw + j;
                        double xh = (x[k] - mu) * is;
                        double want = w[ch] * is * (dy[k] - sg / m - xh * sgx / m);
                        Mem.assertClose(want, gdx[k], 1e-3, 1e-4, "dx " + at);
                    }
            }
        }
    }

    /**
     * Batch norm with its ReLU fused, and with a residual's add before the ReLU, gives the bits of the
     * separate kernels (affine, add, relu; ReLU's gradient masking dy by the relu output, the masked gradient
     * being the residual's, before the batch-norm backward): training and evaluation, with and without an
     * affine map, planes with and without a scalar tail, a channel mostly below zero.
     */
    @Test
    void batchNormReluHasTheBitsOfBatchNormThenRelu() {
        // the last takes blocks of 2, 2 and 1 channels (BatchNorm.channelBlock)
        for (int[] g : new int[][] {{4, 3, 37}, {2, 5, 64}, {3, 2, 1}, {8, 16, 49}, {25, 5, 40000}}) {
            int n = g[0], c = g[1], hw = g[2], total = n * c * hw;
            // the geometry that crosses blocks (5M values) runs one variant, in training only: the tests' native
            // memory is never released
            boolean large = total > 1 << 20;
            for (int variant = large ? 2 : 0; variant < (large ? 3 : 4); variant++) {
                boolean affine = variant % 2 == 0, residual = variant >= 2;
                float[] x = Mem.random(rnd, total, -2, 3), dy = Mem.random(rnd, total, -1, 1);
                float[] r = Mem.random(rnd, total, -1, 1);
                float[] w = Mem.random(rnd, c, 0.5, 1.5), b = Mem.random(rnd, c, -1, 1);
                float[] rm = Mem.random(rnd, c, -1, 1), rv = Mem.random(rnd, c, 0.5, 2);
                b[0] = -3; // most of channel 0 rectified
                MemorySegment ws = affine ? Mem.of(w) : null, bs = affine ? Mem.of(b) : null;
                MemorySegment rs = residual ? Mem.of(r) : null;
                for (boolean training : large ? new boolean[] {true} : new boolean[] {true, false}) {
                    String at = "n=" + n + " c=" + c + " hw=" + hw + " affine=" + affine + " residual=" + residual
                            + " training=" + training;
                    float[][] runs = new float[2][];
                    for (int fused = 0; fused < 2; fused++) {
                        MemorySegment y = Mem.zeros(total), mean = Mem.zeros(c), invstd = Mem.zeros(c);
                        MemorySegment fusedResidual = fused == 1 ? rs : null;
                        if (training) {
                            BatchNorm.forwardTraining(
                                    n,
                                    c,
                                    hw,
                                    Mem.of(x),
                                    ws,
                                    bs,
                                    1e-5f,
                                    y,
                                    mean,
                                    invstd,
                                    null,
                                    null,
                                    0.1f,
                                    fused == 1,
                                    fusedResidual);
                        } else {
                            BatchNorm.evalStatistics(c, Mem.of(rm), Mem.of(rv), 1e-5f, mean, invstd);
                            BatchNorm.forwardWithStatistics(
                                    n, c, hw, Mem.of(x), ws, bs, mean, invstd, fused == 1, fusedResidual, y);
                        }
                        MemorySegment gy = Mem.of(dy), dr = Mem.zeros(total);
                        if (fused == 0) {
                            int[] shape = {total};
                            long[] one = {1};
                            if (residual)
                                Elementwise.binary(Elementwise.Binary.ADD, shape, y, 0, one, rs, 0, one, y, 0);
                            Elementwise.unary(Elementwise.Unary.RELU, y, 0, y, 0, total);
                            MemorySegment masked = Mem.zeros(total);
                            Elementwise.binary(
                                    Elementwise.Binary.RELU_BACKWARD, shape, gy, 0, one, y, 0, one, masked, 0);
                            gy = masked;
                            if (residual) MemorySegment.copy(masked, 0, dr, 0, total * 4L);
                        }
                        MemorySegment dx = Mem.zeros(total), dw = Mem.zeros(c), db = Mem.zeros(c);
                        BatchNorm.backward(
                                n,
                                c,
                                hw,
                                Mem.of(x),
                                ws,
                                bs,
                                mean,
                                invstd,
                                training,
                                fused == 1,
                                fusedResidual,
                                gy,
                                dx,
                                dw,
                                db,
                                fused == 1 ? dr : null);
                        runs[fused] = outputs(total, c, y, dx, dr, dw, db);
                    }
                    for (int k = 0; k < runs[0].length; k++) {
                        if (Float.floatToRawIntBits(runs[0][k]) != Float.floatToRawIntBits(runs[1][k]))
                            throw new AssertionError(at + ": value " + k + " of [y, dx, dresidual, dw, db]: unfused "
                                    + runs[0][k] + ", fused " + runs[1][k]);
                    }
                }
            }
        }
    }

    @Test
    void batchNormReluNeedsAHomeForTheMaskedGradientAndAResidualNeedsTheRelu() {
        MemorySegment x = Mem.zeros(8), s = Mem.zeros(1);
        var e = org.junit.jupiter.api.Assertions.assertThrows(
                IllegalArgumentException.class,
                () -> BatchNorm.backward(2, 1, 4, x, null, null, s, s, true, true, null, x, null, null, null, null));
        org.junit.jupiter.api.Assertions.assertTrue(e.getMessage().contains("input gradient"), e.getMessage());
        e = org.junit.jupiter.api.Assertions.assertThrows(
                IllegalArgumentException.class,
                () -> BatchNorm.backward(2, 1, 4, x, null, null, s, s, true, true, x, x, x, null, null, null));
        org.junit.jupiter.api.Assertions.assertTrue(e.getMessage().contains("residual's gradient"), e.getMessage());
        e = org.junit.jupiter.api.Assertions.assertThrows(
                IllegalArgumentException.class,
                () -> BatchNorm.forwardWithStatistics(2, 1, 4, x, null, null, s, s, false, x, Mem.zeros(8)));
        org.junit.jupiter.api.Assertions.assertTrue(e.getMessage().contains("only before a ReLU"), e.getMessage());
    }

    @Test
    void batchNormEvalUsesRunningStatistics() {
        int n = 3, c = 4, hw = 21, total = n * c * hw;
        float[] x = Mem.random(rnd, total, -2, 2), rm = Mem.random(rnd, c, -1, 1), rv = Mem.random(rnd, c, 0.5, 2);
        MemorySegment y = Mem.zeros(total), mean = Mem.zeros(c), invstd = Mem.zeros(c);
        BatchNorm.evalStatistics(c, Mem.of(rm), Mem.of(rv), 1e-5f, mean, invstd);
        BatchNorm.forwardWithStatistics(n, c, hw, Mem.of(x), null, null, mean, invstd, false, null, y);
        float[] got = Mem.read(y, total);
        for (int k = 0; k < total; k++) {
            int ch = (k / hw) % c;
            Mem.assertClose((x[k] - rm[ch]) / Math.sqrt(rv[ch] + 1e-5), got[k], 1e-5, 1e-6, "eval y at " + k);
        }
    }

    @Test
    void batchNormBitsDoNotDependOnThreads() {
        // 32 channels of 16 x 256 values: two threads take 16 channels each (the second range starts at 16)
        int n = 16, c = 32, hw = 256, total = n * c * hw;
        float[] x = Mem.random(rnd, total, -2, 2),
                dy = Mem.random(rnd, total, -1, 1),
                r = Mem.random(rnd, total, -1, 1);
        float[] w = Mem.random(rnd, c, 0.5, 1.5), b = Mem.random(rnd, c, -1, 1);
        for (int variant = 0; variant < 3; variant++) {
            boolean relu = variant > 0;
            MemorySegment residual = variant == 2 ? Mem.of(r) : null;
            float[][] out = new float[2][];
            int before = Parallel.getNumThreads();
            try {
                for (int t = 1; t <= 2; t++) {
                    Parallel.setNumThreads(t);
                    MemorySegment y = Mem.zeros(total), mean = Mem.zeros(c), invstd = Mem.zeros(c);
                    MemorySegment dx = Mem.zeros(total), dr = Mem.zeros(total), dw = Mem.zeros(c), db = Mem.zeros(c);
                    BatchNorm.forwardTraining(
                            n, c, hw, Mem.of(x), Mem.of(w), Mem.of(b), 1e-5f, y, mean, invstd, null, null, 0.1f, relu,
                            residual);
                    backwardTraining(n, c, hw, x, w, b, mean, invstd, relu, residual, dy, dx, dw, db, dr);
                    out[t - 1] = outputs(total, c, y, dx, dr, dw, db);
                }
            } finally {
                Parallel.setNumThreads(before);
            }
            assertArrayEquals(out[0], out[1], "variant " + variant);
        }
    }

    @Test
    void batchNormOfAnEmptyBatchInEvaluation() {
        MemorySegment empty = Mem.zeros(1), s = Mem.of(new float[] {0f, 1f, 2f});
        BatchNorm.forwardWithStatistics(0, 3, 4, empty, null, null, s, s, true, null, empty);
    }

    private static void checkPool(AvgPool.Windows rows, AvgPool.Windows cols, SplittableRandom rnd, String what) {
        int planes = 3, h = rows.in(), w = cols.in(), oh = rows.out(), ow = cols.out();
        float[] x = Mem.random(rnd, planes * h * w, -1, 1), dy = Mem.random(rnd, planes * oh * ow, -1, 1);
        MemorySegment y = Mem.zeros(planes * oh * ow), dx = Mem.zeros(planes * h * w);
        AvgPool.forward(planes, rows, cols, Mem.of(x), y);
        AvgPool.backward(planes, rows, cols, Mem.of(dy), dx);
        float[] gy = Mem.read(y, planes * oh * ow), gdx = Mem.read(dx, planes * h * w);
        double[] want = new double[planes * h * w];
        for (int p = 0; p < planes; p++)
            for (int i = 0; i < oh; i++)
                for (int j = 0; j < ow; j++) {
                    double s = 0, div = (double) rows.span()[i] * cols.span()[j];
                    for (int iy = rows.start()[i]; iy < rows.end()[i]; iy++)
                        for (int ix = cols.start()[j]; ix < cols.end()[j]; ix++) {
                            s += x[(p * h + iy) * w + ix];
                            want[(p * h + iy) * w + ix] += dy[(p * oh + i) * ow + j] / div;
                        }
                    Mem.assertClose(s / div, gy[(p * oh + i) * ow + j], 1e-5, 1e-6, what + " y");
                }
        for (int k = 0; k < want.length; k++) Mem.assertClose(want[k], gdx[k], 1e-5, 1e-6, what + " dx at " + k);
    }

    @Test
    void averagePoolingMatchesReference() {
        for (int h : new int[] {1, 5, 8, 28, 37})
            for (int k = 1; k <= Math.min(h, 3); k++)
                for (int s = 1; s <= 2; s++)
                    for (int p = 0; 2 * p <= k; p++)
                        for (boolean ceil : new boolean[] {false, true})
                            for (boolean inc : new boolean[] {false, true}) {
                                AvgPool.Windows rows = AvgPool.pooling(h, k, s, p, ceil, inc);
                                AvgPool.Windows cols = AvgPool.pooling(h + 3, k, s, p, ceil, inc);
                                checkPool(
                                        rows,
                                        cols,
                                        rnd,
                                        "h=" + h + " k=" + k + " s=" + s + " p=" + p + " ceil=" + ceil + " inc=" + inc);
                            }
    }

    @Test
    void adaptivePoolingMatchesReference() {
        for (int h : new int[] {1, 5, 7, 28, 35})
            for (int o : new int[] {1, 2, 3, 7})
                checkPool(
                        AvgPool.adaptive(h, o),
                        AvgPool.adaptive(h + 2, Math.max(1, o - 1)),
                        rnd,
                        "adaptive h=" + h + " o=" + o);
    }

    /** {@link BatchNorm#backward} with the batch's statistics (training), x, w, b and dy given as arrays. */
    private static void backwardTraining(
            int n,
            int c,
            int hw,
            float[] x,
            float[] w,
            float[] b,
            MemorySegment mean,
            MemorySegment invstd,
            boolean relu,
            MemorySegment residual,
            float[] dy,
            MemorySegment dx,
            MemorySegment dw,
            MemorySegment db,
            MemorySegment dr) {
        MemorySegment xs = Mem.of(x), ws = Mem.of(w), bs = Mem.of(b), g = Mem.of(dy);
        BatchNorm.backward(n, c, hw, xs, ws, bs, mean, invstd, true, relu, residual, g, dx, dw, db, dr);
    }

    /** A batch norm pass's outputs in one array, to compare two passes bit for bit: y, dx, dResidual, dw, db. */
    private static float[] outputs(
            int total, int c, MemorySegment y, MemorySegment dx, MemorySegment dr, MemorySegment dw, MemorySegment db) {
        float[] all = new float[3 * total + 2 * c];
        System.arraycopy(Mem.read(y, total), 0, all, 0, total);
        System.arraycopy(Mem.read(dx, total), 0, all, total, total);
        System.arraycopy(Mem.read(dr, total), 0, all, 2 * total, total);
        System.arraycopy(Mem.read(dw, c), 0, all, 3 * total, c);
        System.arraycopy(Mem.read(db, c), 0, all, 3 * total + c, c);
        return all;
    }
}
