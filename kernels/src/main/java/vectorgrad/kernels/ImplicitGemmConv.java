package vectorgrad.kernels;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;

/**
 * The convolution's three products with no column matrix (an implicit GEMM): the packing
 * routines read the image and the upstream gradient straight into the micro-kernel's panels, so im2col's
 * matrix (nine times the image for a 3x3 kernel) is never written, nor col2im's scatter of short rows
 * done: on conv2 of the MNIST model those two passes were about a fifth of the layer's time
 * (docs/PERFORMANCE.md).
 *
 * <p><b>Wide positions.</b> With stride 1, output (oy, ox) reads the padded input (width Wp) at
 * (oy + i·dh, ox + j·dw). Numbering positions q = oy·Wp + ox — over the padded width, not the output
 * width — tap (c, i, j) reads the image at {@code q + c·Hp·Wp + i·dh·Wp + j·dw}: one contiguous window per
 * tap. The columns ox ≥ OW of that numbering are junk; the upstream gradient is widened with zeros there,
 * so they add nothing. (A junk column multiplies a real pixel or weight by zero: an infinite value there
 * would make NaN where the im2col path gives ±∞; such a step has diverged either way.)
 *
 * <p><b>Strides.</b> With stride (sh, sw) the padded image is first split into its sh·sw phases, phase
 * (py, px) holding the pixels at rows ≡ py (mod sh) and columns ≡ px (mod sw), each a plane of Hq x Wq
 * (the padded size divided by the stride, rounded up). Output (oy, ox) reads tap (i, j) at padded
 * (oy·sh + i·dh, ox·sw + j·dw): in phase (i·dh mod sh, j·dw mod sw), at (oy + ⌊i·dh/sh⌋, ox + ⌊j·dw/sw⌋) —
 * again one contiguous window per tap over positions numbered with the phase width as the row pitch. So
 * every pass below runs unchanged on the phase image (for stride 1 it is the padded image), and a strided
 * layer (a ResNet's downsampling 3x3 convolutions; {@link ConvPlan#implicitShaped} says which) packs
 * contiguous runs instead of im2col's strided copies.
 * <ul>
 *   <li>forward: {@code out = W · col} over the normal positions, B panels gathered from the image;
 *   <li>input gradient: {@code Wᵀ · dy} over wide positions, tap by tap, the micro-kernel adding each
 *       tile straight into the gradient image at its tap's offset (no column matrix, no scatter);
 *   <li>weight gradient: {@code dW += dy · colᵀ} over wide positions: A is the widened dy, B the tap
 *       windows, transposed by 16x16 register blocks.
 * </ul>
 * Each call computes one work unit of {@link Conv} on the calling thread; the unit's cut, and so every
 * result, does not depend on the thread count. With 512-bit vectors, layers whose channels come in whole
 * blocks run {@link WinogradConv} (3x3, undilated: conv2) or {@link LanesConv} instead; this class serves the
 * other stride-1 layers and narrower vectors, and lends LanesConv {@link #paddedRows}.
 */
final class ImplicitGemmConv {
    private ImplicitGemmConv() {}

    private static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT;
    private static final int MR = VectorGemm.MR, NR = VectorGemm.NR;
    /** The k block (sgemm's at 256 bits; {@code -Dvectorgrad.gemm.kc} sets both). */
    private static final int KC = Config.GEMM_KC != 0 ? Config.GEMM_KC : 256;
    /** Floats of A packed at a time (an L2-resident block). */
    private static final int A_BLOCK = 48 * 1024;

    /** Floats past the end of every scratch array: room for copyRunSpill's spill. */
    private static final int SPILL = 64;

    private static final class Scratch {
        float[] img = new float[0], grad = new float[0], wide = new float[0], ap = new float[A_BLOCK + MR * KC];

        float[] ap(int n) {
            if (ap.length < n) ap = new float[n];
            return ap;
        }

        final float[] bp = new float[KC * NR + SPILL];
        final int[] rowOff = new int[NR], runSrc = new int[NR], runDst = new int[NR], runLen = new int[NR];
        final MemorySegment tile = Arena.ofAuto().allocate((long) MR * NR * Float.BYTES, 64);
        MemorySegment paddedGrad = Arena.ofAuto().allocate(64, 64);

        float[] img(int n) {
            if (img.length < n + SPILL) img = new float[n + SPILL];
            return img;
        }

        float[] grad(int n) {
            if (grad.length < n + SPILL) grad = new float[n + SPILL];
            return grad;
        }

        float[] wide(int n) {
            if (wide.length < n + SPILL) wide = new float[n + SPILL];
            return wide;
        }

        MemorySegment sums = Arena.ofAuto().allocate(64, 64);
        float[] images = new float[0];
        MemorySegment columns = Arena.ofAuto().allocate(64, 64);

        /** Room for several padded images side by side (the forward's image groups). */
        float[] images(int n) {
            if (images.length < n + SPILL) images = new float[n + SPILL];
            return images;
        }

        /** The scratch block of C of a forward product over several images. */
        MemorySegment columns(long n) {
            if (columns.byteSize() < n * Float.BYTES) columns = Arena.ofAuto().allocate(n * Float.BYTES, 64);
            return columns;
        }

        MemorySegment sums(long n) {
            if (sums.byteSize() < n * Float.BYTES) sums = Arena.ofAuto().allocate(n * Float.BYTES, 64);
            return sums;
        }

        MemorySegment paddedGrad(long n) {
            if (paddedGrad.byteSize() < n * Float.BYTES)
                paddedGrad = Arena.ofAuto().allocate(n * Float.BYTES, 64);
            return paddedGrad;
        }
    }

    private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);
    private static final ThreadScratch.Floats TRANSPOSED = new ThreadScratch.Floats();

    /**
     * What every pass needs of the geometry, computed once per call: the row pitch of the (phase) image
     * {@code wp} (the padded width for stride 1, a phase's width Wq otherwise), a phase's rows {@code hq},
     * a channel's floats {@code plane} (all its phases), wide positions, and each tap's offset in the image
     * (integer divisions per packed row were a tenth of the packing time).
     */
    record Shape(Conv.Geometry g, int oh, int ow, int wp, int hq, int plane, int nw, int[] tapOff) {
        boolean strided() {
            return g.strideH() > 1 || g.strideW() > 1;
        }
    }

    static Shape shape(Conv.Geometry g) {
        int sh = g.strideH(), sw = g.strideW();
        int hq = (g.h() + 2 * g.padH() + sh - 1) / sh, wq = (g.w() + 2 * g.padW() + sw - 1) / sw;
        int oh = g.outH(), ow = g.outW(), phase = hq * wq, plane = sh * sw * phase;
        int[] tapOff = new int[g.patch()];
        for (int c = 0, t = 0; c < g.inC(); c++) {
            for (int i = 0; i < g.kh(); i++) {
                int dy = i * g.dilH();
                for (int j = 0; j < g.kw(); j++) {
                    int dx = j * g.dilW();
                    tapOff[t++] = c * plane + ((dy % sh) * sw + dx % sw) * phase + dy / sh * wq + dx / sw;
                }
            }
        }
        return new Shape(g, oh, ow, wq, hq, plane, (oh - 1) * wq + ow, tapOff);
    }

    /** Rows of A packed per block: as many as fit A_BLOCK, a multiple of MR. */
    private static int rowBlock(int m, int kc) {
        return Math.min(m, Math.max(MR, A_BLOCK / kc / MR * MR));
    }

    /**
     * Rows [r0, r1) of the zero-padded image {@code xOff}, all channels, in this thread's scratch image laid
     * out as the whole padded image (the other rows hold anything; valid until the next call on this thread;
     * at least 64 floats of slack past its end, for reads that run over). A band of work copies only the
     * rows it reads: at batch 5 each image is cut in two. Stride 1 only (LanesConv's).
     */
    static float[] paddedRows(Shape sh, MemorySegment x, long xOff, int r0, int r1) {
        Conv.Geometry g = sh.g();
        if (sh.strided()) throw new IllegalStateException("paddedRows: stride 1 only, not " + g);
        Scratch sc = SCRATCH.get();
        int hp = g.h() + 2 * g.padH();
        if (r0 == 0 && r1 == hp) return padded(sh, x, xOff, 0, g.inC(), sc);
        int h = g.h(), w = g.w(), hw = h * w, wp = sh.wp(), plane = sh.plane(), ph = g.padH(), pw = g.padW();
        int i0 = Math.max(0, r0 - ph), i1 = Math.min(h, r1 - ph), rows = Math.max(0, i1 - i0);
        float[] img = sc.img(g.inC() * plane), raw = sc.grad(rows * w);
        for (int c = 0; c < g.inC(); c++) {
            if (ph == 0 && pw == 0) {
                MemorySegment.copy(
                        x, F, (xOff + (long) c * hw + (long) i0 * w) * Float.BYTES, img, c * plane + i0 * w, rows * w);
                continue;
            }
            // a band of padding only reads no row (and a copy of nothing still checks its offset: i0 may be past h)
            if (rows > 0)
                MemorySegment.copy(x, F, (xOff + (long) c * hw + (long) i0 * w) * Float.BYTES, raw, 0, rows * w);
            for (int y = r0; y < r1; y++) {
                int d = c * plane + y * wp, iy = y - ph;
                if (iy < 0 || iy >= h) {
                    Arrays.fill(img, d, d + wp, 0f);
                } else {
                    Arrays.fill(img, d, d + pw, 0f);
                    System.arraycopy(raw, (iy - i0) * w, img, d + pw, w);
                    Arrays.fill(img, d + pw + w, d + wp, 0f);
                }
            }
        }
        return img;
    }

    /** Channels [c0, c1) of image {@code xOff}, zero-padded (and split into phases when strided), into the scratch image. */
    private static float[] padded(Shape sh, MemorySegment x, long xOff, int c0, int c1, Scratch sc) {
        float[] img = sc.img((c1 - c0) * sh.plane());
        paddedInto(sh, x, xOff, c0, c1, img, 0, sc);
        return img;
    }

    /** {@link #padded} into {@code img} from {@code at} (sc.grad is the staging buffer). */
    private static void paddedInto(
            Shape sh, MemorySegment x, long xOff, int c0, int c1, float[] img, int at, Scratch sc) {
        Conv.Geometry g = sh.g();
        int h = g.h(), w = g.w(), hw = h * w, wp = sh.wp(), plane = sh.plane(), n = (c1 - c0) * plane;
        if (sh.strided()) {
            float[] raw = sc.grad((c1 - c0) * hw);
            MemorySegment.copy(x, F, (xOff + (long) c0 * hw) * Float.BYTES, raw, 0, (c1 - c0) * hw);
            Arrays.fill(img, at, at + n, 0f);
            for (int c = 0; c < c1 - c0; c++) {
                for (int y = 0; y < h; y++) {
                    int row = at + phaseRow(sh, c, y), src = c * hw + y * w;
                    if (g.strideW() == 2) {
                        VectorConv.deinterleave(
                                raw, src, w, img, row + phaseColumn(sh, 0), img, row + phaseColumn(sh, 1));
                        continue;
                    }
                    for (int x0 = 0; x0 < g.strideW(); x0++) {
                        int d = row + phaseColumn(sh, x0);
                        for (int xx = x0, k = 0; xx < w; xx += g.strideW(), k++) img[d + k] = raw[src + xx];
                    }
                }
            }
            return;
        }
        if (g.padH() == 0 && g.padW() == 0) {
            MemorySegment.copy(x, F, (xOff + (long) c0 * hw) * Float.BYTES, img, at, n);
            return;
        }
        // one bulk copy to the heap, then rows into place (per-row segment copies cost more: see Conv.Scratch)
        float[] raw = sc.grad((c1 - c0) * hw);
        MemorySegment.copy(x, F, (xOff + (long) c0 * hw) * Float.BYTES, raw, 0, (c1 - c0) * hw);
        Arrays.fill(img, at, at + n, 0f);
        for (int c = 0; c < c1 - c0; c++) {
            for (int y = 0; y < h; y++)
                System.arraycopy(raw, c * hw + y * w, img, at + c * plane + (y + g.padH()) * wp + g.padW(), w);
        }
    }

    /** Rows [o0, o1) of image b's upstream gradient at wide positions (zeros in the junk columns). */
    private static float[] widened(Shape sh, MemorySegment dy, long dyOff, int rows, Scratch sc) {
        int oh = sh.oh(), ow = sh.ow(), pos = oh * ow, wp = sh.wp(), nw = sh.nw();
        float[] raw = sc.grad(rows * pos);
        MemorySegment.copy(dy, F, dyOff * Float.BYTES, raw, 0, rows * pos);
        float[] wide = sc.wide(rows * nw);
        for (int r = 0; r < rows; r++) {
            for (int oy = 0; oy < oh; oy++) {
                int d = r * nw + oy * wp;
                // the spill lands on the junk columns (zeroed next) and the next row (written later)
                VectorKernels.copyRunSpill(raw, r * pos + oy * ow, wide, d, ow);
                if (oy < oh - 1) for (int z = ow; z < wp; z++) wide[d + z] = 0f;
            }
        }
        return wide;
    }

    /**
     * {@code out[b][o][p0 .. p0+cols) = Σ_t W[o][t] · col[t][p] + bias[o]} for one image (at {@code xOff})
     * and a band of output positions, or for {@code images} whole images side by side ({@link
     * #forwardImagesPerUnit}: then p0 is 0 and cols the plane); {@code bias} (a heap copy) may be null. The
     * bias is one more step of k — a column of A, a row of ones in B — so the output is written once, never
     * filled first. Several images make one product whose columns run on from one image's positions into the
     * next: a 7x7 plane alone is 49 columns, three whole tiles of 16 and an edge tile computed whole for one
     * column (at 512 bits a 48-column tile and a 16-column one), eight planes are 392, and A is packed
     * once for the eight. That product's tiles go to a scratch block of C, copied to each image's planes after.
     * Each output is the same sum over the same blocks of k in the same order either way: the same bits.
     * Packing B from the image is 1.2-1.5 ms of conv2's ~7.3 ms forward at batch 64 on one thread (JMH,
     * with the packing skipped for a measurement). Tried and dropped: reading B in place over wide
     * positions (a tap's window is contiguous there) — the micro-kernel's unaligned loads from the
     * image, the 8 % of junk columns and moving each tile's runs to the output made the forward 7.9 ms.
     */
    static void forward(
            Shape sh,
            MemorySegment x,
            long xOff,
            MemorySegment weight,
            float[] bias,
            MemorySegment out,
            long outOff,
            int p0,
            int cols,
            int images) {
        Conv.Geometry g = sh.g();
        Scratch sc = SCRATCH.get();
        int m = g.outC(),
                patch = g.patch(),
                k = patch + (bias != null ? 1 : 0),
                pos = g.positions(),
                blocks = (k + KC - 1) / KC,
                image = g.inC() * sh.plane();
        float[] img;
        if (images == 1) {
            img = padded(sh, x, xOff, 0, g.inC(), sc);
        } else {
            img = sc.images(images * image);
            for (int i = 0; i < images; i++)
                paddedInto(sh, x, xOff + (long) i * g.inC() * g.h() * g.w(), 0, g.inC(), img, i * image, sc);
        }
        // the product's columns and where its tiles go: the output itself, or the scratch block of C
        int n = images == 1 ? cols : images * pos, ldc = images == 1 ? pos : n;
        MemorySegment c = images == 1 ? out : sc.columns((long) m * n);
        long cOff = images == 1 ? outOff : 0;
        for (int blk = 0; blk < blocks; blk++) {
            int pc = k * blk / blocks, kc = k * (blk + 1) / blocks - pc, mb = rowBlock(m, kc);
            int taps = Math.min(kc, patch - pc);
            for (int ic = 0; ic < m; ic += mb) {
                int mc = Math.min(mb, m - ic);
                for (int r = 0; r < roundUp(mc); r++) {
                    int dst = r * kc;
                    if (r < mc) {
                        MemorySegment.copy(weight, F, ((long) (ic + r) * patch + pc) * Float.BYTES, sc.ap, dst, taps);
                        if (taps < kc) sc.ap[dst + taps] = bias[ic + r];
                    } else {
                        Arrays.fill(sc.ap, dst, dst + kc, 0f);
                    }
                }
                for (int jr = 0; jr < n; jr += NR) {
                    int nr = Math.min(NR, n - jr);
                    packColumns(sh, img, image, pc, taps, (images == 1 ? p0 : 0) + jr, nr, sc);
                    if (taps < kc) {
                        Arrays.fill(sc.bp, taps * NR, taps * NR + nr, 1f);
                        Arrays.fill(sc.bp, taps * NR + nr, taps * NR + NR, 0f);
                    }
                    for (int ir = 0, mr; ir < mc; ir += mr) {
                        mr = PackedGemm.tileRows(mc - ir);
                        PackedGemm.tile(
                                kc,
                                sc.ap,
                                ir * kc,
                                sc.bp,
                                0,
                                mr,
                                nr,
                                c,
                                cOff + (long) (ic + ir) * ldc + jr,
                                ldc,
                                1f,
                                blk == 0,
                                sc.tile);
                    }
                }
            }
        }
        if (images > 1)
            for (int i = 0; i < images; i++)
                for (int o = 0; o < m; o++)
                    MemorySegment.copy(
                            c,
                            ((long) o * n + (long) i * pos) * Float.BYTES,
                            out,
                            (outOff + ((long) i * m + o) * pos) * Float.BYTES,
                            (long) pos * Float.BYTES);
    }

    /** Output positions a forward product should hold at the least: past this an edge tile is a small share. */
    private static final int FORWARD_COLUMNS = 384;

    /**
     * Whole images a forward work unit takes ({@link #forward}): enough that their planes make {@value
     * #FORWARD_COLUMNS} columns, but no fewer than {@link WorkSplit#MIN_UNITS} units for the batch (so
     * batches under 16 keep one image, or a band of one, a unit). A function of the geometry only.
     */
    static int forwardImagesPerUnit(Conv.Geometry g) {
        if (!Config.IMPLICIT_IMAGE_GROUPS) return 1;
        int want = (FORWARD_COLUMNS + g.positions() - 1) / g.positions();
        return Math.max(1, Math.min(want, g.batch() / WorkSplit.MIN_UNITS));
    }

    /**
     * One B panel of the forward product, {@code bp[p·NR + j] = col[pc + p][q0 + j]}, gathered from the
     * images ({@code image} floats apart in {@code img}; column q is position q mod the plane of image q / the
     * plane): the panel's columns fall into runs along output rows, the same runs for every tap.
     */
    private static void packColumns(Shape sh, float[] img, int image, int pc, int kc, int q0, int nr, Scratch sc) {
        int ow = sh.ow(), wp = sh.wp(), pos = sh.oh() * ow, runs = 0;
        for (int q = q0; q < q0 + nr; ) {
            int i = q / pos, p = q - i * pos, oy = p / ow, ox = p - oy * ow;
            int run = Math.min(ow - ox, q0 + nr - q);
            sc.runSrc[runs] = i * image + oy * wp + ox;
            sc.runDst[runs] = q - q0;
            sc.runLen[runs++] = run;
            q += run;
        }
        int[] tapOff = sh.tapOff();
        float[] bp = sc.bp;
        for (int p = 0; p < kc; p++) {
            int base = tapOff[pc + p], dst = p * NR;
            // each run's spill lands where the next run, the next row or the zero fill below writes
            for (int r = 0; r < runs; r++)
                VectorKernels.copyRunSpill(img, base + sc.runSrc[r], bp, dst + sc.runDst[r], sc.runLen[r]);
            if (nr < NR) Arrays.fill(bp, dst + nr, dst + NR, 0f);
        }
    }

    /**
     * Wᵀ with its rows in (tap, channel) order, {@code wt[(t·C + c)·O + o] = W[o][c][t]}, made once per
     * backward call by the calling thread (the work units only read it) and kept for the next call.
     */
    static float[] transposedWeight(Conv.Geometry g, MemorySegment weight) {
        int patch = g.patch(), taps = g.kh() * g.kw(), inC = g.inC(), k = g.outC();
        float[] wt = TRANSPOSED.get(patch * k);
        float[] row = SCRATCH.get().grad(patch);
        for (int o = 0; o < k; o++) {
            MemorySegment.copy(weight, F, (long) o * patch * Float.BYTES, row, 0, patch);
            for (int c = 0; c < inC; c++) for (int t = 0; t < taps; t++) wt[(t * inC + c) * k + o] = row[c * taps + t];
        }
        return wt;
    }

    /**
     * Planes [c0, c1) of image b's input gradient (overwritten). For each tap t, {@code dx[c] at t's
     * offset += (Wᵀ)[t, c] · dy} over wide positions: with the rows of a micro-tile being six channels of
     * one tap, the tile's rows land one plane apart, so the micro-kernel adds them into the gradient
     * image itself (C with a row stride of one plane) — no column matrix, no scatter pass. Without
     * padding that image is dx; with padding a padded copy that is cropped into dx.
     * {@code wt} from {@link #transposedWeight}.
     */
    static void backwardInput(
            Shape sh, MemorySegment dy, long dyOff, float[] wt, MemorySegment dx, long dxOff, int c0, int c1) {
        Conv.Geometry g = sh.g();
        Scratch sc = SCRATCH.get();
        int taps = g.kh() * g.kw(),
                ch = c1 - c0,
                k = g.outC(),
                n = sh.nw(),
                blocks = (k + KC - 1) / KC,
                plane = sh.plane();
        int h = g.h(), w = g.w(), hw = h * w, wp = sh.wp();
        float[] wide = widened(sh, dy, dyOff, k, sc);
        boolean direct = g.padH() == 0 && g.padW() == 0 && !sh.strided();
        MemorySegment target = direct ? dx : sc.paddedGrad((long) ch * plane);
        long base = direct ? dxOff + (long) c0 * hw : 0;
        Elementwise.fill(target, base, (long) ch * plane, 0f);
        int[] tapOff = sh.tapOff();
        for (int blk = 0; blk < blocks; blk++) {
            int pc = k * blk / blocks, kc = k * (blk + 1) / blocks - pc;
            float[] ap = sc.ap((taps * ch + MR) * kc);
            for (int t = 0; t < taps; t++) {
                for (int c = 0; c < ch; c++)
                    System.arraycopy(wt, (t * g.inC() + c0 + c) * k + pc, ap, (t * ch + c) * kc, kc);
            }
            Arrays.fill(ap, taps * ch * kc, (taps * ch + MR) * kc, 0f);
            for (int jr = 0; jr < n; jr += NR) {
                int nr = Math.min(NR, n - jr);
                for (int p = 0; p < kc; p++) {
                    VectorKernels.copyRun(wide, (pc + p) * n + jr, sc.bp, p * NR, nr);
                    if (nr < NR) Arrays.fill(sc.bp, p * NR + nr, p * NR + NR, 0f);
                }
                for (int t = 0; t < taps; t++) {
                    for (int ir = 0, mr; ir < ch; ir += mr) {
                        mr = PackedGemm.tileRows(ch - ir);
                        PackedGemm.tile(
                                kc,
                                ap,
                                (t * ch + ir) * kc,
                                sc.bp,
                                0,
                                mr,
                                nr,
                                target,
                                base + (long) ir * plane + tapOff[t] + jr,
                                plane,
                                1f,
                                false,
                                sc.tile);
                    }
                }
            }
        }
        if (sh.strided()) {
            unphase(sh, target, ch, dx, dxOff + (long) c0 * hw, sc);
        } else if (!direct) {
            for (int c = 0; c < ch; c++) {
                for (int y = 0; y < h; y++) {
                    MemorySegment.copy(
                            target,
                            ((long) c * plane + (long) (y + g.padH()) * wp + g.padW()) * Float.BYTES,
                            dx,
                            (dxOff + (long) (c0 + c) * hw + (long) y * w) * Float.BYTES,
                            (long) w * Float.BYTES);
                }
            }
        }
    }

    /** Where input row y of channel c starts in the phase image: its phase of rows, at column 0 of phase column 0. */
    private static int phaseRow(Shape sh, int c, int y) {
        Conv.Geometry g = sh.g();
        int py = y + g.padH();
        return c * sh.plane() + (py % g.strideH()) * g.strideW() * sh.hq() * sh.wp() + py / g.strideH() * sh.wp();
    }

    /** Offset in a phase row of input column x0 (x0 < stride; columns x0 + k·stride follow it). */
    private static int phaseColumn(Shape sh, int x0) {
        Conv.Geometry g = sh.g();
        int px = x0 + g.padW();
        return (px % g.strideW()) * sh.hq() * sh.wp() + px / g.strideW();
    }

    /**
     * The inverse of {@link #padded}'s phase split for {@code ch} channels: the gradient of the phase image
     * in {@code target} (at 0), cropped of its padding, into {@code dx} planes from {@code dxOff}.
     */
    private static void unphase(Shape sh, MemorySegment target, int ch, MemorySegment dx, long dxOff, Scratch sc) {
        Conv.Geometry g = sh.g();
        int h = g.h(), w = g.w(), hw = h * w, wp = sh.wp(), plane = sh.plane(), s = g.strideW();
        float[] phases = sc.grad(ch * plane), out = sc.wide(ch * hw);
        MemorySegment.copy(target, F, 0, phases, 0, ch * plane);
        for (int c = 0; c < ch; c++) {
            for (int y = 0; y < h; y++) {
                int row = phaseRow(sh, c, y), dst = c * hw + y * w;
                if (s == 2) {
                    VectorConv.interleave(
                            phases, row + phaseColumn(sh, 0), phases, row + phaseColumn(sh, 1), w, out, dst);
                    continue;
                }
                for (int x0 = 0; x0 < s; x0++) {
                    int d = row + phaseColumn(sh, x0);
                    for (int xx = x0, k = 0; xx < w; xx += s, k++) out[dst + xx] = phases[d + k];
                }
            }
        }
        MemorySegment.copy(out, 0, dx, F, dxOff * Float.BYTES, ch * hw);
    }

    /**
     * {@code acc[o][t] (+)= Σ_b Σ_q dy_b[o][q] · col_b[t][q]} for images [b0, b1), output channels
     * [o0, o1) and the taps of input channels [c0, c1); the first image overwrites. {@code acc} is at the
     * unit's first element, rows {@code patch} apart.
     */
    static void backwardWeight(
            Shape sh,
            MemorySegment x,
            MemorySegment dy,
            int b0,
            int b1,
            int c0,
            int c1,
            int o0,
            int o1,
            MemorySegment acc,
            long accOff) {
        Conv.Geometry g = sh.g();
        if (VectorGemm.TRANSPOSE16 && MR == 6 && g.kw() == 3 && g.dilW() == 1 && !sh.strided()) {
            backwardWeightShifted(sh, x, dy, b0, b1, c0, c1, o0, o1, acc, accOff);
            return;
        }
        Scratch sc = SCRATCH.get();
        int kk = g.kh() * g.kw(), m = o1 - o0, nTaps = (c1 - c0) * kk, k = sh.nw(), blocks = (k + KC - 1) / KC;
        int[] tapOff = sh.tapOff();
        int ldc = g.patch(), pos = g.positions();
        for (int b = b0; b < b1; b++) {
            float[] img = padded(sh, x, (long) b * g.inC() * g.h() * g.w(), c0, c1, sc);
            float[] wide = widened(sh, dy, ((long) b * g.outC() + o0) * pos, m, sc);
            for (int blk = 0; blk < blocks; blk++) {
                int pc = k * blk / blocks, kc = k * (blk + 1) / blocks - pc, mb = rowBlock(m, kc);
                for (int ic = 0; ic < m; ic += mb) {
                    int mc = Math.min(mb, m - ic);
                    for (int r = 0; r < roundUp(mc); r++) {
                        int dst = (r / MR) * kc * MR + (r % MR) * kc;
                        if (r < mc) System.arraycopy(wide, (ic + r) * k + pc, sc.ap, dst, kc);
                        else Arrays.fill(sc.ap, dst, dst + kc, 0f);
                    }
                    for (int jr = 0; jr < nTaps; jr += NR) {
                        int nr = Math.min(NR, nTaps - jr);
                        for (int j = 0; j < nr; j++) sc.rowOff[j] = tapOff[jr + j] + pc;
                        if (VectorGemm.TRANSPOSE_REGISTERS) {
                            VectorGemm.packTransposedRows(img, sc.rowOff, nr, kc, sc.bp, 0);
                        } else {
                            // narrower vectors (or the scalar pack asked for): one element at a time
                            for (int p = 0; p < kc; p++) {
                                for (int j = 0; j < NR; j++) sc.bp[p * NR + j] = j < nr ? img[sc.rowOff[j] + p] : 0f;
                            }
                        }
                        for (int ir = 0, mr; ir < mc; ir += mr) {
                            mr = PackedGemm.tileRows(mc - ir);
                            PackedGemm.tile(
                                    kc,
                                    sc.ap,
                                    ir * kc,
                                    sc.bp,
                                    0,
                                    mr,
                                    nr,
                                    acc,
                                    accOff + (long) (ic + ir) * ldc + jr,
                                    ldc,
                                    1f,
                                    b == b0 && blk == 0,
                                    sc.tile);
                        }
                    }
                }
            }
        }
    }

    /**
     * {@link #backwardWeight} for kernels three wide with no horizontal dilation (3x3 convolutions). The
     * taps (c, i, j = 0, 1, 2) read one image row at wide positions q, q+1, q+2, so with the taps of 16
     * (c, i) pairs transposed once into rows of 16 floats, {@code T[q][u] = img[row(u) + q]}, the B row of
     * position q for the 48 taps (j, u) is T's rows q, q+1, q+2: 48 contiguous floats, read in place by
     * {@link VectorGemm#kernelShifted}. A third of the transposing of the general path, which was 1.6-2.1
     * ms of conv2's 23.6-23.9 ms forward+backward at batch 64 on one thread (JMH). The tile's columns are
     * in (j, u) order, so the unit sums into its own zeroed scratch (rows rounded up to whole tiles) and
     * writes {@code acc} in tap order at the end.
     */
    private static void backwardWeightShifted(
            Shape sh,
            MemorySegment x,
            MemorySegment dy,
            int b0,
            int b1,
            int c0,
            int c1,
            int o0,
            int o1,
            MemorySegment acc,
            long accOff) {
        Conv.Geometry g = sh.g();
        Scratch sc = SCRATCH.get();
        int kh = g.kh(), m = o1 - o0, mRows = roundUp(m), pairs = (c1 - c0) * kh, panels = (pairs + 15) / 16;
        int k = sh.nw(), blocks = (k + KC - 1) / KC, pos = g.positions(), ldc = g.patch(), ldw = panels * NR;
        MemorySegment sums = sc.sums((long) mRows * ldw);
        Elementwise.fill(sums, 0, (long) mRows * ldw, 0f);
        for (int b = b0; b < b1; b++) {
            float[] img = padded(sh, x, (long) b * g.inC() * g.h() * g.w(), c0, c1, sc);
            float[] wide = widened(sh, dy, ((long) b * g.outC() + o0) * pos, m, sc);
            for (int blk = 0; blk < blocks; blk++) {
                int pc = k * blk / blocks, kc = k * (blk + 1) / blocks - pc;
                float[] ap = sc.ap(mRows * kc);
                for (int r = 0; r < m; r++) System.arraycopy(wide, r * k + pc, ap, r * kc, kc);
                Arrays.fill(ap, m * kc, mRows * kc, 0f);
                for (int panel = 0; panel < panels; panel++) {
                    int rows = Math.min(16, pairs - panel * 16);
                    for (int u = 0; u < rows; u++) {
                        int pair = panel * 16 + u;
                        sc.rowOff[u] = (pair / kh) * sh.plane() + (pair % kh) * g.dilH() * sh.wp() + pc;
                    }
                    // kc + 2 rows: position q's B row reads T's rows q, q+1, q+2 (the slack holds the last two)
                    VectorGemm.transposeRows16(img, sc.rowOff, rows, kc + 2, sc.bp, 0);
                    for (int ir = 0; ir < mRows; ir += MR) {
                        VectorGemm.kernelShifted(kc, ap, ir * kc, sc.bp, 0, sums, (long) ir * ldw + panel * NR, ldw);
                    }
                }
            }
        }
        // to tap order, through the heap (element-wise segment accesses here were ~100 µs a call at batch 5)
        float[] all = sc.ap(mRows * ldw), row = sc.grad(pairs * 3);
        MemorySegment.copy(sums, F, 0, all, 0, m * ldw);
        for (int o = 0; o < m; o++) {
            for (int pair = 0; pair < pairs; pair++) {
                int from = o * ldw + (pair / 16) * NR + pair % 16;
                for (int j = 0; j < 3; j++) row[pair * 3 + j] = all[from + j * 16];
            }
            MemorySegment.copy(row, 0, acc, F, (accOff + (long) o * ldc) * Float.BYTES, pairs * 3);
        }
    }

    private static int roundUp(int rows) {
        return (rows + MR - 1) / MR * MR;
    }
}
