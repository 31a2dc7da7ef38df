package vectorgrad.kernels;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;

/**
 * The forward pass of 3x3, stride-1, undilated convolutions by Winograd's minimal filtering F(2x2, 3x3)
 * (Lavin and Gray, 2015), with channels in vector lanes: the MNIST model's conv2.
 *
 * <p>Each 2x2 block of outputs (a tile) is {@code Aᵀ·[Σ_c U_c ⊙ V_c]·A}, where {@code U = G·g·Gᵀ} is a
 * 4x4 transform of a 3x3 filter and {@code V = Bᵀ·d·B} one of the tile's 4x4 input patch. Per tile and
 * channel pair that is 16 multiplications instead of 36: the 16 elementwise products, summed over input
 * channels, are 16 small matrix products ({@code M[ξ] = V[ξ]·U[ξ]}: tiles x inC times inC x outC), run by
 * the weight-gradient micro-kernel of {@link VectorConv} (six rows by 64 output channels). The transforms
 * are adds and halvings, vectorised over 16 channels. Rounding differs from a direct sum (the transforms
 * add up to four values before the products): in the tests within 1e-5 relative of the definition.
 *
 * <p>Layouts (heap scratch of the calling thread): the band's padded input as positions x channels
 * ({@code xt[(row·ww + col)·C + c]}), {@code V[ξ][tile][c]}, {@code M[ξ][tile][64]} per block of 64 output
 * channels, then the outputs as positions x 64, transposed into the output's planes. Tiles go a few rows
 * at a time so that V and M stay in the core's L2.
 *
 * <p>Each call computes one work unit of {@link Conv} (an image, or a band of its output rows) on the
 * calling thread; tiles start at the band's first row, and the band depends on the batch and the geometry
 * only, so results do not depend on the thread count.
 */
final class Winograd {
    private Winograd() {}

    /** Vector lanes, blocks of output channels, rows of a micro-tile; VectorConv's, written out (see ConvLanes). */
    private static final int T = 16, BLOCK = 64, ROWS = 6;
    /** About this many tiles per pass through the transforms (two rows of conv2's 12x12). */
    private static final int CHUNK_TILES = Integer.getInteger("wchunk", 24);
    private static final float[] ZEROS = new float[BLOCK];

    /** 3x3, stride 1, no dilation, one group, 16-float vectors, input channels in 16s, output channels in 64s. */
    static boolean applies(Conv.Geometry g) {
        return Simd.VECTOR_AVAILABLE && Simd.floatLanes() == T && g.kh() == 3 && g.kw() == 3 && g.strideH() == 1 && g.strideW() == 1
                && g.dilH() == 1 && g.dilW() == 1 && g.groups() == 1 && g.inC() % T == 0 && g.outC() % BLOCK == 0;
    }

    private static final class Scratch {
        float[] xt = new float[0], v = new float[0], m = new float[0], y = new float[0], raw = new float[0];
        final int[] rowOff = new int[T];

        static float[] grow(float[] a, int n) {
            return a.length < n ? new float[n] : a;
        }
    }

    private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);
    private static final ThreadLocal<float[][]> WEIGHTS = ThreadLocal.withInitial(() -> new float[][] {new float[0]});

    /**
     * The transformed weights, {@code u[((blk·16 + ξ)·C + c)·64 + o] = U[ξ] of W[blk·64 + o][c]}, made by
     * the calling thread once per call from {@link ConvLanes#packedWeight} (taps by 64 channels).
     */
    static float[] weights(Conv.Geometry g, MemorySegment weight) {
        int inC = g.inC(), outC = g.outC(), patch = g.patch();
        float[] wt = ConvLanes.packedWeight(g, weight);
        float[][] holder = WEIGHTS.get();
        if (holder[0].length < 16 * inC * outC) holder[0] = new float[16 * inC * outC];
        float[] u = holder[0];
        for (int blk = 0; blk < outC / BLOCK; blk++) {
            for (int c = 0; c < inC; c++) {
                for (int o0 = 0; o0 < BLOCK; o0 += T) {
                    VectorConv.winogradWeight(wt, (blk * patch + c * 9) * BLOCK + o0, u, ((blk * 16) * inC + c) * BLOCK + o0, inC * BLOCK);
                }
            }
        }
        return u;
    }

    /**
     * Output rows [oy0, oy1) of the image at {@code xOff} into {@code out} (at the image's first output
     * value); {@code u} from {@link #weights}; {@code bias} a heap copy, or null.
     */
    static void forward(Conv.Geometry g, MemorySegment x, long xOff, float[] u, float[] bias, MemorySegment out, long outOff,
                        int oy0, int oy1) {
        Scratch sc = SCRATCH.get();
        int inC = g.inC(), outC = g.outC(), ow = g.outW(), pos = g.positions();
        int tw = (ow + 1) / 2, tr = (oy1 - oy0 + 1) / 2, ww = 2 * tw + 2, wo = 2 * tw;
        float[] xt = sc.xt = Scratch.grow(sc.xt, (2 * tr + 2) * ww * inC);
        transposeBand(g, x, xOff, oy0, 2 * tr + 2, ww, xt, sc);
        int chunkRows = Math.max(1, Math.min(tr, CHUNK_TILES / tw)), maxTiles = chunkRows * tw, padded = (maxTiles + ROWS - 1) / ROWS * ROWS;
        float[] v = sc.v = Scratch.grow(sc.v, 16 * padded * inC);
        float[] m = sc.m = Scratch.grow(sc.m, 16 * padded * BLOCK);
        int rows = oy1 - oy0, cols = rows * ow;
        // outputs as positions x 64, rows 2·tw wide (and an odd last row) until compacted below
        float[] y = sc.y = Scratch.grow(sc.y, 2 * tr * wo * BLOCK);
        for (int blk = 0; blk < outC / BLOCK; blk++) {
            float[] init = bias != null ? bias : ZEROS;
            int bOff = bias != null ? blk * BLOCK : 0;
            for (int ty0 = 0; ty0 < tr; ty0 += chunkRows) {
                int ty1 = Math.min(tr, ty0 + chunkRows), tiles = (ty1 - ty0) * tw, full = (tiles + ROWS - 1) / ROWS * ROWS;
                // V (also for the next blocks of output channels: computed again, it is a small part)
                for (int ty = ty0; ty < ty1; ty++) {
                    for (int tx = 0; tx < tw; tx++) {
                        int tile = (ty - ty0) * tw + tx, d0 = (2 * ty * ww + 2 * tx) * inC;
                        for (int c0 = 0; c0 < inC; c0 += T) {
                            VectorConv.winogradInput(xt, d0 + c0, ww * inC, inC, v, tile * inC + c0, padded * inC);
                        }
                    }
                }
                // the 16 products; rows past the last tile read stale V and are not used
                int uBlk = blk * 16 * inC * BLOCK;
                for (int xi = 0; xi < 16; xi++) {
                    int vx = xi * padded * inC;
                    for (int t0 = 0; t0 < full; t0 += ROWS) {
                        int a = vx + t0 * inC;
                        VectorConv.weightTile(1, inC, inC, v, a, a + inC, a + 2 * inC, a + 3 * inC, a + 4 * inC, a + 5 * inC,
                                u, uBlk + xi * inC * BLOCK, ZEROS, 0, 0, m, (xi * padded + t0) * BLOCK);
                    }
                }
                for (int ty = ty0; ty < ty1; ty++) {
                    for (int tx = 0; tx < tw; tx++) {
                        int tile = (ty - ty0) * tw + tx, at = (2 * ty * wo + 2 * tx) * BLOCK;
                        for (int o0 = 0; o0 < BLOCK; o0 += T) {
                            VectorConv.winogradOutput(m, tile * BLOCK + o0, padded * BLOCK, init, bOff + o0, y, at + o0, wo * BLOCK, BLOCK);
                        }
                    }
                }
            }
            if (wo != ow) {
                // an odd width: rows of ow positions, in place (each row moves to a lower index)
                for (int r = 1; r < rows; r++) System.arraycopy(y, r * wo * BLOCK, y, r * ow * BLOCK, ow * BLOCK);
            }
            ConvLanes.toPlanes(y, cols, out, outOff + (long) blk * BLOCK * pos + (long) oy0 * ow, pos);
        }
    }

    /**
     * Padded input rows [r0, r0 + n) (r0 in the padded numbering) as positions x channels, {@code ww}
     * columns a row, zeros outside the input: the input rows copied to the heap in one bulk copy a
     * channel (16x16 transposes straight from native memory, 16 planes apart, took twice as long), then
     * transposed in 16x16 blocks.
     */
    private static void transposeBand(Conv.Geometry g, MemorySegment x, long xOff, int r0, int n, int ww, float[] xt, Scratch sc) {
        int inC = g.inC(), h = g.h(), w = g.w(), hw = h * w, pw = g.padW();
        int i0 = Math.max(0, r0 - g.padH()), i1 = Math.min(h, r0 + n - g.padH()), rows = Math.max(0, i1 - i0);
        float[] raw = sc.raw = Scratch.grow(sc.raw, inC * rows * w);
        if (rows == h) {
            MemorySegment.copy(x, ValueLayout.JAVA_FLOAT, xOff * Float.BYTES, raw, 0, inC * hw);
        } else if (rows > 0) {
            for (int c = 0; c < inC; c++) MemorySegment.copy(x, ValueLayout.JAVA_FLOAT, (xOff + (long) c * hw + (long) i0 * w) * Float.BYTES, raw, c * rows * w, rows * w);
        }
        int plane = rows * w;
        for (int r = 0; r < n; r++) {
            int iy = r0 + r - g.padH(), row = r * ww * inC;
            if (iy < 0 || iy >= h) {
                Arrays.fill(xt, row, row + ww * inC, 0f);
                continue;
            }
            Arrays.fill(xt, row, row + pw * inC, 0f);
            Arrays.fill(xt, row + (pw + w) * inC, row + ww * inC, 0f);
            for (int c0 = 0; c0 < inC; c0 += T) {
                for (int u = 0; u < T; u++) sc.rowOff[u] = (c0 + u) * plane + (iy - i0) * w;
                if (w < T) {
                    for (int ix = 0; ix < w; ix++) for (int u = 0; u < T; u++) xt[row + (pw + ix) * inC + c0 + u] = raw[sc.rowOff[u] + ix];
                    continue;
                }
                // 16 columns at a time, the last block overlapping the one before it
                for (int ix = 0; ix < w; ix += T) {
                    int p0 = Math.min(ix, w - T);
                    VectorGemm.transpose16(raw, sc.rowOff, 0, T, p0, xt, row + (pw + p0) * inC + c0, inC);
                }
            }
        }
    }
}
