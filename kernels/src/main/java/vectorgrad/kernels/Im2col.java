package vectorgrad.kernels;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * The column matrix of the im2col + sgemm convolution ({@link ConvPlan.Algorithm#IM2COL_GEMM}): im2col
 * copies the input patch under every output position into a matrix, col2im adds a column matrix's
 * gradient back into the image. Both work on per-thread heap arrays (see {@link Scratch}).
 */
final class Im2col {
    private Im2col() {}

    private static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT;

    /**
     * Per-thread scratch, grown as needed and reused: the column matrix and one image, as heap arrays.
     * im2col moves thousands of short runs (24 floats for the MNIST model's second layer); through heap
     * arrays each is a plain array copy, through native segments each paid a segment copy's fixed cost
     * (measured: im2col was ~8% of a training step that way). The finished matrix goes to sgemm in one
     * bulk copy to native memory: handing sgemm a heap segment instead made its vector loads see two
     * segment types and run several times slower.
     */
    static final class Scratch {
        float[] col = new float[0];
        float[] image = new float[0];
        MemorySegment colSeg = Arena.ofAuto().allocate(64, 64);

        float[] col(long floats) {
            if (col.length < floats) {
                col = new float[Math.toIntExact(floats)];
                colSeg = Arena.ofAuto().allocate(floats * Float.BYTES, 64);
            }
            return col;
        }

        float[] image(int floats) {
            if (image.length < floats) image = new float[floats];
            return image;
        }
    }

    private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);

    /** The calling thread's scratch. */
    static Scratch scratch() {
        return SCRATCH.get();
    }

    /**
     * col[((c - c0)·kh + i)·kw + j, (oy - oy0)·OW + ox] = x[c, oy·s - p + i·d, ox·s - p + j·d] (0 outside),
     * for channels {@code [c0, c1)} and output rows {@code [oy0, oy1)}: one work unit's slice.
     */
    static void im2col(
            Conv.Geometry g, MemorySegment x, long xOff, float[] col, Scratch sc, int c0, int c1, int oy0, int oy1) {
        int ow = g.outW(), cols = (oy1 - oy0) * ow, hw = g.h() * g.w();
        float[] img = sc.image((c1 - c0) * hw);
        MemorySegment.copy(x, F, (xOff + (long) c0 * hw) * Float.BYTES, img, 0, (c1 - c0) * hw);
        for (int c = c0; c < c1; c++) {
            int plane = (c - c0) * hw;
            for (int i = 0; i < g.kh(); i++) {
                for (int j = 0; j < g.kw(); j++) {
                    int row = (((c - c0) * g.kh() + i) * g.kw() + j) * cols;
                    int ix0 = -g.padW() + j * g.dilW(), sw = g.strideW();
                    boolean contiguous = sw == 1 && ix0 >= 0 && ix0 + ow <= g.w();
                    int oxa = firstInside(ix0, sw, ow), oxb = endInside(ix0, sw, ow, g.w());
                    for (int oy = oy0; oy < oy1; oy++) {
                        int iy = oy * g.strideH() - g.padH() + i * g.dilH();
                        int dst = row + (oy - oy0) * ow;
                        if (iy < 0 || iy >= g.h()) {
                            java.util.Arrays.fill(col, dst, dst + ow, 0f);
                        } else if (contiguous) {
                            if (Simd.VECTOR_AVAILABLE)
                                VectorKernels.copyRun(img, plane + iy * g.w() + ix0, col, dst, ow);
                            else System.arraycopy(img, plane + iy * g.w() + ix0, col, dst, ow);
                        } else {
                            // the columns inside the image in one loop without bounds tests, zeros either side
                            int src = plane + iy * g.w() + ix0;
                            java.util.Arrays.fill(col, dst, dst + oxa, 0f);
                            for (int ox = oxa; ox < oxb; ox++) col[dst + ox] = img[src + ox * sw];
                            java.util.Arrays.fill(col, dst + Math.max(oxa, oxb), dst + ow, 0f);
                        }
                    }
                }
            }
        }
    }

    /** The adjoint of im2col for channels {@code [c0, c1)}: those planes of dx (overwritten) = Σ over patches of col. */
    static void col2im(Conv.Geometry g, float[] col, MemorySegment dx, long dxOff, Scratch sc, int c0, int c1) {
        int oh = g.outH(), ow = g.outW(), pos = oh * ow, hw = g.h() * g.w();
        float[] img = sc.image((c1 - c0) * hw);
        java.util.Arrays.fill(img, 0, (c1 - c0) * hw, 0f);
        for (int c = c0; c < c1; c++) {
            int plane = (c - c0) * hw;
            for (int i = 0; i < g.kh(); i++) {
                for (int j = 0; j < g.kw(); j++) {
                    int row = (((c - c0) * g.kh() + i) * g.kw() + j) * pos;
                    int ix0 = -g.padW() + j * g.dilW(), sw = g.strideW();
                    int oxa = firstInside(ix0, sw, ow), oxb = endInside(ix0, sw, ow, g.w());
                    for (int oy = 0; oy < oh; oy++) {
                        int iy = oy * g.strideH() - g.padH() + i * g.dilH();
                        if (iy < 0 || iy >= g.h()) continue;
                        int src = row + oy * ow, dst = plane + iy * g.w();
                        if (g.strideW() == 1 && ix0 >= 0 && ix0 + ow <= g.w()) {
                            // the common case: one straight run, no per-element bounds test
                            int d0 = dst + ix0;
                            if (Simd.VECTOR_AVAILABLE) VectorKernels.addRun(col, src, img, d0, ow);
                            else for (int ox = 0; ox < ow; ox++) img[d0 + ox] += col[src + ox];
                        } else {
                            int d0 = dst + ix0;
                            for (int ox = oxa; ox < oxb; ox++) img[d0 + ox * sw] += col[src + ox];
                        }
                    }
                }
            }
        }
        MemorySegment.copy(img, 0, dx, F, (dxOff + (long) c0 * hw) * Float.BYTES, (c1 - c0) * hw);
    }

    /** The first output column whose input column {@code ox·stride + ix0} is not left of the image. */
    static int firstInside(int ix0, int stride, int ow) {
        return ix0 >= 0 ? 0 : Math.min(ow, (-ix0 + stride - 1) / stride);
    }

    /** One past the last output column whose input column {@code ox·stride + ix0} is left of {@code w}. */
    static int endInside(int ix0, int stride, int ow, int w) {
        return ix0 >= w ? 0 : Math.min(ow, (w - 1 - ix0) / stride + 1);
    }
}
