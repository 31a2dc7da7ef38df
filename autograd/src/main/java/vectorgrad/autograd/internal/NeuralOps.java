package vectorgrad.autograd.internal;

import static vectorgrad.autograd.internal.TensorAccess.*;

import java.lang.foreign.MemorySegment;
import java.lang.ref.Reference;
import java.util.Arrays;
import java.util.concurrent.atomic.AtomicBoolean;
import vectorgrad.autograd.DType;
import vectorgrad.autograd.Generator;
import vectorgrad.autograd.Tensor;
import vectorgrad.kernels.Conv;
import vectorgrad.kernels.Elementwise;
import vectorgrad.kernels.Gemm;
import vectorgrad.kernels.MaxPool;
import vectorgrad.kernels.Softmax;

/**
 * The neural-network ops, each with its forward and backward side by side: linear, conv2d, max_pool2d,
 * softmax, log_softmax, cross_entropy, dropout, dropout2d. Shapes and names follow
 * {@code torch.nn.functional}; bad shapes are {@link IllegalArgumentException}s naming them.
 */
public final class NeuralOps {
    private NeuralOps() {}

    /** How cross-entropy reduces its per-item losses. */
    public enum Reduction {
        NONE,
        MEAN,
        SUM
    }

    // ------------------------------------------------------------------ linear

    /**
     * {@code y = x·Wᵀ + b} for {@code x [B, in]}, {@code W [out, in]}, {@code b [out]} (may be null)  |
     * dx = g·W, dW = gᵀ·x, db = Σ_B g. The transposes are read in place by sgemm.
     */
    public static Tensor linear(Tensor x, Tensor weight, Tensor bias) {
        requireFloat(x, "linear");
        int[] xs = x.shape(), ws = weight.shape();
        // [in] and [*, in] as PyTorch takes them: one row, or all leading dimensions as rows
        if (xs.length == 1 && ws.length == 2)
            return linear(x.unsqueeze(0), weight, bias).squeeze(0);
        if (xs.length > 2 && ws.length == 2) {
            int[] ys = xs.clone();
            ys[ys.length - 1] = ws[0];
            Tensor rows = x.reshape(-1, xs[xs.length - 1]);
            return xs[xs.length - 1] == ws[1] ? linear(rows, weight, bias).reshape(ys) : linear(rows, weight, bias);
        }
        if (ws.length != 2 || xs.length != 2 || xs[1] != ws[1]) {
            throw new IllegalArgumentException("mat1 and mat2 shapes cannot be multiplied (" + Shapes.x(xs) + " and "
                    + Shapes.x(new int[] {ws.length == 2 ? ws[1] : -1, ws[0]}) + ")");
        }
        if (bias != null && !Arrays.equals(bias.shape(), new int[] {ws[0]})) {
            throw new IllegalArgumentException(
                    "linear: bias of shape " + Shapes.str(bias.shape()) + " for weight " + Shapes.str(ws));
        }
        int batch = xs[0], in = xs[1], out = ws[0];
        Tensor y = empty(new int[] {batch, out});
        MlpOp.rowsTimesWeight(x, batch, in, weight, bias, y, out, null);
        fence(x, weight, bias);
        BackwardFn fn = (g, need) -> {
            Tensor gx = null, gw = null, gb = null;
            if (need[0]) {
                gx = empty(xs);
                Gemm.sgemm(
                        false,
                        false,
                        batch,
                        in,
                        out,
                        1f,
                        segment(g),
                        0,
                        out,
                        segment(weight),
                        0,
                        in,
                        0f,
                        segment(gx),
                        0,
                        in);
            }
            if (need[1]) {
                gw = empty(ws);
                Gemm.sgemm(
                        true, false, out, in, batch, 1f, segment(g), 0, out, segment(x), 0, in, 0f, segment(gw), 0, in);
            }
            if (bias != null && need[2]) gb = g.sum(0, false);
            fence(g, x, weight);
            return new Tensor[] {gx, gw, gb};
        };
        return bias != null ? record(y, "linear", fn, x, weight, bias) : record(y, "linear", fn, x, weight);
    }

    // ------------------------------------------------------------------ conv2d

    /**
     * 2-D convolution of {@code x [B, C, H, W]} with {@code weight [O, C, kh, kw]} and optional
     * {@code bias [O]}, as {@code F.conv2d(x, w, b, stride, padding, dilation)}  |  dx by the transposed
     * convolution, dW = Σ_b g_b·col_bᵀ, db = Σ g.
     */
    public static Tensor conv2d(Tensor x, Tensor weight, Tensor bias, int[] stride, int[] padding, int[] dilation) {
        return conv2d(x, weight, bias, stride, padding, dilation, 1);
    }

    /**
     * Grouped convolution, as {@code F.conv2d(x, w, b, stride, padding, dilation, groups)}: the C input
     * channels and O output channels are split into {@code groups} equal groups, output group i sees input
     * group i only, and the weight is {@code [O, C/groups, kh, kw]}. Unbatched {@code [C, H, W]} input gives
     * {@code [O, H', W']}.
     */
    public static Tensor conv2d(
            Tensor x, Tensor weight, Tensor bias, int[] stride, int[] padding, int[] dilation, int groups) {
        return conv2d(x, weight, bias, stride, padding, dilation, groups, false);
    }

    /**
     * {@code relu(conv2d(...))} as one op when {@code relu}: the ReLU runs over each part of the output as
     * the convolution writes it, no pre-activation tensor is kept, and the backward masks g by the output
     * {@code y > 0} (see {@link Conv#backwardRelu})  |  the convolution's gradients at g·(y > 0). The same
     * values as the two ops.
     */
    public static Tensor conv2d(
            Tensor x,
            Tensor weight,
            Tensor bias,
            int[] stride,
            int[] padding,
            int[] dilation,
            int groups,
            boolean relu) {
        String name = relu ? "conv2d+relu" : "conv2d";
        requireFloat(x, name);
        int[] xs = x.shape(), ws = weight.shape();
        if (xs.length == 3) // unbatched [C, H, W], as PyTorch takes it
        return conv2d(x.unsqueeze(0), weight, bias, stride, padding, dilation, groups, relu)
                    .squeeze(0);
        if (xs.length != 4)
            throw new IllegalArgumentException(
                    "conv2d: expected 3-D [C, H, W] or 4-D [B, C, H, W] input, got " + Shapes.str(xs));
        if (ws.length != 4)
            throw new IllegalArgumentException("conv2d: expected 4-D weight [O, C, kh, kw], got " + Shapes.str(ws));
        if (groups <= 0)
            throw new IllegalArgumentException("conv2d: non-positive groups is not supported (groups=" + groups + ")");
        if ((long) ws[1] * groups != xs[1]) {
            throw new IllegalArgumentException("conv2d: " + (groups > 1 ? "given groups=" + groups + ", " : "")
                    + "weight of size " + Shapes.str(ws) + ", expected input " + Shapes.str(xs) + " to have "
                    + (long) ws[1] * groups + " channels, but got " + xs[1] + " channels instead");
        }
        if (ws[0] % groups != 0) {
            throw new IllegalArgumentException("conv2d: given groups=" + groups + ", expected weight " + Shapes.str(ws)
                    + " to be at least " + groups + " at dimension 0 and divisible by groups, but got " + ws[0]);
        }
        if (bias != null && !Arrays.equals(bias.shape(), new int[] {ws[0]})) {
            throw new IllegalArgumentException(
                    "conv2d: bias of shape " + Shapes.str(bias.shape()) + " for weight " + Shapes.str(ws));
        }
        Conv.Geometry geo = new Conv.Geometry(
                xs[0],
                xs[1],
                xs[2],
                xs[3],
                ws[0],
                ws[2],
                ws[3],
                stride[0],
                stride[1],
                padding[0],
                padding[1],
                dilation[0],
                dilation[1],
                groups);
        Tensor y = empty(new int[] {xs[0], ws[0], geo.outH(), geo.outW()});
        Conv.forward(geo, segment(x), segment(weight), bias == null ? null : segment(bias), segment(y), relu);
        fence(x, weight, bias);
        BackwardFn fn = (g, need) -> {
            Tensor gx = need[0] ? empty(xs) : null, gw = null, gb = null;
            boolean wantBias = bias != null && need[2];
            if (need[1] || wantBias) {
                gw = empty(ws);
                if (wantBias) gb = empty(new int[] {ws[0]});
            }
            MemorySegment sgx = gx != null ? segment(gx) : null, sgw = gw != null ? segment(gw) : null;
            MemorySegment sgb = gb != null ? segment(gb) : null;
            if (relu && (sgx != null || sgw != null)) {
                Conv.backwardRelu(geo, segment(x), segment(g), segment(y), segment(weight), sgx, sgw, sgb);
            } else if (gw != null) {
                // both passes in one call when both are needed (at small batches their work then shares a trip to
                // the pool)
                if (gx != null) Conv.backward(geo, segment(x), segment(g), segment(weight), sgx, sgw, sgb);
                else Conv.backwardWeight(geo, segment(x), segment(g), sgw, sgb);
            } else if (gx != null) {
                Conv.backwardInput(geo, segment(g), segment(weight), sgx);
            }
            if (gw != null && !need[1]) {
                gw.close();
                gw = null;
            }
            fence(g, x, weight);
            Reference.reachabilityFence(y);
            return new Tensor[] {gx, gw, gb};
        };
        return bias != null ? record(y, name, fn, x, weight, bias) : record(y, name, fn, x, weight);
    }

    /**
     * Transposed convolution, as {@code F.conv_transpose2d(x, w, b, stride, padding, output_padding, groups,
     * dilation)}: the adjoint of {@code conv2d} in its input, for {@code x [B, C_in, H, W]} (or
     * {@code [C_in, H, W]}) and {@code weight [C_in, C_out/groups, kh, kw]}, giving {@code H' = (H-1)·stride
     * - 2·padding + dilation·(kh-1) + output_padding + 1}  |  dx = conv2d(g, w) with the same geometry,
     * dw = conv2d's weight gradient with g as its input and x as its upstream gradient, db = Σ g per channel.
     */
    public static Tensor convTranspose2d(
            Tensor x,
            Tensor weight,
            Tensor bias,
            int[] stride,
            int[] padding,
            int[] outputPadding,
            int groups,
            int[] dilation) {
        requireFloat(x, "conv_transpose2d");
        int[] xs = x.shape(), ws = weight.shape();
        if (xs.length == 3)
            return convTranspose2d(x.unsqueeze(0), weight, bias, stride, padding, outputPadding, groups, dilation)
                    .squeeze(0);
        if (xs.length != 4)
            throw new IllegalArgumentException(
                    "conv_transpose2d: expected 3-D [C, H, W] or 4-D [B, C, H, W] input, got " + Shapes.str(xs));
        if (ws.length != 4)
            throw new IllegalArgumentException(
                    "conv_transpose2d: expected 4-D weight [C_in, C_out/groups, kh, kw], got " + Shapes.str(ws));
        if (groups <= 0)
            throw new IllegalArgumentException(
                    "conv_transpose2d: non-positive groups is not supported (groups=" + groups + ")");
        if (ws[0] != xs[1]) {
            throw new IllegalArgumentException(
                    "conv_transpose2d: weight of size " + Shapes.str(ws) + ", expected input " + Shapes.str(xs)
                            + " to have " + ws[0] + " channels, but got " + xs[1] + " channels instead");
        }
        if (ws[0] % groups != 0)
            throw new IllegalArgumentException(
                    "conv_transpose2d: in_channels (" + ws[0] + ") must be divisible by groups (" + groups + ")");
        int outC = ws[1] * groups;
        if (bias != null && !Arrays.equals(bias.shape(), new int[] {outC}))
            throw new IllegalArgumentException("conv_transpose2d: bias of shape " + Shapes.str(bias.shape()) + " for "
                    + outC + " output channels");
        for (int i = 0; i < 2; i++) {
            if (outputPadding[i] < 0 || outputPadding[i] >= Math.max(stride[i], dilation[i]))
                throw new IllegalArgumentException(
                        "conv_transpose2d: output padding must be smaller than either stride or dilation, got output_padding="
                                + Shapes.str(outputPadding) + ", stride=" + Shapes.str(stride) + ", dilation="
                                + Shapes.str(dilation));
            if (outputPadding[i] >= stride[i])
                throw new IllegalArgumentException(
                        "conv_transpose2d: output_padding " + outputPadding[i] + " at least the stride " + stride[i]
                                + " (allowed by PyTorch when below the dilation) is not supported");
        }
        int oh = (xs[2] - 1) * stride[0] - 2 * padding[0] + dilation[0] * (ws[2] - 1) + outputPadding[0] + 1;
        int ow = (xs[3] - 1) * stride[1] - 2 * padding[1] + dilation[1] * (ws[3] - 1) + outputPadding[1] + 1;
        if (oh <= 0 || ow <= 0)
            throw new IllegalArgumentException("conv_transpose2d: the output size (" + oh + " x " + ow + ") of input "
                    + Shapes.str(xs) + " is too small");
        // the convolution whose input gradient this is: input [B, C_out, oh, ow], output [B, C_in, H, W]
        Conv.Geometry geo = new Conv.Geometry(
                xs[0],
                outC,
                oh,
                ow,
                ws[0],
                ws[2],
                ws[3],
                stride[0],
                stride[1],
                padding[0],
                padding[1],
                dilation[0],
                dilation[1],
                groups);
        Tensor y = empty(new int[] {xs[0], outC, oh, ow});
        Conv.backwardInput(geo, segment(x), segment(weight), segment(y));
        fence(x, weight, bias);
        BackwardFn fn = (g, need) -> {
            Tensor gx = null, gw = null;
            if (need[0]) {
                gx = empty(xs);
                Conv.forward(geo, segment(g), segment(weight), null, segment(gx));
            }
            if (need[1]) {
                gw = empty(ws);
                Conv.backwardWeight(geo, segment(g), segment(x), segment(gw), null);
            }
            fence(g, x, weight);
            return new Tensor[] {gx, gw};
        };
        Tensor out = record(y, "conv_transpose2d", fn, x, weight);
        return bias == null ? out : out.add(bias.reshape(1, outC, 1, 1));
    }

    // ------------------------------------------------------------------ max_pool2d

    /**
     * Max pooling of {@code x [B, C, H, W]} (or {@code [C, H, W]}), as {@code F.max_pool2d}  |  the
     * gradient goes to each window's argmax.
     */
    public static Tensor maxPool2d(
            Tensor x, int[] kernel, int[] stride, int[] padding, int[] dilation, boolean ceilMode) {
        requireFloat(x, "max_pool2d");
        int[] xs = x.shape();
        if (xs.length != 3 && xs.length != 4)
            throw new IllegalArgumentException("max_pool2d: expected 3-D or 4-D input, got " + Shapes.str(xs));
        int h = xs[xs.length - 2], w = xs[xs.length - 1];
        int planes = (int) (x.numel() / ((long) h * w));
        MaxPool.Geometry geo = new MaxPool.Geometry(
                planes,
                h,
                w,
                kernel[0],
                kernel[1],
                stride[0],
                stride[1],
                padding[0],
                padding[1],
                dilation[0],
                dilation[1],
                ceilMode);
        int[] ys = xs.clone();
        ys[ys.length - 2] = geo.outH();
        ys[ys.length - 1] = geo.outW();
        Tensor y = empty(ys);
        // the argmax positions only for a backward: without a graph the maxima alone (read in place, faster)
        Tensor idx = records(x) ? empty(ys, DType.INT32) : null;
        MaxPool.maxForward(geo, segment(x), segment(y), idx != null ? segment(idx) : null);
        fence(x, null, null);
        return record(
                y,
                "max_pool2d",
                (g, need) -> {
                    Tensor gx = empty(xs);
                    MaxPool.maxBackward(geo, segment(g), segment(idx), segment(gx));
                    fence(g, idx, null);
                    return new Tensor[] {gx};
                },
                x);
    }

    // ------------------------------------------------------------------ softmax family

    private static int[] split(int[] s, int dim) {
        int outer = 1, inner = 1;
        for (int i = 0; i < dim; i++) outer *= s[i];
        for (int i = dim + 1; i < s.length; i++) inner *= s[i];
        return new int[] {outer, s.length == 0 ? 1 : s[dim], inner};
    }

    /** Softmax over {@code dim}  |  dx = y·(g - Σ g·y). */
    public static Tensor softmax(Tensor x, int dim) {
        return softmaxFamily(x, dim, false);
    }

    /** Log-softmax over {@code dim}  |  dx = g - softmax·Σ g. */
    public static Tensor logSoftmax(Tensor x, int dim) {
        return softmaxFamily(x, dim, true);
    }

    private static Tensor softmaxFamily(Tensor x, int dim, boolean log) {
        String name = log ? "log_softmax" : "softmax";
        requireFloat(x, name);
        int[] xs = x.shape();
        int d = Shapes.dim(dim, xs.length, name);
        int[] oni = split(xs, d);
        Tensor y = empty(xs);
        Softmax.forward(oni[0], oni[1], oni[2], segment(x), segment(y), log);
        fence(x, null, null);
        return record(
                y,
                name,
                (g, need) -> {
                    Tensor gx = empty(xs);
                    Softmax.backward(oni[0], oni[1], oni[2], segment(y), segment(g), segment(gx), log);
                    fence(g, y, null);
                    return new Tensor[] {gx};
                },
                x);
    }

    /**
     * Cross-entropy of logits {@code [B, classes]} against int32 class indices {@code [B]}, as
     * {@code F.cross_entropy(input, target, reduction=...)}  |  d/dlogits = g_b·(softmax - onehot).
     */
    public static Tensor crossEntropy(Tensor logits, Tensor target, Reduction reduction) {
        requireFloat(logits, "cross_entropy");
        int[] ls = logits.shape(), ts = target.shape();
        if (ls.length != 2)
            throw new IllegalArgumentException("cross_entropy: expected input [batch, classes], got " + Shapes.str(ls));
        if (target.dtype() != DType.INT32)
            throw new IllegalArgumentException(
                    "cross_entropy: expected int32 class indices as target, got " + target.dtype());
        if (ts.length != 1 || ts[0] != ls[0]) {
            throw new IllegalArgumentException("cross_entropy: expected target of shape [" + ls[0] + "] for input "
                    + Shapes.str(ls) + ", got " + Shapes.str(ts));
        }
        int batch = ls[0], classes = ls[1];
        // each row's log-sum-exp kept for the backward, which then makes the probabilities in one pass
        Tensor perItem = empty(new int[] {batch}), lse = empty(new int[] {batch});
        Softmax.crossEntropy(batch, classes, segment(logits), segment(target), segment(perItem), segment(lse));
        fence(logits, target, null);
        Tensor loss = record(
                perItem,
                "cross_entropy",
                (g, need) -> {
                    Tensor gx = empty(ls);
                    Softmax.crossEntropyBackward(
                            batch, classes, segment(logits), segment(target), segment(lse), segment(g), segment(gx));
                    fence(g, logits, target);
                    fence(lse, null, null);
                    return new Tensor[] {gx};
                },
                logits);
        return switch (reduction) {
            case NONE -> loss;
            case MEAN -> loss.mean();
            case SUM -> loss.sum();
        };
    }

    // ------------------------------------------------------------------ activations

    /** {@code F.gelu(x, approximate)}: {@code "none"} (exact, by erf) or {@code "tanh"}  |  g·gelu'(x). */
    public static Tensor gelu(Tensor x, String approximate) {
        boolean tanh = switch (approximate) {
            case "none" -> false;
            case "tanh" -> true;
            case null, default ->
                throw new IllegalArgumentException(
                        "gelu: approximate must be \"none\" or \"tanh\", got " + approximate);
        };
        return mapWithDerivative(
                x,
                tanh ? Elementwise.Unary.GELU_TANH : Elementwise.Unary.GELU,
                tanh ? Elementwise.Unary.GELU_TANH_GRAD : Elementwise.Unary.GELU_GRAD,
                "gelu");
    }

    /** {@code F.silu(x) = x·σ(x)}  |  g·σ(x)·(1 + x·(1 - σ(x))). */
    public static Tensor silu(Tensor x) {
        return mapWithDerivative(x, Elementwise.Unary.SILU, Elementwise.Unary.SILU_GRAD, "silu");
    }

    /** {@code F.leaky_relu(x, negative_slope)}: {@code x} where positive, {@code slope·x} elsewhere (also at 0, as PyTorch's gradient). */
    public static Tensor leakyRelu(Tensor x, double negativeSlope) {
        return Tensor.where(x.gt(0), x, x.mul(negativeSlope));
    }

    /**
     * {@code F.elu(x, alpha)}: {@code x} where positive, {@code alpha·(exp(x) - 1)} elsewhere. The exp is of
     * {@code min(x, 0)}, so the branch not taken has no infinity whose zero gradient would make a NaN.
     */
    public static Tensor elu(Tensor x, double alpha) {
        return Tensor.where(x.gt(0), x, x.clampMax(0).exp().sub(1).mul(alpha));
    }

    private static Tensor mapWithDerivative(Tensor x, Elementwise.Unary f, Elementwise.Unary df, String name) {
        requireFloat(x, name);
        Tensor y = empty(x.shape());
        Elementwise.unary(f, segment(x), 0, segment(y), 0, x.numel());
        Reference.reachabilityFence(x);
        return record(
                y,
                name,
                (g, need) -> {
                    Tensor gx = empty(x.shape());
                    Elementwise.unaryMul(df, segment(x), 0, segment(g), 0, segment(gx), 0, x.numel());
                    fence(x, g, null);
                    return new Tensor[] {gx};
                },
                x);
    }

    // ------------------------------------------------------------------ dropout

    /**
     * In training, zeroes each element with probability {@code p} and scales the rest by 1/(1-p); identity
     * otherwise  |  g times the same mask. The mask is never stored (Rng.dropout: a function of one draw of
     * {@code gen} and the element's index, regenerated by the backward), except for generators keyed by
     * sample, whose masks follow each sample's own stream.
     */
    public static Tensor dropout(Tensor x, double p, boolean training, Generator gen) {
        checkP(p);
        if (!training || p == 0) return x;
        float scale = p == 1 ? 0f : (float) (1 / (1 - p));
        if (!gen.isKeyedBySample() && x.dtype() == DType.FLOAT32) {
            // the mask a function of one draw and the index: applied as it is decided, regenerated by the backward
            long seed = dropoutSeed(gen);
            long n = x.numel();
            int[] shape = x.shape();
            Tensor y = empty(shape);
            vectorgrad.kernels.Rng.dropout(seed, segment(x), 0, segment(y), 0, n, (float) p, scale);
            Reference.reachabilityFence(x);
            return record(
                    y,
                    "dropout",
                    (g, need) -> {
                        Tensor gx = empty(shape);
                        vectorgrad.kernels.Rng.dropout(seed, segment(g), 0, segment(gx), 0, n, (float) p, scale);
                        Reference.reachabilityFence(g);
                        return new Tensor[] {gx};
                    },
                    x);
        }
        Tensor mask = empty(x.shape());
        // rows: the batch dimension, for generators that key masks by sample (a 0-D or 1-D input is one sample)
        long rows = x.shape().length >= 2 ? x.shape()[0] : 1;
        fillDropoutMask(gen, segment(mask), mask.numel(), rows, (float) p, scale);
        return x.mul(mask);
    }

    private static final AtomicBoolean WARNED_2D = new AtomicBoolean();

    private static void warn(String message) {
        try {
            // and a moment later: setting up logging while the first call runs slowed it by 4-5 ms on two cores
            Thread.sleep(200);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        System.getLogger("vectorgrad").log(System.Logger.Level.WARNING, message);
    }

    /**
     * Channel dropout for {@code [B, C, H, W]} (or unbatched {@code [C, H, W]}) input: whole channels are
     * zeroed with probability {@code p}, the rest scaled by 1/(1-p). Given a 2-D input, PyTorch drops
     * single elements (warning that this is deprecated): so does this, warning once through
     * {@code System.getLogger("vectorgrad")}.
     */
    public static Tensor dropout2d(Tensor x, double p, boolean training, Generator gen) {
        checkP(p);
        int[] s = x.shape();
        if (s.length != 2 && s.length != 3 && s.length != 4) {
            throw new IllegalArgumentException("dropout2d: expected 2-D, 3-D or 4-D input, got " + Shapes.str(s));
        }
        if (s.length == 2 && WARNED_2D.compareAndSet(false, true)) {
            String message = "dropout2d on 2-D input " + Shapes.str(s)
                    + " drops single elements, as PyTorch does (PyTorch warns that 2-D input to Dropout2d is deprecated); use Dropout for this";
            // from a thread of its own: the first message a process logs sets up java.util.logging (39 ms
            // here), which a model's first call, where this warning comes, should not wait for
            Thread.ofPlatform().daemon().name("vectorgrad-warning").start(() -> warn(message));
        }
        if (!training || p == 0) return x;
        if (s.length == 2) return dropout(x, p, true, gen);
        int[] maskShape = s.clone();
        maskShape[s.length - 1] = 1;
        maskShape[s.length - 2] = 1;
        Tensor mask = empty(maskShape);
        long rows = s.length == 4 ? s[0] : 1; // unbatched [C, H, W] is one sample
        fillDropoutMask(gen, segment(mask), mask.numel(), rows, (float) p, p == 1 ? 0f : (float) (1 / (1 - p)));
        return x.mul(mask);
    }

    private static void checkP(double p) {
        if (!(p >= 0 && p <= 1))
            throw new IllegalArgumentException("dropout probability has to be between 0 and 1, but got " + p);
    }

    private static void fence(Object a, Object b, Object c) {
        Reference.reachabilityFence(a);
        Reference.reachabilityFence(b);
        Reference.reachabilityFence(c);
    }
    /**
     * {@code F.embedding(input, weight, padding_idx)}: rows of {@code weight [num, d]} at the int32
     * indices of {@code input} (any shape; negative indices are errors, as PyTorch's), giving
     * {@code [*input.shape, d]}  |  dweight = the gradient rows added at their indices, none at
     * {@code paddingIdx} (-1: none).
     */
    public static Tensor embedding(Tensor input, Tensor weight, int paddingIdx) {
        if (input.dtype() != vectorgrad.autograd.DType.INT32)
            throw new IllegalArgumentException("embedding: expected an int32 index tensor, got " + input.dtype());
        requireFloat(weight, "embedding");
        if (weight.shape().length != 2)
            throw new IllegalArgumentException(
                    "embedding: weight must be 2-D [num_embeddings, embedding_dim], got " + Shapes.str(weight.shape()));
        int num = weight.shape()[0], d = weight.shape()[1];
        int[] idx = input.toIntArray();
        int[] outShape = Arrays.copyOf(input.shape(), input.shape().length + 1);
        outShape[outShape.length - 1] = d;
        Tensor y = empty(outShape);
        vectorgrad.kernels.Embedding.gather(idx, segment(weight), num, d, segment(y));
        int[] ws = weight.shape().clone();
        BackwardFn fn = (g, need) -> {
            Tensor gw = empty(ws);
            vectorgrad.kernels.Embedding.scatterAdd(idx, segment(g), num, d, paddingIdx, segment(gw));
            Reference.reachabilityFence(g);
            return new Tensor[] {gw};
        };
        Tensor result = record(y, "embedding", fn, weight);
        Reference.reachabilityFence(weight);
        return result;
    }
}
