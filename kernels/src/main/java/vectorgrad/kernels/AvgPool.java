package vectorgrad.kernels;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;

/**
 * Average pooling on {@code planes × h × w} float memory, for both PyTorch's {@code avg_pool2d} and
 * {@code adaptive_avg_pool2d}: each output averages a rectangle given by one window per output row and
 * one per output column ({@link Windows}), so both reduce to the same two loops. The forward sums the
 * window's rows into one row with vector adds, then the columns of that row; the backward spreads each
 * output row's gradient over a row and adds it to every input row of the window.
 *
 * <p>Planes are split among threads; each plane is one thread's, so results do not depend on the count.
 */
public final class AvgPool {
    private AvgPool() {}

    private static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT;
    private static final boolean V = Simd.VECTOR_AVAILABLE;

    /**
     * The windows along one axis: output {@code i} averages input {@code [start[i], end[i])}, and
     * contributes {@code span[i]} to the divisor (the window's size, counting padding when asked).
     */
    public record Windows(int in, int[] start, int[] end, int[] span) {
        public int out() {
            return start.length;
        }
    }

    /** PyTorch's {@code avg_pool2d} windows along one axis. */
    public static Windows pooling(int in, int k, int stride, int pad, boolean ceilMode, boolean countIncludePad) {
        int out = MaxPool.Geometry.outSize(in, k, stride, pad, 1, ceilMode);
        if (out <= 0) throw new IllegalArgumentException("avg_pool2d: output size is too small for input " + in);
        int[] s = new int[out], e = new int[out], span = new int[out];
        for (int i = 0; i < out; i++) {
            int start = i * stride - pad, end = Math.min(start + k, in + pad);
            int padded = end - start;
            s[i] = Math.max(start, 0);
            e[i] = Math.min(end, in);
            span[i] = countIncludePad ? padded : e[i] - s[i];
        }
        return new Windows(in, s, e, span);
    }

    /** PyTorch's {@code adaptive_avg_pool2d} windows: {@code [⌊i·in/out⌋, ⌈(i+1)·in/out⌉)}. */
    public static Windows adaptive(int in, int out) {
        if (out <= 0)
            throw new IllegalArgumentException("adaptive_avg_pool2d: output size must be positive, got " + out);
        int[] s = new int[out], e = new int[out], span = new int[out];
        for (int i = 0; i < out; i++) {
            s[i] = (int) ((long) i * in / out);
            e[i] = (int) (((long) (i + 1) * in + out - 1) / out);
            span[i] = e[i] - s[i];
        }
        return new Windows(in, s, e, span);
    }

    private static int grain(int inPlane) {
        return Math.max(4, (1 << 16) / Math.max(1, inPlane));
    }

    /** {@code y[p, i, j] = Σ x[p, rows(i), cols(j)] / (rows.span[i]·cols.span[j])}. */
    public static void forward(int planes, Windows rows, Windows cols, MemorySegment x, MemorySegment y) {
        int h = rows.in(), w = cols.in(), oh = rows.out(), ow = cols.out();
        Check.floats(x, 0, (long) planes * h * w, "avg_pool2d input");
        Check.floats(y, 0, (long) planes * oh * ow, "avg_pool2d output");
        if (global(rows, cols)) {
            // one window over the whole plane (AdaptiveAvgPool2d(1)): a vector sum straight from the segment;
            // the row-by-row path spent ~90 ns a 7x7 plane on copies and fills (0.75 ms for 64x128 planes)
            float div = (float) rows.span()[0] * cols.span()[0];
            int hw = h * w;
            Parallel.forRange(planes, grain(hw), (from, to) -> {
                for (int p = from; p < to; p++)
                    y.setAtIndex(F, p, (float) BatchNorm.runSum(x, (long) p * hw, hw) / div);
            });
            return;
        }
        Parallel.forRange(planes, grain(h * w), (from, to) -> {
            float[] in = new float[h * w], row = new float[w], out = new float[oh * ow];
            for (int p = from; p < to; p++) {
                MemorySegment.copy(x, F, (long) p * h * w * Float.BYTES, in, 0, h * w);
                for (int i = 0; i < oh; i++) {
                    Arrays.fill(row, 0f);
                    for (int iy = rows.start()[i]; iy < rows.end()[i]; iy++) addRow(in, iy * w, row, 0, w);
                    for (int j = 0; j < ow; j++) {
                        float s = 0;
                        for (int ix = cols.start()[j]; ix < cols.end()[j]; ix++) s += row[ix];
                        out[i * ow + j] = s / ((float) rows.span()[i] * cols.span()[j]);
                    }
                }
                MemorySegment.copy(out, 0, y, F, (long) p * oh * ow * Float.BYTES, oh * ow);
            }
        });
    }

    /** {@code dx} (overwritten): each output's gradient divided by its divisor, added over its window. */
    public static void backward(int planes, Windows rows, Windows cols, MemorySegment dy, MemorySegment dx) {
        int h = rows.in(), w = cols.in(), oh = rows.out(), ow = cols.out();
        Check.floats(dy, 0, (long) planes * oh * ow, "avg_pool2d grad output");
        Check.floats(dx, 0, (long) planes * h * w, "avg_pool2d grad input");
        if (global(rows, cols)) {
            float div = (float) rows.span()[0] * cols.span()[0];
            int hw = h * w;
            Parallel.forRange(planes, grain(hw), (from, to) -> {
                for (int p = from; p < to; p++) fillRun(dx, (long) p * hw, hw, dy.getAtIndex(F, p) / div);
            });
            return;
        }
        Parallel.forRange(planes, grain(h * w), (from, to) -> {
            float[] g = new float[oh * ow], row = new float[w], d = new float[h * w];
            for (int p = from; p < to; p++) {
                MemorySegment.copy(dy, F, (long) p * oh * ow * Float.BYTES, g, 0, oh * ow);
                Arrays.fill(d, 0f);
                for (int i = 0; i < oh; i++) {
                    Arrays.fill(row, 0f);
                    for (int j = 0; j < ow; j++) {
                        float v = g[i * ow + j] / ((float) rows.span()[i] * cols.span()[j]);
                        for (int ix = cols.start()[j]; ix < cols.end()[j]; ix++) row[ix] += v;
                    }
                    for (int iy = rows.start()[i]; iy < rows.end()[i]; iy++) addRow(row, 0, d, iy * w, w);
                }
                MemorySegment.copy(d, 0, dx, F, (long) p * h * w * Float.BYTES, h * w);
            }
        });
    }

    private static boolean global(Windows rows, Windows cols) {
        return rows.out() == 1
                && cols.out() == 1
                && rows.start()[0] == 0
                && rows.end()[0] == rows.in()
                && cols.start()[0] == 0
                && cols.end()[0] == cols.in();
    }

    private static void fillRun(MemorySegment m, long off, int len, float v) {
        if (V) VectorKernels.fill(m, off, len, v);
        else for (int i = 0; i < len; i++) m.setAtIndex(F, off + i, v);
    }

    /** {@code dst[d..d+len) += src[s..s+len)}. */
    static void addRow(float[] src, int s, float[] dst, int d, int len) {
        int i = V && len >= VectorNorm.LANES ? VectorNorm.addRow(src, s, dst, d, len) : 0;
        for (; i < len; i++) dst[d + i] += src[s + i];
    }
}
