package vectorgrad.kernels;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import java.lang.foreign.MemorySegment;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * Layer norm against a double-precision reference written here, at row lengths that leave every tail (the
 * suite also runs on the scalar path and at 128 bits, see the pom), with and without the affine
 * parameters, and the same bits with one thread and two.
 */
class LayerNormTest {
    private final SplittableRandom rnd = new SplittableRandom(11);
    /** The last three are rows of whole vectors at every width, which go through the rows-together forward. */
    private static final int[][] GEOMETRIES = {
        {3, 1}, {4, 3}, {5, 17}, {70, 35}, {2, 69}, {33, 200}, {37, 128}, {20, 16}, {3, 64}
    };

    @Test
    void forwardAndBackwardMatchReference() {
        for (int[] g : GEOMETRIES) {
            for (boolean affine : new boolean[] {true, false}) {
                int rows = g[0], d = g[1], total = rows * d;
                float[] x = Mem.random(rnd, total, -2, 3), dy = Mem.random(rnd, total, -1, 1);
                float[] w = Mem.random(rnd, d, 0.5, 1.5), b = Mem.random(rnd, d, -1, 1);
                MemorySegment ws = affine ? Mem.of(w) : null, bs = affine ? Mem.of(b) : null;
                MemorySegment y = Mem.zeros(total), mean = Mem.zeros(rows), invstd = Mem.zeros(rows);
                float eps = 1e-5f;
                LayerNorm.forward(rows, d, Mem.of(x), ws, bs, eps, y, mean, invstd);
                MemorySegment dx = Mem.zeros(total), dw = Mem.zeros(d), db = Mem.zeros(d);
                LayerNorm.backward(
                        rows, d, Mem.of(x), ws, mean, invstd, Mem.of(dy), dx, affine ? dw : null, affine ? db : null);
                float[] gy = Mem.read(y, total),
                        gdx = Mem.read(dx, total),
                        gdw = Mem.read(dw, d),
                        gdb = Mem.read(db, d);
                double[] sw = new double[d], sb = new double[d];
                for (int r = 0; r < rows; r++) {
                    double s = 0, q = 0;
                    for (int i = 0; i < d; i++) s += x[r * d + i];
                    double mu = s / d;
                    for (int i = 0; i < d; i++) q += Math.pow(x[r * d + i] - mu, 2);
                    double is = 1 / Math.sqrt(q / d + eps);
                    double s1 = 0, s2 = 0;
                    for (int i = 0; i < d; i++) {
                        int k = r * d + i;
                        double xh = (x[k] - mu) * is, wi = affine ? w[i] : 1;
                        String at = "rows=" + rows + " d=" + d + " affine=" + affine + " at " + r + "," + i;
                        Mem.assertClose(xh * wi + (affine ? b[i] : 0), gy[k], 1e-4, 1e-5, "y " + at);
                        s1 += dy[k] * wi;
                        s2 += dy[k] * wi * xh;
                        sw[i] += dy[k] * xh;
                        sb[i] += dy[k];
                    }
                    for (int i = 0; i < d; i++) {
                        int k = r * d + i;
                        double xh = (x[k] - mu) * is, wi = affine ? w[i] : 1;
                        double want = is * (dy[k] * wi - s1 / d - xh * s2 / d);
                        Mem.assertClose(want, gdx[k], 1e-3, 1e-4, "dx rows=" + rows + " d=" + d + " at " + r + "," + i);
                    }
                }
                if (!affine) continue;
                for (int i = 0; i < d; i++) {
                    Mem.assertClose(sw[i], gdw[i], 1e-4, 1e-4, "dweight d=" + d + " at " + i);
                    Mem.assertClose(sb[i], gdb[i], 1e-4, 1e-4, "dbias d=" + d + " at " + i);
                }
            }
        }
    }

    /**
     * Rows of whole vectors go through the forward sixteen at a time and the affine backward's sums in one pass;
     * both give the bits of the row-at-a-time passes they replace, written out here from the per-row pieces
     * (rows not a whole number of groups, two widths, one and two threads).
     */
    @Test
    void groupedRowsGiveTheBitsOfARowAtATime() {
        org.junit.jupiter.api.Assumptions.assumeTrue(Simd.VECTOR_AVAILABLE, "the vector passes");
        int before = Parallel.getNumThreads();
        try {
            for (int d : new int[] {64, 128})
                for (int threads : new int[] {1, 2}) {
                    Parallel.setNumThreads(threads);
                    int rows = 37, total = rows * d;
                    float eps = 1e-5f;
                    MemorySegment x = Mem.of(Mem.random(rnd, total, -2, 3)), dy = Mem.of(Mem.random(rnd, total, -1, 1));
                    MemorySegment w = Mem.of(Mem.random(rnd, d, 0.5, 1.5)), b = Mem.of(Mem.random(rnd, d, -1, 1));
                    MemorySegment y = Mem.zeros(total), mean = Mem.zeros(rows), invstd = Mem.zeros(rows);
                    LayerNorm.forward(rows, d, x, w, b, eps, y, mean, invstd);
                    MemorySegment dx = Mem.zeros(total), dw = Mem.zeros(d), db = Mem.zeros(d);
                    LayerNorm.backward(rows, d, x, w, mean, invstd, dy, dx, dw, db);
                    MemorySegment yRef = Mem.zeros(total), dxRef = Mem.zeros(total);
                    float[] mu = new float[rows], is = new float[rows];
                    int chunks = (rows + LayerNorm.CHUNK - 1) / LayerNorm.CHUNK;
                    float[] partW = new float[chunks * d], partB = new float[chunks * d];
                    for (int r = 0; r < rows; r++) {
                        long off = (long) r * d;
                        mu[r] = (float) (BatchNorm.runSum(x, off, d) / d);
                        double var = BatchNorm.runSquaredDeviation(x, off, d, mu[r]) / d;
                        is[r] = (float) (1 / Math.sqrt(var + eps));
                        VectorNorm.normalizeRow(x, off, d, mu[r], is[r], w, b, yRef);
                        VectorNorm.accumulateRow(x, dy, off, d, mu[r], is[r], partW, partB, r / LayerNorm.CHUNK * d);
                        double s1 = VectorNorm.weightedSum(dy, w, off, d),
                                s2 = VectorNorm.weightedDotDeviation(dy, w, x, off, d, mu[r]);
                        float a = (float) (-s1 / d * is[r]), bx = (float) (-s2 / d * is[r] * is[r] * is[r]);
                        VectorNorm.layerNormGrad(dy, x, off, d, w, is[r], mu[r], bx, a, dxRef);
                    }
                    float[] dwRef = new float[d], dbRef = new float[d];
                    for (int i = 0; i < d; i++)
                        for (int c = 0; c < chunks; c++) {
                            dwRef[i] += partW[c * d + i];
                            dbRef[i] += partB[c * d + i];
                        }
                    String at = "d " + d + ", " + threads + " threads: ";
                    assertArrayEquals(mu, Mem.read(mean, rows), 0f, at + "mean");
                    assertArrayEquals(is, Mem.read(invstd, rows), 0f, at + "invstd");
                    assertArrayEquals(Mem.read(yRef, total), Mem.read(y, total), 0f, at + "y");
                    assertArrayEquals(Mem.read(dxRef, total), Mem.read(dx, total), 0f, at + "dx");
                    assertArrayEquals(dwRef, Mem.read(dw, d), 0f, at + "dweight");
                    assertArrayEquals(dbRef, Mem.read(db, d), 0f, at + "dbias");
                }
        } finally {
            Parallel.setNumThreads(before);
        }
    }

    @Test
    void bitsDoNotDependOnThreads() {
        // rows with a tail, and rows of whole vectors in ranges that split groups differently per thread count
        bitsDoNotDependOnThreads(257, 67);
        bitsDoNotDependOnThreads(1100, 32);
    }

    private void bitsDoNotDependOnThreads(int rows, int d) {
        int total = rows * d;
        float[] x = Mem.random(rnd, total, -2, 3), dy = Mem.random(rnd, total, -1, 1);
        float[] w = Mem.random(rnd, d, 0.5, 1.5), b = Mem.random(rnd, d, -1, 1);
        float[][] first = null;
        int before = Parallel.getNumThreads();
        try {
            for (int t : new int[] {1, 2, 3}) {
                Parallel.setNumThreads(t);
                MemorySegment y = Mem.zeros(total), mean = Mem.zeros(rows), invstd = Mem.zeros(rows);
                LayerNorm.forward(rows, d, Mem.of(x), Mem.of(w), Mem.of(b), 1e-5f, y, mean, invstd);
                MemorySegment dx = Mem.zeros(total), dw = Mem.zeros(d), db = Mem.zeros(d);
                LayerNorm.backward(rows, d, Mem.of(x), Mem.of(w), mean, invstd, Mem.of(dy), dx, dw, db);
                float[][] got = {Mem.read(y, total), Mem.read(dx, total), Mem.read(dw, d), Mem.read(db, d)};
                if (first == null) first = got;
                else
                    for (int k = 0; k < got.length; k++)
                        assertArrayEquals(first[k], got[k], "d " + d + " threads " + t + " output " + k);
            }
        } finally {
            Parallel.setNumThreads(before);
        }
    }
}
