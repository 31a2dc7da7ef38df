package vectorgrad.kernels;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;

/**
 * Stride-1 convolutions with channels in vector lanes, for 512-bit vectors (conv2's shape when dilated or
 * not 3x3; conv2 itself runs {@link WinogradConv}, which borrows {@link #packedWeight}, {@link #inputWeight} and
 * {@link #toPlanes}). A
 * micro-tile holds six rows by 64 output channels, or twelve rows by 32 input channels ({@link VectorConv});
 * the values of its rows are broadcast straight from the image or the upstream gradient, so no panel is
 * ever packed.
 * <ul>
 *   <li>forward (output channels in blocks of 64): a tile is six neighbouring positions of one output
 *       row, summed over the taps against Wᵀ ({@code [tap][64]}, repacked once per call); tiles fill a
 *       positions x channels scratch that is transposed into the output's planes (where
 *       {@link ImplicitGemmConv#forward} packs B panels from the image for each tile column).
 *   <li>weight gradient (output channels in blocks of 64): a tile is six taps, summed over the output
 *       positions of an (image, band of rows) against dyᵀ ({@code [position][64]}, transposed once per
 *       image and band); the units' sums are added, and transposed into dW, once per call.
 *   <li>input gradient (input channels in blocks of 32): tap by tap, see {@link #backwardInput}.
 * </ul>
 * Each call computes one work unit of {@link Conv} on the calling thread; the unit's cut, and so every
 * result, does not depend on the thread count.
 */
final class LanesConv {
    private LanesConv() {}

    private static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT;
    /** The tile sizes, from {@link ConvPlan} (which decides where this class runs). */
    private static final int BLOCK = ConvPlan.BLOCK,
            ROWS = ConvPlan.ROWS,
            T = ConvPlan.LANES_16,
            HALF = ConvPlan.HALF,
            INPUT_ROWS = ConvPlan.INPUT_ROWS;

    private static final float[] ZEROS = new float[BLOCK];

    private static final class Scratch {
        float[] src = new float[0], tile = new float[0], planes = new float[0], dyT = new float[0], raw = new float[0];
        final int[] rowOff = new int[T], off = new int[ROWS];

        static float[] grow(float[] a, int n) {
            return a.length < n ? new float[n] : a;
        }
    }

    private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);
    private static final ThreadScratch.Floats PACKED = new ThreadScratch.Floats();
    private static final ThreadScratch.Floats INPUT_WEIGHT = new ThreadScratch.Floats();

    /**
     * Wᵀ in blocks of 64 output channels, {@code wt[(blk·patch + t)·64 + o] = W[blk·64 + o][t]}, made by the
     * calling thread once per call (the work units only read it) and kept for the next call.
     */
    static float[] packedWeight(Conv.Geometry g, MemorySegment weight) {
        int patch = g.patch(), outC = g.outC(), full = patch - patch % T;
        float[] wt = PACKED.get(patch * outC);
        Scratch sc = SCRATCH.get();
        float[] w = sc.raw = Scratch.grow(sc.raw, patch * outC);
        MemorySegment.copy(weight, F, 0, w, 0, patch * outC);
        for (int o0 = 0; o0 < outC; o0 += T) {
            int blk = o0 / BLOCK, dst = blk * patch * BLOCK + o0 % BLOCK;
            for (int u = 0; u < T; u++) sc.rowOff[u] = (o0 + u) * patch;
            for (int t0 = 0; t0 < full; t0 += T)
                MicroKernels.transposeBlock16(w, sc.rowOff, 0, T, t0, wt, dst + t0 * BLOCK, BLOCK);
            for (int t = full; t < patch; t++)
                for (int u = 0; u < T; u++) wt[dst + t * BLOCK + u] = w[sc.rowOff[u] + t];
        }
        return wt;
    }

    /**
     * Output rows [oy0, oy1) of the image at {@code xOff}: {@code out} is at the image's first output
     * value; {@code bias} (a heap copy) may be null; {@code wt} from {@link #packedWeight}.
     */
    static void forward(
            ImplicitGemmConv.Shape sh,
            MemorySegment x,
            long xOff,
            float[] wt,
            float[] bias,
            MemorySegment out,
            long outOff,
            int oy0,
            int oy1) {
        Conv.Geometry g = sh.g();
        float[] img = ImplicitGemmConv.paddedRows(sh, x, xOff, oy0, oy1 - 1 + (g.kh() - 1) * g.dilH() + 1);
        Scratch sc = SCRATCH.get();
        int ow = sh.ow(), wp = sh.wp(), cols = (oy1 - oy0) * ow, patch = g.patch(), pos = g.positions();
        // room for a last tile's spill: see below
        float[] tile = sc.tile = Scratch.grow(sc.tile, (cols + ROWS) * BLOCK);
        int[] tapOff = sh.tapOff();
        for (int blk = 0; blk < g.outC() / BLOCK; blk++) {
            float[] init = bias != null ? bias : ZEROS;
            int bOff = bias != null ? blk * BLOCK : 0;
            for (int oy = oy0; oy < oy1; oy++) {
                // a row's last tile may be narrower than six: its extra rows read on along the padded
                // image (there is slack past its end) and land on the next row's first positions, written after
                for (int ox = 0; ox < ow; ox += ROWS) {
                    VectorConv.forwardTile(
                            patch,
                            img,
                            oy * wp + ox,
                            tapOff,
                            wt,
                            blk * patch * BLOCK,
                            init,
                            bOff,
                            tile,
                            ((oy - oy0) * ow + ox) * BLOCK);
                }
            }
            sc.planes = Scratch.grow(sc.planes, BLOCK * cols);
            toPlanes(
                    tile,
                    cols,
                    BLOCK,
                    sc.planes,
                    sc.rowOff,
                    out,
                    outOff + (long) blk * BLOCK * pos + (long) oy0 * ow,
                    pos);
        }
    }

    /**
     * {@code out[o·ld + q] = tile[q·block + o]} for o < block, q < cols: a positions x block tile to
     * {@code block} output planes {@code ld} apart (LanesConv's forward and Winograd's passes), through
     * {@code planes} (the caller's, at least block·cols floats) in 16x16 transposes, then bulk copies.
     */
    static void toPlanes(
            float[] tile, int cols, int block, float[] planes, int[] rowOff, MemorySegment out, long outOff, int ld) {
        toPlanes(tile, 0, cols, cols, cols, block, planes, rowOff, out, outOff, ld);
    }

    /**
     * As above with the tile's positions in rows: position q at {@code tileOff + (q / width · stride + q % width)
     * · block}, rows of {@code width} positions {@code stride} apart (Winograd's outputs, whose rows are whole
     * tiles wide and whose images follow each other): read in place, with no copy to bring them together
     * first (by perf ≈ 2 % of a SmallResNet step; JMH of the layers alone measured no difference).
     */
    static void toPlanes(
            float[] tile,
            int tileOff,
            int width,
            int stride,
            int cols,
            int block,
            float[] planes,
            int[] rowOff,
            MemorySegment out,
            long outOff,
            int ld) {
        int full = cols - cols % T;
        for (int q0 = 0; q0 < full; q0 += T) {
            for (int u = 0; u < T; u++) rowOff[u] = tileOff + ((q0 + u) / width * stride + (q0 + u) % width) * block;
            for (int o0 = 0; o0 < block; o0 += T)
                MicroKernels.transposeBlock16(tile, rowOff, 0, T, o0, planes, o0 * cols + q0, cols);
        }
        for (int q = full; q < cols; q++) {
            int at = tileOff + (q / width * stride + q % width) * block;
            for (int o = 0; o < block; o++) planes[o * cols + q] = tile[at + o];
        }
        if (cols == ld)
            MemorySegment.copy(planes, 0, out, F, outOff * Float.BYTES, block * cols); // whole planes: one copy
        else
            for (int o = 0; o < block; o++)
                MemorySegment.copy(planes, o * cols, out, F, (outOff + (long) o * ld) * Float.BYTES, cols);
    }

    /**
     * Floats of one work unit's weight-gradient sums: dWᵀ by blocks, {@code [blk][t][64]} with the taps
     * rounded up to whole tiles, then the bias gradient.
     */
    static int sumsSize(Conv.Geometry g) {
        return (g.patch() + ROWS - 1) / ROWS * ROWS * g.outC() + g.outC();
    }

    /**
     * {@code Σ_b Σ_q dy_b[o][q] · col_b[t][q]} and {@code Σ_b Σ_q dy_b[o][q]} for images [b0, b1) and the
     * output positions of rows [y0, y1), every tap, into {@code sums} as laid out by {@link #sumsSize}
     * (overwritten; the bias only when {@code withBias}). {@link #toWeight} makes dW of them.
     */
    static void backwardWeight(
            ImplicitGemmConv.Shape sh,
            MemorySegment x,
            MemorySegment dy,
            int b0,
            int b1,
            int y0,
            int y1,
            float[] sums,
            boolean withBias) {
        Conv.Geometry g = sh.g();
        Scratch sc = SCRATCH.get();
        int taps = g.patch(), rows = (taps + ROWS - 1) / ROWS * ROWS, outC = g.outC(), blocks = outC / BLOCK;
        int pos = g.positions(), ow = sh.ow(), wp = sh.wp(), n = (y1 - y0) * ow;
        float[] dyT = sc.dyT = Scratch.grow(sc.dyT, blocks * n * BLOCK);
        int bias = blocks * rows * BLOCK;
        Arrays.fill(sums, bias, bias + outC, 0f);
        int[] tapOff = sh.tapOff(), off = sc.off;
        for (int b = b0; b < b1; b++) {
            float[] img = ImplicitGemmConv.paddedRows(
                    sh, x, (long) b * g.inC() * g.h() * g.w(), y0, y1 - 1 + (g.kh() - 1) * g.dilH() + 1);
            long dyOff = (long) b * outC * pos + (long) y0 * ow;
            toPositions(dy, dyOff, outC, pos, n, sc);
            if (withBias)
                for (int o = 0; o < outC; o++)
                    sums[bias + o] += VectorKernels.sumRuns(dy, dyOff + (long) o * pos, 0, 1, n);
            for (int blk = 0; blk < blocks; blk++) {
                for (int t0 = 0; t0 < taps; t0 += ROWS) {
                    // the last tile's rows past the taps read tap 0 again; their sums are not used
                    for (int r = 0; r < ROWS; r++) off[r] = (t0 + r < taps ? tapOff[t0 + r] : 0) + y0 * wp;
                    int s = (blk * rows + t0) * BLOCK;
                    VectorConv.weightTile(
                            y1 - y0,
                            ow,
                            wp,
                            img,
                            off[0],
                            off[1],
                            off[2],
                            off[3],
                            off[4],
                            off[5],
                            dyT,
                            blk * n * BLOCK,
                            b == b0 ? ZEROS : sums,
                            b == b0 ? 0 : s,
                            b == b0 ? 0 : BLOCK,
                            sums,
                            s);
                }
            }
        }
    }

    /** dW (and dBias, when not null) from sums laid out as {@link #sumsSize} says. */
    static void toWeight(Conv.Geometry g, float[] sums, MemorySegment dWeight, MemorySegment dBias) {
        Scratch sc = SCRATCH.get();
        int taps = g.patch(),
                rows = (taps + ROWS - 1) / ROWS * ROWS,
                outC = g.outC(),
                blocks = outC / BLOCK,
                bias = blocks * rows * BLOCK;
        // 16x16 blocks through the heap, one bulk copy per block of output channels
        int full = taps - taps % T;
        float[] planes = sc.planes = Scratch.grow(sc.planes, BLOCK * taps);
        for (int blk = 0; blk < blocks; blk++) {
            for (int t0 = 0; t0 < full; t0 += T) {
                for (int u = 0; u < T; u++) sc.rowOff[u] = (blk * rows + t0 + u) * BLOCK;
                for (int o0 = 0; o0 < BLOCK; o0 += T)
                    MicroKernels.transposeBlock16(sums, sc.rowOff, 0, T, o0, planes, o0 * taps + t0, taps);
            }
            for (int t = full; t < taps; t++)
                for (int o = 0; o < BLOCK; o++) planes[o * taps + t] = sums[(blk * rows + t) * BLOCK + o];
            MemorySegment.copy(planes, 0, dWeight, F, (long) blk * BLOCK * taps * Float.BYTES, BLOCK * taps);
        }
        if (dBias != null) MemorySegment.copy(sums, bias, dBias, F, 0, outC);
    }

    /**
     * {@code dyT[(blk·n + q)·64 + o] = dy[blk·64 + o][q]} for q < n (dy's planes {@code pos} apart from
     * {@code dyOff}): a band of one image's upstream gradient, positions x channels by blocks.
     */
    private static void toPositions(MemorySegment dy, long dyOff, int outC, int pos, int n, Scratch sc) {
        float[] dyT = sc.dyT;
        int full = n - n % T;
        // straight from dy's memory: no heap copy first
        for (int o0 = 0; o0 < outC; o0 += T) {
            int dst = (o0 / BLOCK) * n * BLOCK + o0 % BLOCK;
            long rows = dyOff + (long) o0 * pos;
            for (int q0 = 0; q0 < full; q0 += T)
                MicroKernels.transpose16(dy, rows, pos, T, q0, dyT, dst + q0 * BLOCK, BLOCK);
            for (int q = full; q < n; q++)
                for (int u = 0; u < T; u++) dyT[dst + q * BLOCK + u] = dy.getAtIndex(F, rows + (long) u * pos + q);
        }
    }

    /**
     * The input gradient tap by tap: tap (i, j) carries dy's position (oy, ox) to the padded input's
     * (oy + i·dh, ox + j·dw), so {@code dxp[c] at that shift += Σ_o W[o][c][i][j] · dy[o]}. A tile is
     * twelve positions of one row of dy (rows widened with zeros to whole tiles, {@code wd}) by 32 input
     * channels, summed over the output channels and added into a positions x channels scratch of the
     * padded input, rows {@code wx} wide. Only products of real values are computed: as a forward pass over
     * dy padded by the kernel's extent, a 26x26 gradient from 24x24 would multiply 17 % zeros.
     */
    record InputShape(Conv.Geometry g, int wd, int wx, int hp) {}

    static InputShape inputShape(Conv.Geometry g) {
        int wd = (g.outW() + INPUT_ROWS - 1) / INPUT_ROWS * INPUT_ROWS;
        return new InputShape(g, wd, wd + (g.kw() - 1) * g.dilW(), g.h() + 2 * g.padH());
    }

    /**
     * The weight in blocks of 32 input channels, {@code wt[((cb·kh·kw + t)·O + o)·32 + c] = W[o][cb·32 + c][t]}
     * for tap t = i·kw + j; made by the calling thread once per call.
     */
    static float[] inputWeight(Conv.Geometry g, MemorySegment weight) {
        return inputWeight(g, weight, HALF);
    }

    /** {@link #inputWeight(Conv.Geometry, MemorySegment)} in blocks of {@code block} input channels (a divisor of inC). */
    static float[] inputWeight(Conv.Geometry g, MemorySegment weight, int block) {
        int kk = g.kh() * g.kw(), inC = g.inC(), outC = g.outC(), n = inC * outC * kk;
        float[] wt = INPUT_WEIGHT.get(n);
        Scratch sc = SCRATCH.get();
        float[] w = sc.raw = Scratch.grow(sc.raw, n);
        MemorySegment.copy(weight, F, 0, w, 0, n);
        // in the order of wt, written once each and in sequence (W's reads are kk floats apart)
        for (int cb = 0, d = 0; cb < inC / block; cb++) {
            for (int t = 0; t < kk; t++) {
                for (int o = 0; o < outC; o++) {
                    int from = (o * inC + cb * block) * kk + t;
                    for (int c = 0; c < block; c++) wt[d++] = w[from + c * kk];
                }
            }
        }
        return wt;
    }

    /**
     * Rows [y0, y1) of image b's padded-input gradient, cropped into dx (overwritten there); {@code wt}
     * from {@link #inputWeight}. {@code dyOff} and {@code dxOff} are at the image's first value. Each value
     * sums its taps in the same order (i, then j) whatever the band, so results do not depend on the cut.
     */
    static void backwardInput(
            InputShape is, MemorySegment dy, long dyOff, float[] wt, MemorySegment dx, long dxOff, int y0, int y1) {
        Conv.Geometry g = is.g();
        int h = g.h(),
                w = g.w(),
                ya = Math.max(y0, g.padH()),
                yb = Math.min(y1, g.padH() + h),
                n = Math.max(0, yb - ya) * w;
        if (n == 0) return;
        Scratch sc = SCRATCH.get();
        int oh = g.outH(), ow = g.outW(), outC = g.outC(), kh = g.kh(), kw = g.kw(), dh = g.dilH(), dw = g.dilW();
        int wd = is.wd(), wx = is.wx(), plane = oh * wd, pos = oh * ow;
        // the rows of dy this band reads: [y0 - eh, y1)
        int r0 = Math.max(0, y0 - (kh - 1) * dh), r1 = Math.min(oh, y1);
        float[] raw = sc.raw = Scratch.grow(sc.raw, outC * pos), src = raw;
        if (r0 == 0 && r1 == oh) {
            MemorySegment.copy(dy, F, dyOff * Float.BYTES, raw, 0, outC * pos);
        } else {
            for (int o = 0; o < outC; o++) {
                MemorySegment.copy(
                        dy,
                        F,
                        (dyOff + (long) o * pos + (long) r0 * ow) * Float.BYTES,
                        raw,
                        o * pos + r0 * ow,
                        (r1 - r0) * ow);
            }
        }
        if (wd != ow) {
            // dy with rows widened to wd, zeros past ow (those positions then add nothing)
            src = sc.src = Scratch.grow(sc.src, outC * plane);
            for (int o = 0; o < outC; o++) {
                for (int oy = r0; oy < r1; oy++) {
                    int d = o * plane + oy * wd;
                    System.arraycopy(raw, o * pos + oy * ow, src, d, ow);
                    Arrays.fill(src, d + ow, d + wd, 0f);
                }
            }
        }
        int rows = y1 - y0;
        float[] tile = sc.tile = Scratch.grow(sc.tile, rows * wx * HALF);
        float[] planes = sc.planes = Scratch.grow(sc.planes, HALF * n);
        int stored = Math.min(oh, y1);
        for (int cb = 0; cb < g.inC() / HALF; cb++) {
            // tap (0, 0) stores rows [y0, stored) x columns [0, wd) (dy's own positions); zeros elsewhere
            for (int y = y0; y < y1; y++) {
                int at = (y - y0) * wx;
                if (y < stored) Arrays.fill(tile, (at + wd) * HALF, (at + wx) * HALF, 0f);
                else Arrays.fill(tile, at * HALF, (at + wx) * HALF, 0f);
            }
            for (int i = 0; i < kh; i++) {
                // the rows of dy that tap row i carries into the band
                int from = Math.max(0, y0 - i * dh), to = Math.min(oh, y1 - i * dh);
                for (int oy = from; oy < to; oy++) {
                    int at = (oy + i * dh - y0) * wx;
                    // j outside x0: a row's stores by tap (0, 0) all come before the adds of j > 0
                    for (int j = 0; j < kw; j++) {
                        for (int x0 = 0; x0 < wd; x0 += INPUT_ROWS) {
                            MicroKernels.inputTile(
                                    outC,
                                    src,
                                    oy * wd + x0,
                                    plane,
                                    wt,
                                    ((cb * kh + i) * kw + j) * outC * HALF,
                                    tile,
                                    (at + x0 + j * dw) * HALF,
                                    i > 0 || j > 0);
                        }
                    }
                }
            }
            for (int y = ya; y < yb; y++) {
                int row = (y - ya) * w, at = (y - y0) * wx + g.padW();
                if (w < T) {
                    for (int x = 0; x < w; x++)
                        for (int c = 0; c < HALF; c++) planes[c * n + row + x] = tile[(at + x) * HALF + c];
                    continue;
                }
                // 16 positions at a time, the last block overlapping the one before it
                for (int x = 0; x < w; x += T) {
                    int x0 = Math.min(x, w - T);
                    for (int u = 0; u < T; u++) sc.rowOff[u] = (at + x0 + u) * HALF;
                    for (int c0 = 0; c0 < HALF; c0 += T)
                        MicroKernels.transposeBlock16(tile, sc.rowOff, 0, T, c0, planes, c0 * n + row + x0, n);
                }
            }
            long first = dxOff + (long) (ya - g.padH()) * w;
            if (n == h * w) {
                MemorySegment.copy(
                        planes,
                        0,
                        dx,
                        F,
                        (first + (long) cb * HALF * n) * Float.BYTES,
                        HALF * n); // whole planes: one copy
            } else {
                for (int c = 0; c < HALF; c++) {
                    MemorySegment.copy(planes, c * n, dx, F, (first + (long) (cb * HALF + c) * h * w) * Float.BYTES, n);
                }
            }
        }
    }
}
