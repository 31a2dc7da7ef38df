package vectorgrad.kernels;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * 2-D convolution on NCHW float32 memory (PyTorch's {@code conv2d}: cross-correlation, weight
 * {@code [O, C, kh, kw]}), with stride, zero padding and dilation, and its two backward passes.
 *
 * <p>Method: one-channel 3x3 convolutions (an image model's first layer) directly ({@link DirectConv3x3});
 * 3x3, stride-1, undilated ones with 512-bit vectors, input channels in 32s and output channels in 64s
 * (16s for some passes) by Winograd's F(2x2, 3x3) or F(4x4, 3x3) ({@link WinogradConv}: 16 multiplications for
 * every 36, or 36 for every 144;
 * off with {@code -Dvectorgrad.conv.noWinograd=true}, for comparisons); for stride 1 and patches of 32
 * taps or more, with 512-bit vectors, channels in vector lanes read straight from the image
 * ({@link LanesConv}: forward and weight gradient for output channels in blocks of 64, input gradient for
 * input channels in blocks of 32); other such convolutions an implicit GEMM that packs the image straight
 * into the micro-kernel's panels ({@link ImplicitGemmConv}); otherwise im2col + sgemm, image by image. For image b, the column matrix {@code col[C·kh·kw, OH·OW]}
 * holds the input patch under every output position; then {@code out_b = W[O, C·kh·kw] · col} (+ bias),
 * {@code dcol = Wᵀ · g_b} scattered back by col2im gives the input gradient, and
 * {@code dW += g_b · colᵀ} the weight gradient. Images run in parallel on the kernel pool (each with its own
 * column buffer); the weight gradient is summed over images in a fixed order, so results do not depend on
 * the thread count.
 */
public final class Conv {
    private Conv() {}

    private static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT;

    /**
     * Geometry of one convolution; validates everything once. {@code inC} and {@code outC} count all
     * channels; with {@code groups} > 1 (PyTorch's {@code groups}) input channel group i, of inC/groups
     * channels, is convolved with output channels [i·outC/groups, (i+1)·outC/groups) only, and the weight
     * is {@code [outC, inC/groups, kh, kw]}.
     */
    public record Geometry(
            int batch,
            int inC,
            int h,
            int w,
            int outC,
            int kh,
            int kw,
            int strideH,
            int strideW,
            int padH,
            int padW,
            int dilH,
            int dilW,
            int groups) {
        /** One group: an ordinary convolution. */
        public Geometry(
                int batch,
                int inC,
                int h,
                int w,
                int outC,
                int kh,
                int kw,
                int strideH,
                int strideW,
                int padH,
                int padW,
                int dilH,
                int dilW) {
            this(batch, inC, h, w, outC, kh, kw, strideH, strideW, padH, padW, dilH, dilW, 1);
        }

        public Geometry {
            if (batch < 0 || inC <= 0 || h <= 0 || w <= 0 || outC <= 0 || kh <= 0 || kw <= 0) {
                throw new IllegalArgumentException("conv2d: sizes must be positive: input [" + batch + ", " + inC + ", "
                        + h + ", " + w
                        + "], weight [" + outC + ", " + (groups > 0 ? inC / groups : inC) + ", " + kh + ", " + kw + "]"
                        + (groups != 1 ? ", groups " + groups : ""));
            }
            if (strideH <= 0 || strideW <= 0)
                throw new IllegalArgumentException("conv2d: non-positive stride (" + strideH + ", " + strideW + ")");
            if (padH < 0 || padW < 0)
                throw new IllegalArgumentException("conv2d: negative padding (" + padH + ", " + padW + ")");
            if (dilH <= 0 || dilW <= 0)
                throw new IllegalArgumentException("conv2d: non-positive dilation (" + dilH + ", " + dilW + ")");
            if (groups <= 0) throw new IllegalArgumentException("conv2d: non-positive groups (" + groups + ")");
            if (inC % groups != 0 || outC % groups != 0) {
                throw new IllegalArgumentException("conv2d: in_channels (" + inC + ") and out_channels (" + outC
                        + ") must both be divisible by groups (" + groups + ")");
            }
            int effH = dilH * (kh - 1) + 1, effW = dilW * (kw - 1) + 1;
            if (effH > h + 2 * padH || effW > w + 2 * padW) {
                throw new IllegalArgumentException("conv2d: kernel size (" + effH + " x " + effW
                        + " with dilation) can't be greater than the padded input size (" + (h + 2 * padH) + " x "
                        + (w + 2 * padW) + ")");
            }
        }

        public int outH() {
            return (h + 2 * padH - dilH * (kh - 1) - 1) / strideH + 1;
        }

        public int outW() {
            return (w + 2 * padW - dilW * (kw - 1) - 1) / strideW + 1;
        }

        /** Taps per output value: one group's input channels times the kernel window. */
        int patch() {
            return inC / groups * kh * kw;
        }

        /** The convolution of one group alone: channels divided by the groups. */
        Geometry group() {
            return new Geometry(
                    batch, inC / groups, h, w, outC / groups, kh, kw, strideH, strideW, padH, padW, dilH, dilW, 1);
        }

        int positions() {
            return outH() * outW();
        }

        long inputSize() {
            return (long) batch * inC * h * w;
        }

        long outputSize() {
            return (long) batch * outC * positions();
        }

        long weightSize() {
            return (long) outC * patch();
        }
    }

    /** dy masked by a ReLU's output, for the backwards of a fused convolution and ReLU that need it whole. */
    private static final ThreadScratch.NativeFloats MASKED = new ThreadScratch.NativeFloats();
    /** The weight gradient's per-chunk partial sums (chunks after the first). */
    private static final ThreadScratch.NativeFloats PARTIALS = new ThreadScratch.NativeFloats();
    /** Per-chunk bias sums of the direct kernel's weight gradient. */
    private static final ThreadScratch.Floats BIAS_PARTS = new ThreadScratch.Floats();

    /** {@code out = conv2d(x, weight) + bias}; {@code bias} may be null. */
    public static void forward(
            Geometry g, MemorySegment x, MemorySegment weight, MemorySegment bias, MemorySegment out) {
        forward(g, x, weight, bias, out, false);
    }

    /**
     * {@code out = conv2d(x, weight) + bias}, then {@code relu} in place when asked: each work unit's output
     * rows right after the unit wrote them, while they are in cache, instead of a pass of its own over the
     * whole output. The same bits as {@link #forward} followed by {@link Elementwise#unary} RELU.
     */
    public static void forward(
            Geometry g, MemorySegment x, MemorySegment weight, MemorySegment bias, MemorySegment out, boolean relu) {
        Check.floats(x, 0, g.inputSize(), "conv2d input");
        Check.floats(weight, 0, g.weightSize(), "conv2d weight");
        if (bias != null) Check.floats(bias, 0, g.outC(), "conv2d bias");
        Check.floats(out, 0, g.outputSize(), "conv2d output");
        ConvPlan.Algorithm alg = ConvPlan.forward(g);
        if (alg == ConvPlan.Algorithm.GROUPED) {
            GroupedConv.forward(g, x, weight, bias, out);
            if (relu) Elementwise.unary(Elementwise.Unary.RELU, out, 0, out, 0, g.outputSize());
            return;
        }
        if (alg == ConvPlan.Algorithm.WINOGRAD || alg == ConvPlan.Algorithm.DIRECT_3X3) {
            boolean winograd = alg == ConvPlan.Algorithm.WINOGRAD;
            ColdStart.Kernel kernel =
                    winograd ? ColdStart.Kernel.CONV_WINOGRAD_FORWARD : ColdStart.Kernel.CONV_DIRECT_FORWARD;
            if (ColdStart.cold(kernel, 2L * g.batch() * g.outC() * g.patch() * g.positions())) {
                if (winograd) ColdKernels.winogradForward(g, x, weight, bias, out);
                else ColdKernels.direct3x3Forward(g, x, weight, bias, out);
                ColdStart.served(kernel, g);
                if (relu) Elementwise.unary(Elementwise.Unary.RELU, out, 0, out, 0, g.outputSize());
                return;
            }
        }
        int pos = g.positions(), ow = g.outW();
        // work units: (image, band of output rows); see WorkSplit.partsPerImage
        int parts = WorkSplit.partsPerImage(g.batch(), g.outH());
        float[] winograd = alg == ConvPlan.Algorithm.WINOGRAD ? WinogradConv.weights(g, weight) : null;
        // Winograd's bands at whole tiles (a band's first tile would otherwise be computed by two units)
        int tile = winograd != null ? ConvPlan.winogradTile(g.outH(), g.outW()) : 1;
        // the lanes kernels read the implicit GEMM's shape too
        ImplicitGemmConv.Shape implicit = alg == ConvPlan.Algorithm.LANES || alg == ConvPlan.Algorithm.IMPLICIT_GEMM
                ? ImplicitGemmConv.shape(g)
                : null;
        float[] lanes = alg == ConvPlan.Algorithm.LANES ? LanesConv.packedWeight(g, weight) : null;
        float[] direct = alg == ConvPlan.Algorithm.DIRECT_3X3 ? heapCopy(weight, g.weightSize()) : null;
        // a heap copy of the bias for the kernels that read it from the heap (all but im2col + sgemm)
        float[] biasCopy = (direct != null || implicit != null || winograd != null) && bias != null
                ? heapCopy(bias, g.outC())
                : null;
        // Winograd's and the implicit GEMM's units may hold a few whole images (WinogradConv.imagesPerUnit,
        // ImplicitGemmConv.forwardImagesPerUnit; then parts is 1)
        int group = winograd != null
                ? WinogradConv.forwardImagesPerUnit(g)
                : alg == ConvPlan.Algorithm.IMPLICIT_GEMM ? ImplicitGemmConv.forwardImagesPerUnit(g) : 1;
        // the direct kernel applies the ReLU as it stores (where vector compares are instructions)
        boolean fusedRelu = relu && direct != null && Simd.FULL_FLOAT_VECTORS;
        run(g, (g.batch() + group - 1) / group * parts, (from, to) -> {
            Im2col.Scratch sc = Im2col.scratch();
            for (int u = from; u < to; u++) {
                int b = u / parts * group, part = u % parts, images = Math.min(group, g.batch() - b);
                int oy0 = WorkSplit.alignedBound(g.outH(), part, parts, 0, tile),
                        oy1 = WorkSplit.alignedBound(g.outH(), part + 1, parts, 0, tile);
                if (oy0 == oy1) continue;
                int p0 = oy0 * ow, cols = (oy1 - oy0) * ow;
                long xo = (long) b * g.inC() * g.h() * g.w(), oo = (long) b * g.outC() * pos + p0;
                if (direct != null) {
                    DirectConv3x3.forward(
                            g, x, xo, direct, biasCopy, out, (long) b * g.outC() * pos, oy0, oy1, fusedRelu);
                } else if (winograd != null) {
                    WinogradConv.forward(
                            g, x, xo, winograd, biasCopy, out, (long) b * g.outC() * pos, oy0, oy1, images);
                } else if (lanes != null) {
                    LanesConv.forward(implicit, x, xo, lanes, biasCopy, out, (long) b * g.outC() * pos, oy0, oy1);
                } else if (implicit != null) {
                    ImplicitGemmConv.forward(implicit, x, xo, weight, biasCopy, out, oo, p0, cols, images);
                } else {
                    im2colForward(g, x, xo, weight, bias, out, oo, oy0, oy1, sc);
                }
                if (relu && !fusedRelu) {
                    // every image of the unit (Winograd's units may hold several)
                    for (int i = 0; i < images; i++)
                        for (int o = 0; o < g.outC(); o++)
                            Elementwise.reluInPlace(out, oo + ((long) i * g.outC() + o) * pos, cols);
                }
            }
        });
    }

    /** Output rows [oy0, oy1) of one image by im2col and sgemm ({@code oo}: the rows' first output). */
    private static void im2colForward(
            Geometry g,
            MemorySegment x,
            long xo,
            MemorySegment weight,
            MemorySegment bias,
            MemorySegment out,
            long oo,
            int oy0,
            int oy1,
            Im2col.Scratch sc) {
        int patch = g.patch(), pos = g.positions(), cols = (oy1 - oy0) * g.outW();
        if (bias != null) {
            for (int o = 0; o < g.outC(); o++) Elementwise.fill(out, oo + (long) o * pos, cols, bias.getAtIndex(F, o));
        }
        float[] colArr = sc.col((long) patch * cols);
        Im2col.im2col(g, x, xo, colArr, sc, 0, g.inC(), oy0, oy1);
        Gemm.sgemmHeapB(
                false,
                false,
                g.outC(),
                cols,
                patch,
                1f,
                weight,
                0,
                patch,
                colArr,
                0,
                cols,
                bias != null ? 1f : 0f,
                out,
                oo,
                pos);
    }

    private static float[] heapCopy(MemorySegment m, long n) {
        float[] a = new float[Math.toIntExact(n)];
        MemorySegment.copy(m, F, 0, a, 0, a.length);
        return a;
    }

    /**
     * Runs the work units on the pool, or on this thread when the whole pass is under 4 MFLOP: waking a
     * second thread costs tens of microseconds (measured: the first convolution's forward pass at batch 5,
     * 1 MFLOP, took 65 µs on two threads and 36 on one).
     */
    private static void run(Geometry g, int units, Parallel.RangeBody body) {
        long flops = 2L * g.batch() * g.outC() * g.patch() * g.positions();
        if (flops < (1L << 22)) body.run(0, units);
        else Parallel.forRange(units, 1, body);
    }

    /**
     * Both gradients, {@link #backwardInput} and {@link #backwardWeight} (dBias may be null), with the same
     * results; where both run the lanes or Winograd kernels with as many units of each (conv2 at batches up to 8; grouped 7x7 images at 16 and 24), their
     * work units share one trip to the pool, in pairs — at batch 5 on two threads a pass is ten units (of
     * ~40-50 µs each in a plain timing loop), and every trip ends with one thread waiting for the other.
     */
    public static void backward(
            Geometry g,
            MemorySegment x,
            MemorySegment dy,
            MemorySegment weight,
            MemorySegment dx,
            MemorySegment dWeight,
            MemorySegment dBias) {
        if (!ConvPlan.laneUnits(ConvPlan.inputGrad(g)) || !ConvPlan.laneUnits(ConvPlan.weightGrad(g))) {
            backwardInput(g, dy, weight, dx);
            backwardWeight(g, x, dy, dWeight, dBias);
            return;
        }
        Check.floats(x, 0, g.inputSize(), "conv2d input");
        Check.floats(dy, 0, g.outputSize(), "conv2d grad output");
        Check.floats(weight, 0, g.weightSize(), "conv2d weight");
        Check.floats(dx, 0, g.inputSize(), "conv2d grad input");
        Check.floats(dWeight, 0, g.weightSize(), "conv2d grad weight");
        if (dBias != null) Check.floats(dBias, 0, g.outC(), "conv2d grad bias");
        ConvUnits.InputGrad li = new ConvUnits.InputGrad(g, dy, weight, dx);
        ConvUnits.WeightGrad lw = new ConvUnits.WeightGrad(g, x, dy, dBias != null);
        if (li.units == lw.units) {
            // as many units of each, of about the same work (for conv2: an image, or a band of one): pairs of them
            run(g, 2 * li.units, (from, to) -> {
                for (int u = from; u < to; u++) {
                    if (u % 2 == 0) li.unit(u / 2);
                    else lw.unit(u / 2);
                }
            });
        } else {
            // units of different sizes (batch 64: 64 images for dx, 8 chunks of 8 for dW): one trip each,
            // as a shared trip cut into halves by count would give one thread all of dW and half of dx
            run(g, li.units, (from, to) -> {
                for (int u = from; u < to; u++) li.unit(u);
            });
            run(g, lw.units, (from, to) -> {
                for (int u = from; u < to; u++) lw.unit(u);
            });
        }
        lw.finish(dWeight, dBias);
    }

    /** {@code dx = conv2d's input gradient for upstream gradient dy}; {@code dx} is overwritten. */
    public static void backwardInput(Geometry g, MemorySegment dy, MemorySegment weight, MemorySegment dx) {
        Check.floats(dy, 0, g.outputSize(), "conv2d grad output");
        Check.floats(weight, 0, g.weightSize(), "conv2d weight");
        Check.floats(dx, 0, g.inputSize(), "conv2d grad input");
        ConvPlan.Algorithm alg = ConvPlan.inputGrad(g);
        if (alg == ConvPlan.Algorithm.GROUPED) {
            GroupedConv.backwardInput(g, dy, weight, dx);
            return;
        }
        int patch = g.patch(), pos = g.positions(), kk = g.kh() * g.kw();
        if (ConvPlan.laneUnits(alg)) {
            ConvUnits.InputGrad li = new ConvUnits.InputGrad(g, dy, weight, dx);
            run(g, li.units, (from, to) -> {
                for (int u = from; u < to; u++) li.unit(u);
            });
            return;
        }
        // work units: (image, group of input channels), whose rows of dcol and planes of dx are their own
        int parts = WorkSplit.partsPerImage(g.batch(), g.inC());
        ImplicitGemmConv.Shape implicit = alg == ConvPlan.Algorithm.IMPLICIT_GEMM ? ImplicitGemmConv.shape(g) : null;
        float[] wt = implicit != null ? ImplicitGemmConv.transposedWeight(g, weight) : null;
        run(g, g.batch() * parts, (from, to) -> {
            Im2col.Scratch sc = Im2col.scratch();
            for (int u = from; u < to; u++) {
                int b = u / parts, part = u % parts;
                int c0 = WorkSplit.bound(g.inC(), part, parts), c1 = WorkSplit.bound(g.inC(), part + 1, parts);
                if (wt != null) {
                    ImplicitGemmConv.backwardInput(
                            implicit,
                            dy,
                            (long) b * g.outC() * pos,
                            wt,
                            dx,
                            (long) b * g.inC() * g.h() * g.w(),
                            c0,
                            c1);
                    continue;
                }
                int rows = (c1 - c0) * kk;
                float[] colArr = sc.col((long) rows * pos);
                MemorySegment col = sc.colSeg;
                long xo = (long) b * g.inC() * g.h() * g.w(), oo = (long) b * g.outC() * pos;
                Gemm.sgemm(
                        true,
                        false,
                        rows,
                        pos,
                        g.outC(),
                        1f,
                        weight,
                        (long) c0 * kk,
                        patch,
                        dy,
                        oo,
                        pos,
                        0f,
                        col,
                        0,
                        pos);
                MemorySegment.copy(col, F, 0, colArr, 0, rows * pos);
                Im2col.col2im(g, colArr, dx, xo, sc, c0, c1);
            }
        });
    }

    /**
     * {@code dW = Σ_b dy_b · col_bᵀ} and {@code db = Σ dy} (dBias may be null). Both are overwritten.
     * Images are processed in parallel into per-chunk partial sums, then added in chunk order.
     */
    public static void backwardWeight(
            Geometry g, MemorySegment x, MemorySegment dy, MemorySegment dWeight, MemorySegment dBias) {
        backwardWeight(g, x, dy, null, dWeight, dBias);
    }

    /**
     * The gradients of {@code out = relu(conv2d(x, weight) + bias)} ({@link #forward} with relu) for
     * upstream gradient {@code dy}, given that output {@code reluOut}: the convolution's gradients at
     * {@code dy·(reluOut > 0)}. Any of dx, dWeight may be null (not wanted); dBias only with dWeight. When
     * only the weight gradient is wanted and its algorithm is the direct 3x3, that kernel masks dy as it
     * copies it; otherwise the masked dy goes through a buffer of the calling thread's, kept for the next
     * call (the size of dy).
     */
    public static void backwardRelu(
            Geometry g,
            MemorySegment x,
            MemorySegment dy,
            MemorySegment reluOut,
            MemorySegment weight,
            MemorySegment dx,
            MemorySegment dWeight,
            MemorySegment dBias) {
        Check.floats(reluOut, 0, g.outputSize(), "conv2d relu output");
        if (dWeight == null && dBias != null)
            throw new IllegalArgumentException("conv2d backward: a bias gradient needs the weight gradient");
        if (dx == null && dWeight != null && ConvPlan.weightGrad(g) == ConvPlan.Algorithm.DIRECT_3X3) {
            backwardWeight(g, x, dy, reluOut, dWeight, dBias);
            return;
        }
        Check.floats(dy, 0, g.outputSize(), "conv2d grad output");
        MemorySegment masked = MASKED.get(g.outputSize());
        int[] shape = {Math.toIntExact(g.outputSize())};
        long[] flat = {1};
        Elementwise.binary(Elementwise.Binary.RELU_BACKWARD, shape, dy, 0, flat, reluOut, 0, flat, masked, 0);
        if (dx != null && dWeight != null) backward(g, x, masked, weight, dx, dWeight, dBias);
        else if (dWeight != null) backwardWeight(g, x, masked, dWeight, dBias);
        else if (dx != null) backwardInput(g, masked, weight, dx);
    }

    /** {@link #backwardWeight}, with dy masked by {@code reluOut} when that is not null (direct 3x3 only). */
    private static void backwardWeight(
            Geometry g,
            MemorySegment x,
            MemorySegment dy,
            MemorySegment reluOut,
            MemorySegment dWeight,
            MemorySegment dBias) {
        Check.floats(x, 0, g.inputSize(), "conv2d input");
        Check.floats(dy, 0, g.outputSize(), "conv2d grad output");
        Check.floats(dWeight, 0, g.weightSize(), "conv2d grad weight");
        if (dBias != null) Check.floats(dBias, 0, g.outC(), "conv2d grad bias");
        ConvPlan.Algorithm alg = ConvPlan.weightGrad(g);
        if (alg == ConvPlan.Algorithm.GROUPED) {
            GroupedConv.backwardWeight(g, x, dy, dWeight, dBias);
            return;
        }
        int patch = g.patch(), pos = g.positions();
        long wsize = g.weightSize();
        // Fixed chunks (not one per thread) so the summation order is the same for any thread count.
        int chunks = WorkSplit.chunks(g.batch());
        if (ConvPlan.laneUnits(alg)) {
            ConvUnits.WeightGrad lw = new ConvUnits.WeightGrad(g, x, dy, dBias != null);
            run(g, lw.units, (from, to) -> {
                for (int u = from; u < to; u++) lw.unit(u);
            });
            lw.finish(dWeight, dBias);
            return;
        }
        MemorySegment partial = chunks > 1 ? PARTIALS.get((chunks - 1) * wsize) : null;
        // work units: (chunk of images, group of input channels — or of output channels when there is
        // one input channel); each unit owns its columns (rows) of the chunk's partial sum
        int kk = g.kh() * g.kw();
        boolean byInput = g.inC() > 1;
        int parts = WorkSplit.partsPerImage(chunks, byInput ? g.inC() : g.outC());
        ImplicitGemmConv.Shape implicit = alg == ConvPlan.Algorithm.IMPLICIT_GEMM ? ImplicitGemmConv.shape(g) : null;
        boolean direct = alg == ConvPlan.Algorithm.DIRECT_3X3;
        // the direct kernel sums the bias gradient as it goes: per chunk, added in chunk order below
        float[] biasParts = direct && dBias != null ? BIAS_PARTS.zeroed(chunks * g.outC()) : null;
        run(g, chunks * parts, (from, to) -> {
            Im2col.Scratch sc = Im2col.scratch();
            for (int u = from; u < to; u++) {
                int chunk = u / parts, part = u % parts, extent = byInput ? g.inC() : g.outC();
                int q0 = WorkSplit.bound(extent, part, parts), q1 = WorkSplit.bound(extent, part + 1, parts);
                int c0 = byInput ? q0 : 0,
                        c1 = byInput ? q1 : g.inC(),
                        o0 = byInput ? 0 : q0,
                        o1 = byInput ? g.outC() : q1;
                int rows = (c1 - c0) * kk;
                MemorySegment acc = chunk == 0 ? dWeight : partial;
                long accOff = (chunk == 0 ? 0 : (chunk - 1) * wsize) + (long) o0 * patch + (long) c0 * kk;
                int b0 = WorkSplit.bound(g.batch(), chunk, chunks), b1 = WorkSplit.bound(g.batch(), chunk + 1, chunks);
                if (direct) {
                    DirectConv3x3.backwardWeight(
                            g, x, dy, reluOut, b0, b1, o0, o1, acc, accOff, biasParts, chunk * g.outC() + o0);
                    continue;
                }
                if (implicit != null) {
                    ImplicitGemmConv.backwardWeight(implicit, x, dy, b0, b1, c0, c1, o0, o1, acc, accOff);
                    continue;
                }
                float[] colArr = sc.col((long) rows * pos);
                for (int b = b0; b < b1; b++) {
                    Im2col.im2col(g, x, (long) b * g.inC() * g.h() * g.w(), colArr, sc, c0, c1, 0, g.outH());
                    long dyOff = ((long) b * g.outC() + o0) * pos;
                    if (rows < ConvPlan.SMALL_PATCH && Simd.VECTOR_AVAILABLE) {
                        // a narrow product (the first layer: 9 columns): dot-product tiles, where the packed
                        // kernel would fill 48-wide panels with mostly padding
                        MemorySegment col = sc.colSeg;
                        MemorySegment.copy(colArr, 0, col, F, 0, rows * pos);
                        if (b == b0)
                            for (int o = 0; o < o1 - o0; o++)
                                Elementwise.fill(acc, accOff + (long) o * patch, rows, 0f);
                        DotGemm.multiply(o1 - o0, rows, pos, 1f, dy, dyOff, pos, col, 0, pos, acc, accOff, patch);
                    } else {
                        Gemm.sgemmHeapB(
                                false,
                                true,
                                o1 - o0,
                                rows,
                                pos,
                                1f,
                                dy,
                                dyOff,
                                pos,
                                colArr,
                                0,
                                pos,
                                b == b0 ? 0f : 1f,
                                acc,
                                accOff,
                                patch);
                    }
                }
            }
        });
        if (g.batch() == 0) Elementwise.fill(dWeight, 0, wsize, 0f);
        for (int chunk = 1; chunk < chunks; chunk++)
            Elementwise.axpy(wsize, 1f, partial, (chunk - 1) * wsize, dWeight, 0);
        if (biasParts != null) {
            for (int o = 0; o < g.outC(); o++) {
                float s = 0f;
                for (int chunk = 0; chunk < chunks; chunk++) s += biasParts[chunk * g.outC() + o];
                dBias.setAtIndex(F, o, s);
            }
        } else if (dBias != null) {
            // channels on the pool (a pass over all of dy: megabytes at batch 64), each
            // summed by one thread in a fixed order, so the bits do not depend on the thread count
            run(g, g.outC(), (from, to) -> {
                for (int o = from; o < to; o++) {
                    float s = 0f;
                    if (Simd.VECTOR_AVAILABLE) {
                        s = VectorKernels.sumRuns(dy, (long) o * pos, (long) g.outC() * pos, g.batch(), pos);
                    } else {
                        for (int b = 0; b < g.batch(); b++)
                            s += Elementwise.sumScalar(dy, ((long) b * g.outC() + o) * pos, 0, pos);
                    }
                    dBias.setAtIndex(F, o, s);
                }
            });
        }
    }
}
