package vectorgrad.kernels;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;

/**
 * 3x3, stride-1, undilated convolutions by Winograd's minimal filtering (Lavin and Gray, 2015), F(2x2, 3x3)
 * or F(4x4, 3x3), with channels in vector lanes: all three passes of the MNIST model's conv2 and the
 * ResNet's stride-1 layers.
 *
 * <p>Each m x m block of outputs (a tile, m = 2 or 4) is {@code Aᵀ·[Σ_c U_c ⊙ V_c]·A}, where
 * {@code U = G·g·Gᵀ} is an n x n transform of a 3x3 filter and {@code V = Bᵀ·d·B} one of the tile's n x n
 * input patch (n = m + 2). Per tile and channel pair that is n² multiplications instead of 9m²: 16 for 36
 * (F(2x2, 3x3)), 36 for 144 (F(4x4, 3x3), {@link Winograd4x4}). The n² elementwise products, summed over
 * input channels, are n² small matrix products ({@code M[ξ] = V[ξ]·U[ξ]}: tiles x inC times inC x outC), run
 * by micro-kernels of {@link VectorConv} and {@link MicroKernels} (six tiles by 64 channels, or twelve by 32,
 * on 16-float vectors; six by two vectors, over each block, on narrower ones). The transforms are adds and
 * multiplications by constants, vectorised over the channels a vector at a time.
 * <ul>
 *   <li>forward: as above, with the tile {@link ConvPlan#winogradTile} picks for the output planes.
 *   <li>input gradient: the same kind of correlation, of dy padded by two with the filters rotated by 180°
 *       and their channels swapped, with the tile picked for the input planes (MNIST's 26x26 gradient from
 *       24x24: 7x7 tiles of 4x4, 65 % of F(2x2)'s 13x13 tiles' products).
 *   <li>weight gradient: the forward is linear in U and in M, so {@code dU[ξ] = Σ_tiles Z[ξ]ᵀ·V[ξ]} with
 *       {@code Z = A·dY·Aᵀ} (a tile's block of dy transformed), and {@code dW = Gᵀ·dU·G}; the sums over
 *       tiles are n² products of k = tiles, with the tile {@link ConvPlan#winogradGradTile} picks for the output planes.
 * </ul>
 * Rounding differs from a direct sum (the transforms combine up to 16 or 36 values before the products): for
 * F(2x2, 3x3) by 1-2e-6 of the result's RMS, like the direct sums; for F(4x4, 3x3) up to 3.5e-5 of it
 * (measured on uniform random data, 288 to 1,152 products a sum; docs/PERFORMANCE.md).
 *
 * <p>Layouts (heap scratch of the calling thread): the band's padded input as positions x channels
 * ({@code xt[(row·ww + col)·C + c]}), {@code V[ξ][tile][c]}, {@code M[ξ][tile][block]} per block of output
 * channels, then the outputs as positions x block, transposed into the output's planes. Tiles go a few
 * dozen at a time so that V and M (or Z) stay in the core's L2.
 *
 * <p>Each call computes one work unit of {@link Conv} (an image, or a band of its rows; for the weight
 * gradient a chunk of images and a band of rows) on the calling thread. Tiles start at multiples of m rows
 * into the image whatever the band, and m depends on the plane's size only, so the forward and input
 * gradient of an image do not depend on how it was cut (nor on the batch); the weight gradient's sums go
 * in unit order, and the units depend on the batch and the geometry only, so no result depends on the
 * thread count.
 */
final class WinogradConv {
    private WinogradConv() {}

    /**
     * The channel blocks of the layouts, {@link ConvPlan}'s at every width: 16 (transposes), a block of output
     * channels (forward) and of input channels (input gradient).
     */
    private static final int T = ConvPlan.LANES_16, BLOCK = ConvPlan.BLOCK, HALF = ConvPlan.HALF;
    /**
     * Floats in this machine's vectors: the transforms go this many channels at a time. At 16 the products
     * run the 6x64 and 12x32 tiles of {@link VectorConv} and {@link MicroKernels}; narrower vectors hold
     * neither in sixteen registers, so there they run {@link MicroKernels#rowTile6} (six rows by two vectors;
     * the rows left over by a shorter one) over each block.
     */
    private static final int LV = VectorKernels.LANES;

    private static final boolean WIDE = LV == T;
    /**
     * Tiles per pass through the transforms for F(2x2, 3x3) (two rows of conv2's 12x12), whole products of six or
     * twelve; half as many for F(4x4, 3x3), whose 36 points a tile take 2.25 times the room, but up to eighteen
     * where that takes all of a unit's tiles ({@link #chunkTiles(int, int, int)}).
     */
    private static final int CHUNK_TILES = 24;

    /** The bias of a pass without one: as many zeros as the widest block (a narrow pass's block is all its channels). */
    private static final float[] ZEROS = new float[BLOCK];

    /**
     * One correlation of a 3x3 filter over an input of {@code inC} planes h x w, zero-padded by (padH, padW),
     * into {@code outC} channels in blocks of {@code block} (64: six tiles a product; 32: twelve).
     */
    private record Pass(int inC, int h, int w, int padH, int padW, int outC, int block, int tile) {
        /** Transformed values per tile: 16 for F(2x2, 3x3), 36 for F(4x4, 3x3). */
        int points() {
            return WinogradConv.points(tile);
        }

        /**
         * Tiles a product takes: the wide tiles' six or twelve rows; below 16 lanes six (rowTile6's), whatever
         * the block, so that a 7x7 image's 16 tiles of 2x2 are 18 rows of products, not 24 (the 128-channel input
         * gradient of a ResNet's last stage, batch 64, one thread: see docs/PERFORMANCE.md).
         */
        int rowsPerProduct() {
            return WIDE && block == HALF ? 12 : 6;
        }
    }

    /** Transformed values per tile of {@code tile} x {@code tile} outputs. */
    static int points(int tile) {
        return (tile + 2) * (tile + 2);
    }

    private static final class Scratch {
        float[] xt = new float[0],
                v = new float[0],
                m = new float[0],
                y = new float[0],
                raw = new float[0],
                planes = new float[0];
        float[] gt = new float[0], z = new float[0], zeros = new float[0];
        final int[] rowOff = new int[T];
        final float[] tmp = new float[Winograd4x4.TMP];

        static float[] grow(float[] a, int n) {
            return a.length < n ? new float[n] : a;
        }
    }

    private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);
    /** The transformed weights of the forward (slot 0) and of the input gradient (slot 1). */
    private static final ThreadScratch.Floats[] WEIGHTS = {new ThreadScratch.Floats(), new ThreadScratch.Floats()};

    private static float[] weightHolder(int slot, int n) {
        return WEIGHTS[slot].get(n);
    }

    /**
     * The forward's block of output channels: at 16 lanes 64 (six tiles a product) when they come in 64s,
     * else 32 (twelve); narrower, all of them, so that each chunk's input transform V is made once, not once
     * a block (the narrow tiles go through any block two vectors at a time).
     */
    static int forwardBlock(int outC) {
        if (!WIDE) return outC;
        return outC % BLOCK == 0 ? BLOCK : HALF;
    }

    /** The input gradient's block of (input) channels: 32 at 16 lanes (twelve tiles a product), else all of them. */
    static int inputBlock(int inC) {
        return WIDE ? HALF : inC;
    }

    /**
     * The forward's transformed weights, {@code u[((blk·P + ξ)·C + c)·B + o] = U[ξ] of W[blk·B + o][c]} (P points a
     * tile: 16 or 36) for
     * blocks of B = {@link #forwardBlock} output channels, made by the calling thread from the weights packed
     * as taps x B channels ({@link LanesConv#packedWeight} for B = 64): once per call, or for a call of a few
     * images taken from the thread's {@link WeightCache} while the weights are unchanged.
     */
    static float[] weights(Conv.Geometry g, MemorySegment weight) {
        int n = points(ConvPlan.winogradTile(g.outH(), g.outW())) * g.inC() * g.outC();
        if (g.batch() <= WeightCache.MAX_BATCH && n <= WeightCache.MAX_FLOATS)
            return WEIGHT_CACHE.get().weights(g, weight);
        return transform(g, weight, weightHolder(0, n));
    }

    /** {@link #weights} into {@code u}. */
    private static float[] transform(Conv.Geometry g, MemorySegment weight, float[] u) {
        int inC = g.inC(), outC = g.outC(), patch = g.patch(), block = forwardBlock(outC);
        int tile = ConvPlan.winogradTile(g.outH(), g.outW()), pts = points(tile);
        float[] wt;
        if (block == BLOCK) {
            wt = LanesConv.packedWeight(g, weight);
        } else {
            // wt[(blk·patch + tap)·B + o % B] = W[o][tap], once per call, in the calling thread's scratch (free
            // until its work units start)
            Scratch sc = SCRATCH.get();
            float[] w = sc.raw = Scratch.grow(sc.raw, patch * outC);
            MemorySegment.copy(weight, ValueLayout.JAVA_FLOAT, 0, w, 0, patch * outC);
            wt = sc.planes = Scratch.grow(sc.planes, patch * outC);
            for (int o = 0; o < outC; o++)
                for (int t = 0; t < patch; t++) wt[((o / block) * patch + t) * block + o % block] = w[o * patch + t];
        }
        float[] tmp = SCRATCH.get().tmp;
        for (int blk = 0; blk < outC / block; blk++) {
            for (int c = 0; c < inC; c++) {
                for (int o0 = 0; o0 < block; o0 += LV) {
                    int from = (blk * patch + c * 9) * block + o0, to = ((blk * pts) * inC + c) * block + o0;
                    if (tile == 2) VectorConv.winogradWeight(wt, from, block, u, to, inC * block);
                    else Winograd4x4.weight(wt, from, block, u, to, inC * block, tmp);
                }
            }
        }
        return u;
    }

    private static final ThreadLocal<WeightCache> WEIGHT_CACHE = ThreadLocal.withInitial(WeightCache::new);

    /**
     * A thread's transformed forward weights of its last few layers, for calls of a few images: there the
     * transform is a large part of the call (`perf` of the MNIST model's one-image inference, one thread:
     * 10 % of the call, about 35 µs) and an application's inference calls it again and again on the same
     * weights. An entry is used when the weights are the ones it was made from, compared in full (a
     * vectorised compare of their bytes: conv2's 73 KB), so changes made in place, by an optimizer or by
     * loading new weights, are seen. Larger batches (training) transform once a call. The entries live as
     * long as their thread: at most {@link #ENTRIES} layers of at most {@link #MAX_FLOATS} transformed
     * floats each, with a copy of their weights (a quarter of that for F(4x4)): up to 20 MB a thread that
     * runs several large layers at small batches, 0.4 MB for the MNIST model.
     */
    static final class WeightCache {
        /** Images a call at most, to use the cache. */
        static final int MAX_BATCH = 4;
        /** Transformed floats of one layer at most (4 MB): a 128-to-128-channel layer's F(4x4) weights are 2.4 MB. */
        static final int MAX_FLOATS = 1 << 20;

        static final int ENTRIES = 4;

        /** The weights at {@code address} ({@code raw}, a copy) and their transform {@code u}. */
        private record Entry(long address, int inC, int outC, int tile, float[] raw, float[] u) {}

        /** Most recently used first. */
        private final java.util.ArrayDeque<Entry> entries = new java.util.ArrayDeque<>();

        float[] weights(Conv.Geometry g, MemorySegment weight) {
            int tile = ConvPlan.winogradTile(g.outH(), g.outW());
            long bytes = (long) g.weightSize() * Float.BYTES;
            for (java.util.Iterator<Entry> it = entries.iterator(); it.hasNext(); ) {
                Entry e = it.next();
                if (e.address() != weight.address() || e.inC() != g.inC() || e.outC() != g.outC() || e.tile() != tile)
                    continue;
                it.remove();
                entries.addFirst(e);
                if (MemorySegment.mismatch(weight, 0, bytes, MemorySegment.ofArray(e.raw()), 0, bytes) != -1) {
                    // the same layer, new weights: into the entry's arrays
                    MemorySegment.copy(weight, ValueLayout.JAVA_FLOAT, 0, e.raw(), 0, e.raw().length);
                    transform(g, weight, e.u());
                }
                return e.u();
            }
            float[] raw = new float[(int) g.weightSize()];
            MemorySegment.copy(weight, ValueLayout.JAVA_FLOAT, 0, raw, 0, raw.length);
            float[] u = transform(g, weight, new float[points(tile) * g.inC() * g.outC()]);
            entries.addFirst(new Entry(weight.address(), g.inC(), g.outC(), tile, raw, u));
            if (entries.size() > ENTRIES) entries.removeLast();
            return u;
        }
    }

    /**
     * The input gradient's: the filters rotated by 180° with their channels swapped (the input gradient
     * is a correlation of dy, padded by two, with them), {@code u[((cb·P + ξ)·O + o)·B + c] = U[ξ] of
     * rot(W[o][cb·B + c])} for blocks of B = {@link #inputBlock} channels, from {@link LanesConv#inputWeight}
     * (taps x O x B channels).
     */
    static float[] inputWeights(Conv.Geometry g, MemorySegment weight) {
        int inC = g.inC(), outC = g.outC(), block = inputBlock(inC);
        int tile = ConvPlan.winogradTile(g.h(), g.w()), pts = points(tile);
        float[] wt = LanesConv.inputWeight(g, weight, block);
        float[] u = weightHolder(1, pts * inC * outC), tmp = SCRATCH.get().tmp;
        for (int cb = 0; cb < inC / block; cb++) {
            for (int o = 0; o < outC; o++) {
                for (int c0 = 0; c0 < block; c0 += LV) {
                    // tap 8 - k of the filter is tap k of the rotated one
                    int from = ((cb * 9 + 8) * outC + o) * block + c0, to = ((cb * pts) * outC + o) * block + c0;
                    if (tile == 2) VectorConv.winogradWeight(wt, from, -outC * block, u, to, outC * block);
                    else Winograd4x4.weight(wt, from, -outC * block, u, to, outC * block, tmp);
                }
            }
        }
        return u;
    }

    /**
     * Output rows [oy0, oy1) of the image at {@code xOff} into {@code out} (at the image's first output
     * value); {@code u} from {@link #weights}; {@code bias} a heap copy, or null.
     */
    static void forward(
            Conv.Geometry g,
            MemorySegment x,
            long xOff,
            float[] u,
            float[] bias,
            MemorySegment out,
            long outOff,
            int oy0,
            int oy1,
            int images) {
        Pass p = forwardPass(g);
        run(
                p,
                x,
                xOff,
                (long) g.inC() * g.h() * g.w(),
                u,
                bias,
                out,
                outOff,
                (long) g.outC() * g.positions(),
                images,
                g.positions(),
                g.outW(),
                0,
                0,
                oy0,
                oy1);
    }

    /**
     * Rows [y0, y1) of image b's padded-input gradient, cropped into dx (overwritten there): the correlation
     * of dy (at {@code dyOff}), padded by two, with {@link #inputWeights}; {@code dxOff} at the image's first
     * value. The tiles start at a multiple of the tile's rows below the input's first (see {@link #run}).
     */
    static void backwardInput(
            Conv.Geometry g,
            MemorySegment dy,
            long dyOff,
            float[] u,
            MemorySegment dx,
            long dxOff,
            int y0,
            int y1,
            int images) {
        int ya = Math.max(y0, g.padH()), yb = Math.min(y1, g.padH() + g.h());
        if (ya >= yb) return;
        Pass p = inputPass(g);
        run(
                p,
                dy,
                dyOff,
                (long) g.outC() * g.positions(),
                u,
                null,
                dx,
                dxOff,
                (long) g.inC() * g.h() * g.w(),
                images,
                g.h() * g.w(),
                g.w(),
                g.padH(),
                g.padW(),
                ya,
                yb);
    }

    /**
     * Rows [oy0, oy1) and columns [cx, cx + storeW) of the correlation's output: channel o at (oy, ox) to
     * {@code out[outOff + o·plane + (oy - cy)·storeW + ox - cx]}. Tiles start at column cx and at row oy0,
     * which must be a multiple of the tile's rows from cy (the bands of {@link WorkSplit#alignedBound}).
     */
    private static void run(
            Pass p,
            MemorySegment x,
            long xOff,
            long xStride,
            float[] u,
            float[] bias,
            MemorySegment out,
            long outOff,
            long outStride,
            int images,
            int plane,
            int storeW,
            int cy,
            int cx,
            int oy0,
            int oy1) {
        Scratch sc = SCRATCH.get();
        int inC = p.inC(), block = p.block(), per = p.rowsPerProduct(), mt = p.tile(), pts = p.points();
        if ((oy0 - cy) % mt != 0) throw new IllegalArgumentException(bandError(oy0, cy, mt));
        int tw = (storeW + mt - 1) / mt, tr = (oy1 - oy0 + mt - 1) / mt, ww = mt * tw + 2, wo = mt * tw;
        // the images' bands one after another; tile t is tile t % nt of image t / nt
        int imageXt = (mt * tr + 2) * ww * inC, nt = tr * tw, tiles = images * nt;
        float[] xt = sc.xt = Scratch.grow(sc.xt, images * imageXt);
        for (int i = 0; i < images; i++)
            transposeBand(p, x, xOff + i * xStride, oy0, mt * tr + 2, cx, ww, xt, i * imageXt, sc);
        int chunk = Math.min(chunkTiles(mt, tiles, per), (tiles + per - 1) / per * per);
        int vst = chunk * inC + SKEW, mst = chunk * block + SKEW;
        float[] v = sc.v = Scratch.grow(sc.v, pts * vst);
        float[] m = sc.m = Scratch.grow(sc.m, pts * mst);
        int rows = oy1 - oy0, cols = rows * storeW;
        // outputs as positions x block, rows wo = mt·tw wide (and a short last row of tiles); toPlanes reads the
        // first storeW of each row in place
        int imageY = mt * tr * wo * block;
        float[] y = sc.y = Scratch.grow(sc.y, images * imageY);
        for (int blk = 0; blk < p.outC() / block; blk++) {
            float[] init = bias != null ? bias : block <= BLOCK ? ZEROS : (sc.zeros = Scratch.grow(sc.zeros, block));
            int bOff = bias != null ? blk * block : 0, uBlk = blk * pts * inC * block;
            // tiles in row-major order, a chunk at a time (across rows of tiles: no product half empty)
            for (int t0 = 0; t0 < tiles; t0 += chunk) {
                int t1 = Math.min(tiles, t0 + chunk), full = (t1 - t0 + per - 1) / per * per;
                // V (again for each block of output channels: it is a small part of the time)
                for (int t = t0; t < t1; t++) {
                    int lt = t % nt, d0 = (t / nt) * imageXt + (mt * (lt / tw) * ww + mt * (lt % tw)) * inC;
                    for (int c0 = 0; c0 < inC; c0 += LV) {
                        int to = (t - t0) * inC + c0;
                        if (mt == 2) VectorConv.winogradInput(xt, d0 + c0, ww * inC, inC, v, to, vst);
                        else Winograd4x4.input(xt, d0 + c0, ww * inC, inC, v, to, vst, sc.tmp);
                    }
                }
                // the 16 or 36 products; rows past the last tile read stale V and are not used
                for (int xi = 0; xi < pts; xi++) {
                    int vx = xi * vst, ux = uBlk + xi * inC * block;
                    for (int r0 = 0; r0 < full; r0 += per) {
                        int a = vx + r0 * inC;
                        if (!WIDE) {
                            // six rows of V (tiles, inC apart) by two vectors of U's block, over the block;
                            // the last product's rows past the chunk's tiles are not computed
                            int mOff = xi * mst + r0 * block;
                            for (int r = 0; r < Math.min(per, t1 - t0 - r0); r += 6)
                                for (int o0 = 0; o0 < block; o0 += 2 * LV)
                                    VectorGemm.rowTile(
                                            Math.min(6, t1 - t0 - r0 - r),
                                            inC,
                                            v,
                                            a + r * inC,
                                            inC,
                                            1,
                                            u,
                                            ux + o0,
                                            block,
                                            m,
                                            mOff + r * block + o0,
                                            block,
                                            false);
                        } else if (block == BLOCK) {
                            VectorConv.weightTile(
                                    1,
                                    inC,
                                    inC,
                                    v,
                                    a,
                                    a + inC,
                                    a + 2 * inC,
                                    a + 3 * inC,
                                    a + 4 * inC,
                                    a + 5 * inC,
                                    u,
                                    ux,
                                    ZEROS,
                                    0,
                                    0,
                                    m,
                                    xi * mst + r0 * BLOCK);
                        } else {
                            MicroKernels.stridedTile32(inC, v, a, inC, u, ux, m, xi * mst + r0 * HALF);
                        }
                    }
                }
                for (int t = t0; t < t1; t++) {
                    int lt = t % nt, at = (t / nt) * imageY + (mt * (lt / tw) * wo + mt * (lt % tw)) * block;
                    for (int o0 = 0; o0 < block; o0 += LV) {
                        int from = (t - t0) * block + o0;
                        if (mt == 2)
                            VectorConv.winogradOutput(m, from, mst, init, bOff + o0, y, at + o0, wo * block, block);
                        else Winograd4x4.output(m, from, mst, init, bOff + o0, y, at + o0, wo * block, block, sc.tmp);
                    }
                }
            }
            sc.planes = Scratch.grow(sc.planes, block * cols);
            for (int i = 0; i < images; i++) {
                // image i's rows of storeW positions, wo apart from i·imageY (a width not a multiple of the tile
                // leaves the rest of each row unstored), straight to the output planes
                LanesConv.toPlanes(
                        y,
                        i * imageY,
                        storeW,
                        wo,
                        cols,
                        block,
                        sc.planes,
                        sc.rowOff,
                        out,
                        outOff + i * outStride + (long) blk * block * plane + (long) (oy0 - cy) * storeW,
                        plane);
            }
        }
    }

    /** Tiles a chunk of {@link #run} takes through the transforms and products, for any number of tiles. */
    private static int chunkTiles(int tile) {
        return tile == 2 ? CHUNK_TILES : CHUNK_TILES / 2;
    }

    /**
     * Tiles a chunk of {@link #run} takes when the unit has {@code tiles} and a product {@code per} rows: with
     * F(4x4, 3x3) and six-row products, up to eighteen when that takes all of them. A 14x14 image has 16 tiles of
     * 4x4: in chunks of twelve and four, each of its passes streamed all of U (590 KB for 64 channels, more than
     * the L2) twice, the second time for products of four rows; in one chunk, once (the ResNet's 14x14 layer,
     * batch 64, one thread: forward 7.9-8.0 → 7.2-7.5 ms, input gradient 7.8-7.9 → 7.3-7.5, a plain timing loop).
     */
    private static int chunkTiles(int tile, int tiles, int per) {
        if (tile == 4 && per == 6 && tiles <= 18) return 18;
        return chunkTiles(tile);
    }

    /**
     * Images a work unit of the forward or input gradient takes, for a pass over planes of {@code h x w}
     * outputs into {@code block}-channel blocks from {@code inC} channels: 1, or where an image has fewer
     * tiles than a chunk and the chunk's products stream a block of transformed weights (one block of
     * output channels' U) too large for the L2 (over 256 KiB), the 2 or 3 that need the fewest chunks an image, so each pass over U serves more
     * tiles. A 7x7 image (the ResNet's last stage) has 4 tiles of 4x4: alone, its one chunk read U (2.4 MB
     * for 128 channels in one block, below 16 lanes) for products of four rows. (Grouping the 14x14 layer's images, 16 tiles each, in
     * threes was slower in a plain timing loop: its scratch outgrew the L2.) Whole images only, never with
     * bands: batches of at least this many times {@link WorkSplit#MIN_UNITS}. The tiles of a chunk are
     * independent rows of its products, so the bits do not depend on the grouping. Groups are counted in
     * chunks of twelve tiles; counted in {@link #chunkTiles(int, int, int)}'s (four 7x7 images, sixteen tiles,
     * one chunk) the 128-channel layer was no faster than with three (forward 6.7-7.0 against 7.0-7.2 ms,
     * input gradient 6.5-6.8 against 6.4-6.9; batch 64, one thread, plain timing loop).
     */
    static int imagesPerUnit(int batch, int h, int w, int inC, int block, int tile) {
        long uBytes = 4L * points(tile) * inC * block;
        int nt = ((h + tile - 1) / tile) * ((w + tile - 1) / tile), chunk = chunkTiles(tile), best = 1;
        if (uBytes <= 256 * 1024 || nt >= chunk) return 1;
        double fewest = Math.ceil((double) nt / chunk);
        for (int group = 2; group <= 3; group++) {
            double perImage = Math.ceil((double) group * nt / chunk) / group;
            if (perImage < fewest && batch >= group * WorkSplit.MIN_UNITS) {
                fewest = perImage;
                best = group;
            }
        }
        return best;
    }

    /** {@link #imagesPerUnit} for the forward of {@code g}. */
    static int forwardImagesPerUnit(Conv.Geometry g) {
        Pass p = forwardPass(g);
        return imagesPerUnit(g.batch(), g.outH(), g.outW(), p.inC(), p.block(), p.tile());
    }

    /** The forward of {@code g} as a correlation pass. */
    private static Pass forwardPass(Conv.Geometry g) {
        return new Pass(
                g.inC(),
                g.h(),
                g.w(),
                g.padH(),
                g.padW(),
                g.outC(),
                forwardBlock(g.outC()),
                ConvPlan.winogradTile(g.outH(), g.outW()));
    }

    /** {@link #imagesPerUnit} for the input gradient of {@code g} (its outputs are the input's planes). */
    static int inputImagesPerUnit(Conv.Geometry g) {
        Pass p = inputPass(g);
        return imagesPerUnit(g.batch(), g.h(), g.w(), p.inC(), p.block(), p.tile());
    }

    /**
     * The input gradient of {@code g} as a correlation pass: dy (outC planes of the output's size, padded by
     * 2) with the rotated filters into the input's channels, tiled over the input's planes.
     */
    private static Pass inputPass(Conv.Geometry g) {
        return new Pass(
                g.outC(), g.outH(), g.outW(), 2, 2, g.inC(), inputBlock(g.inC()), ConvPlan.winogradTile(g.h(), g.w()));
    }

    private static String bandError(int row, int origin, int tile) {
        return "Winograd band from row " + row + ": not a whole number of " + tile + "-row tiles from row " + origin;
    }

    /**
     * Rows [r0, r0 + n) and columns [cx, cx + ww) of the zero-padded input (padded numbering) as positions
     * x channels, {@code xt[(r·ww + col)·C + c]}: the input rows copied to the heap in one bulk copy a
     * channel, then transposed in 16x16 blocks (transposing straight from native memory, 16 planes apart,
     * was 14 % of the forward's JFR samples; conv2's forward at batch 64 on one thread went from 5.9 to
     * 5.2-5.4 ms with the copy, plain timing loop).
     */
    private static void transposeBand(
            Pass p, MemorySegment x, long xOff, int r0, int n, int cx, int ww, float[] xt, int xtOff, Scratch sc) {
        int inC = p.inC(), h = p.h(), w = p.w(), hw = h * w;
        int i0 = Math.max(0, r0 - p.padH()), i1 = Math.min(h, r0 + n - p.padH()), rows = Math.max(0, i1 - i0);
        float[] raw = sc.raw = Scratch.grow(sc.raw, inC * rows * w);
        if (rows == h) {
            MemorySegment.copy(x, ValueLayout.JAVA_FLOAT, xOff * Float.BYTES, raw, 0, inC * hw);
        } else if (rows > 0) {
            for (int c = 0; c < inC; c++)
                MemorySegment.copy(
                        x,
                        ValueLayout.JAVA_FLOAT,
                        (xOff + (long) c * hw + (long) i0 * w) * Float.BYTES,
                        raw,
                        c * rows * w,
                        rows * w);
        }
        int plane = rows * w;
        // the band's columns holding input: [lo, hi), input column ix at lo + ix - ix0
        int lo = Math.max(0, p.padW() - cx),
                hi = Math.min(ww, p.padW() - cx + w),
                ix0 = lo + cx - p.padW(),
                count = Math.max(0, hi - lo);
        for (int r = 0; r < n; r++) {
            int iy = r0 + r - p.padH(), row = xtOff + r * ww * inC;
            if (iy < 0 || iy >= h || count == 0) {
                Arrays.fill(xt, row, row + ww * inC, 0f);
                continue;
            }
            Arrays.fill(xt, row, row + lo * inC, 0f);
            Arrays.fill(xt, row + hi * inC, row + ww * inC, 0f);
            for (int c0 = 0; c0 < inC; c0 += T) {
                for (int u = 0; u < T; u++) sc.rowOff[u] = (c0 + u) * plane + (iy - i0) * w + ix0;
                if (count < T) {
                    for (int k = 0; k < count; k++)
                        for (int u = 0; u < T; u++) xt[row + (lo + k) * inC + c0 + u] = raw[sc.rowOff[u] + k];
                    continue;
                }
                // 16 columns at a time, the last block overlapping the one before it
                for (int k = 0; k < count; k += T) {
                    int k0 = Math.min(k, count - T);
                    MicroKernels.transposeBlock16(raw, sc.rowOff, 0, T, k0, xt, row + (lo + k0) * inC + c0, inC);
                }
            }
        }
    }

    // ---------------------------------------------------------------- weight gradient

    /** Tiles per pass of the weight gradient: the products sum over tiles, so a longer k pays off. */
    private static final int GRAD_CHUNK = 48;
    /**
     * Tiles per pass of an F(4x4, 3x3) weight gradient below 16 lanes. Each pass adds its products into the unit's
     * sums (36 points x output x input channels: 2.4 MB for the ResNet's 128-channel layer, past the L2), so fewer,
     * longer passes stream them fewer times: a unit's time, batch 64 on one thread (plain timing loop, best of
     * 400, several runs), in chunks of 24 / 64 tiles: 128 channels on 7x7 7.11-7.23 / 6.20-6.61 ms, 64 on 14x14
     * 8.32-8.58 / 7.35-7.90, 32 on 28x28 7.67-7.82 / 7.13-7.59. At 16 lanes, not measured, half of
     * {@link #GRAD_CHUNK}.
     */
    private static final int GRAD_CHUNK_4X4 = 64;
    /**
     * Floats added to the stride between the transformed matrices (V, M, Z): at exactly 48 tiles x 64
     * channels (12 KiB) apart, F(2x2, 3x3)'s 16 stores a call alias in the L1 (4 KiB apart) and the weight
     * gradient took 6.7 ms instead of 5.0 (conv2, batch 64, one thread, plain timing loop); without it, the
     * forward of the 14x14 layer in chunks of 16 tiles (16 x 64 channels, 4 KiB apart) took 8.5-9.1 ms against
     * 7.3-7.4 in chunks of 18. With it no chunk size puts the matrices a multiple of 4 KiB apart.
     */
    private static final int SKEW = 16;
    /** Rows (output channels) of a weight-gradient product: twelve, as {@link MicroKernels#inputTile}. */
    private static final int GRAD_ROWS = 12;

    private static int gradRows(Conv.Geometry g) {
        return (g.outC() + GRAD_ROWS - 1) / GRAD_ROWS * GRAD_ROWS;
    }

    /**
     * Floats of one work unit's sums: the transformed gradient {@code dU[cb][ξ][o][32]} (output channels
     * rounded up to whole products of twelve), then the bias gradient.
     */
    static int sumsSize(Conv.Geometry g) {
        return points(ConvPlan.winogradGradTile(g)) * gradRows(g) * g.inC() + g.outC();
    }

    /**
     * {@code dU[ξ][o][c] = Σ_tiles Z[ξ][tile][o] · V[ξ][tile][c]} and the bias gradient for images [b0, b1)
     * and output rows [y0, y1) (b1 > b0, y1 > y0: every unit of Conv's; tiles from a multiple of the tile, their rows
     * outside [y0, y1) counting as zero gradient), into {@code sums} as {@link #sumsSize} lays them out
     * (overwritten; the bias only when {@code withBias}). {@code Z = A·dY·Aᵀ}
     * is the gradient of a tile's M (the forward's output transform is linear); {@link #toWeight} makes dW.
     */
    static void backwardWeight(
            Conv.Geometry g,
            MemorySegment x,
            MemorySegment dy,
            int b0,
            int b1,
            int y0,
            int y1,
            float[] sums,
            boolean withBias) {
        Scratch sc = SCRATCH.get();
        int inC = g.inC(), outC = g.outC(), ow = g.outW(), rowsO = gradRows(g), mt = ConvPlan.winogradGradTile(g);
        int pts = points(mt);
        // tiles from row y0, a multiple of the tile as the forward's; the last tiles' rows past y1 count as zero
        // gradient
        if (y0 % mt != 0) throw new IllegalArgumentException(bandError(y0, 0, mt));
        int rows = y1 - y0;
        int tw = (ow + mt - 1) / mt, tr = (rows + mt - 1) / mt, nt = tr * tw, ww = mt * tw + 2, wg = mt * tw;
        // a chunk of tiles runs on across images: a 7x7 image has 16 tiles of 2x2, a 14x14 one 49 (a product of 48
        // and one of a single tile, per image, when chunks stopped at the image's end)
        int chunk = Math.min(mt == 2 ? GRAD_CHUNK : WIDE ? GRAD_CHUNK / 2 : GRAD_CHUNK_4X4, nt * (b1 - b0)),
                bias = pts * rowsO * inC;
        Pass px = new Pass(inC, g.h(), g.w(), g.padH(), g.padW(), outC, BLOCK, mt),
                pg = new Pass(outC, g.outH(), ow, 0, 0, inC, BLOCK, mt);
        float[] xt = sc.xt = Scratch.grow(sc.xt, (mt * tr + 2) * ww * inC);
        float[] gt = sc.gt = Scratch.grow(sc.gt, mt * tr * wg * outC);
        int vst = chunk * HALF + SKEW, zst = chunk * outC + SKEW;
        float[] v = sc.v = Scratch.grow(sc.v, pts * vst * (inC / HALF));
        // a wide product's last rows past the output channels read on into the next tile's (slack past the end)
        float[] z = sc.z = Scratch.grow(sc.z, pts * zst + GRAD_ROWS);
        Arrays.fill(sums, bias, bias + outC, 0f);
        boolean first = true;
        int filled = 0;
        for (int b = b0; b < b1; b++) {
            long xOff = (long) b * inC * g.h() * g.w(), dyOff = (long) b * outC * g.positions();
            transposeBand(px, x, xOff, y0, mt * tr + 2, 0, ww, xt, 0, sc);
            transposeBand(pg, dy, dyOff, y0, rows, 0, wg, gt, 0, sc);
            Arrays.fill(gt, rows * wg * outC, mt * tr * wg * outC, 0f); // the last tiles' rows past y1
            if (withBias) {
                // from the heap copy: positions x channels, zeros outside the band
                for (int o0 = 0; o0 < outC; o0 += LV)
                    VectorKernels.addColumnSums(gt, o0, outC, rows * wg, sums, bias + o0);
            }
            for (int t = 0; t < nt; t++) {
                int ty = t / tw, tx = t % tw, d0 = (mt * ty * ww + mt * tx) * inC, g0 = (mt * ty * wg + mt * tx) * outC;
                for (int c0 = 0; c0 < inC; c0 += LV) {
                    // V by blocks of 32 input channels: [cb][ξ][tile][32]
                    int to = (c0 / HALF) * pts * vst + filled * HALF + c0 % HALF;
                    if (mt == 2) VectorConv.winogradInput(xt, d0 + c0, ww * inC, inC, v, to, vst);
                    else Winograd4x4.input(xt, d0 + c0, ww * inC, inC, v, to, vst, sc.tmp);
                }
                for (int o0 = 0; o0 < outC; o0 += LV) {
                    int to = filled * outC + o0;
                    if (mt == 2) VectorConv.winogradGradOut(gt, g0 + o0, wg * outC, outC, z, to, zst);
                    else Winograd4x4.gradOut(gt, g0 + o0, wg * outC, outC, z, to, zst, sc.tmp);
                }
                if (++filled == chunk) {
                    gradProducts(filled, pts, inC, outC, rowsO, v, vst, z, zst, sums, !first);
                    first = false;
                    filled = 0;
                }
            }
        }
        if (filled > 0) gradProducts(filled, pts, inC, outC, rowsO, v, vst, z, zst, sums, !first);
    }

    /** {@code sums (+)= Σ_{k tiles} Zᵀ·V} for each ξ and block of 32 input channels (see {@link #backwardWeight}). */
    private static void gradProducts(
            int k,
            int pts,
            int inC,
            int outC,
            int rowsO,
            float[] v,
            int vst,
            float[] z,
            int zst,
            float[] sums,
            boolean add) {
        for (int cb = 0; cb < inC / HALF; cb++) {
            for (int xi = 0; xi < pts; xi++) {
                int vOff = (cb * pts + xi) * vst, zOff = xi * zst, dOff = (cb * pts + xi) * rowsO * HALF;
                for (int r0 = 0; r0 < rowsO; r0 += GRAD_ROWS) {
                    if (WIDE) {
                        // twelve rows whatever outC: rows past it read on into the next tile's Z (or the
                        // slack past the end) and land in sums' rows past outC, which toWeight skips
                        MicroKernels.inputTile(k, z, zOff + r0, outC, v, vOff, sums, dOff + r0 * HALF, add);
                        continue;
                    }
                    // six output channels (Z's columns) by two vectors of V's 32 input channels; the rows past
                    // the last channel are not computed
                    for (int r = r0; r < Math.min(r0 + GRAD_ROWS, outC); r += 6)
                        for (int c0 = 0; c0 < HALF; c0 += 2 * LV)
                            VectorGemm.rowTile(
                                    Math.min(6, outC - r),
                                    k,
                                    z,
                                    zOff + r,
                                    1,
                                    outC,
                                    v,
                                    vOff + c0,
                                    HALF,
                                    sums,
                                    dOff + r * HALF + c0,
                                    HALF,
                                    add);
                }
            }
        }
    }

    /** dW's rows of output channels [o0, o1) from sums laid out as {@link #sumsSize} says: {@code dW = Gᵀ·dU·G}. */
    static void toWeight(Conv.Geometry g, float[] sums, int o0, int o1, MemorySegment dWeight) {
        Scratch sc = SCRATCH.get();
        int inC = g.inC(), rowsO = gradRows(g), pts = points(ConvPlan.winogradGradTile(g));
        // per output channel, [tap][c] with the channels in lanes, then reordered to W's [c][tap]
        float[] planes = sc.planes = Scratch.grow(sc.planes, 9 * inC + inC * 9);
        for (int o = o0; o < o1; o++) {
            for (int c0 = 0; c0 < inC; c0 += LV) {
                int d0 = ((c0 / HALF) * pts * rowsO + o) * HALF + c0 % HALF;
                if (pts == 16) VectorConv.winogradWeightGrad(sums, d0, rowsO * HALF, planes, c0, inC);
                else Winograd4x4.weightGrad(sums, d0, rowsO * HALF, planes, c0, inC, sc.tmp);
            }
            for (int c = 0; c < inC; c++) for (int k = 0; k < 9; k++) planes[9 * inC + c * 9 + k] = planes[k * inC + c];
            MemorySegment.copy(
                    planes, 9 * inC, dWeight, ValueLayout.JAVA_FLOAT, (long) o * inC * 9 * Float.BYTES, inC * 9);
        }
    }

    /** dBias from sums laid out as {@link #sumsSize} says; nothing when {@code dBias} is null. */
    static void toBias(Conv.Geometry g, float[] sums, MemorySegment dBias) {
        int pts = points(ConvPlan.winogradGradTile(g));
        if (dBias != null)
            MemorySegment.copy(sums, pts * gradRows(g) * g.inC(), dBias, ValueLayout.JAVA_FLOAT, 0, g.outC());
    }
}
