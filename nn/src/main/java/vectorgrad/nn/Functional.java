package vectorgrad.nn;

import vectorgrad.autograd.Generator;
import vectorgrad.autograd.Tensor;
import vectorgrad.autograd.internal.AttentionOps;
import vectorgrad.autograd.internal.MlpOp;
import vectorgrad.autograd.internal.NeuralOps;
import vectorgrad.autograd.internal.Normalization;
import vectorgrad.autograd.internal.Pooling;

/**
 * The functional ops — {@code torch.nn.functional} in Java: the layers in {@code vectorgrad.nn.layers}
 * call these, and a model may call them directly ({@code import static vectorgrad.nn.Functional.*}).
 * Names follow PyTorch's in camel case ({@code cross_entropy} is {@link #crossEntropy}); arguments that
 * PyTorch takes as an int or a pair take an {@code int[]} of one or two values here; {@code reduction} is
 * {@code "none"}, {@code "mean"} (the default) or {@code "sum"}. Every op records its backward rule, and
 * bad shapes are {@link IllegalArgumentException}s that name them.
 */
public final class Functional {
    private Functional() {}

    // ------------------------------------------------------------------ layers' ops

    /** {@code x·Wᵀ + b} for {@code x [B, in]}, {@code weight [out, in]}, {@code bias [out]} or null. */
    public static Tensor linear(Tensor x, Tensor weight, Tensor bias) {
        return NeuralOps.linear(x, weight, bias);
    }

    /**
     * {@code linear(gelu(linear(x, w1, b1)), w2, b2)} (exact GELU) as one op, for a transformer block's MLP:
     * {@code x [*, in]}, {@code w1 [hidden, in]}, {@code w2 [out, hidden]}, biases or null. The values of
     * the three ops written out; GELU and its derivative are applied to the hidden layer's rows as the
     * products make them, while they are in cache, instead of in passes of their own.
     */
    public static Tensor mlp(Tensor x, Tensor w1, Tensor b1, Tensor w2, Tensor b2) {
        return MlpOp.mlp(x, w1, b1, w2, b2);
    }

    /** {@code F.conv2d(x, weight, bias)}: stride 1, no padding. */
    public static Tensor conv2d(Tensor x, Tensor weight, Tensor bias) {
        return conv2d(x, weight, bias, new int[] {1}, new int[] {0}, new int[] {1}, 1);
    }

    /**
     * {@code F.conv2d(x, weight, bias, stride, padding, dilation, groups)} for {@code x [B, C, H, W]} and
     * {@code weight [O, C/groups, kh, kw]}; {@code stride}, {@code padding}, {@code dilation}: one value
     * for both dimensions or {@code {h, w}}.
     */
    public static Tensor conv2d(
            Tensor x, Tensor weight, Tensor bias, int[] stride, int[] padding, int[] dilation, int groups) {
        return NeuralOps.conv2d(
                x, weight, bias, pair("stride", stride), pair("padding", padding), pair("dilation", dilation), groups);
    }

    /**
     * {@code F.relu(F.conv2d(x, weight, bias, stride, padding, dilation, groups))} as one op (what
     * {@link Sequential} runs for a {@code Conv2d} followed by a {@code ReLU}): the same values, with the
     * ReLU applied to each part of the output as the convolution writes it and no pre-activation tensor
     * kept for the backward.
     */
    public static Tensor conv2dRelu(
            Tensor x, Tensor weight, Tensor bias, int[] stride, int[] padding, int[] dilation, int groups) {
        return NeuralOps.conv2d(
                x,
                weight,
                bias,
                pair("stride", stride),
                pair("padding", padding),
                pair("dilation", dilation),
                groups,
                true);
    }

    /**
     * {@code F.conv2d(x, weight, bias, stride, padding="same" | "valid", dilation, groups)}: "valid" is no
     * padding; "same" pads so the output has the input's size (stride 1 only), the odd one of an odd total
     * on the bottom and right, as PyTorch does.
     */
    public static Tensor conv2d(
            Tensor x, Tensor weight, Tensor bias, int[] stride, String padding, int[] dilation, int groups) {
        int[] st = pair("stride", stride), dil = pair("dilation", dilation);
        if (padding.equals("valid")) return NeuralOps.conv2d(x, weight, bias, st, new int[] {0, 0}, dil, groups);
        if (!padding.equals("same"))
            throw new IllegalArgumentException(
                    "Invalid padding string '" + padding + "', should be one of {'valid', 'same'}");
        if (st[0] != 1 || st[1] != 1)
            throw new IllegalArgumentException("padding='same' is not supported for strided convolutions");
        int[] ws = weight.shape();
        if (ws.length != 4)
            throw new IllegalArgumentException(
                    "conv2d: expected 4-D weight [O, C, kh, kw], got " + java.util.Arrays.toString(ws));
        int totalH = dil[0] * (ws[2] - 1), totalW = dil[1] * (ws[3] - 1);
        // an odd total: pad ⌈total/2⌉ on both sides and drop the first output row (column), whose window
        // starts one before PyTorch's
        int[] pad = {(totalH + 1) / 2, (totalW + 1) / 2};
        Tensor y = NeuralOps.conv2d(x, weight, bias, st, pad, dil, groups);
        int rank = y.shape().length;
        if (totalH % 2 == 1) y = y.narrow(rank - 2, 1, y.shape()[rank - 2] - 1);
        if (totalW % 2 == 1) y = y.narrow(rank - 1, 1, y.shape()[rank - 1] - 1);
        return y;
    }

    /**
     * {@code F.conv_transpose2d(x, weight, bias, stride, padding, output_padding, groups, dilation)} for
     * {@code x [B, C_in, H, W]} (or {@code [C_in, H, W]}) and {@code weight [C_in, C_out/groups, kh, kw]};
     * sizes one value for both dimensions or {@code {h, w}}. Output size {@code (H-1)·stride - 2·padding +
     * dilation·(kh-1) + output_padding + 1}.
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
        return NeuralOps.convTranspose2d(
                x,
                weight,
                bias,
                pair("stride", stride),
                pair("padding", padding),
                pair("output_padding", outputPadding),
                groups,
                pair("dilation", dilation));
    }

    /** {@code F.conv_transpose2d(x, weight, bias)}: stride 1, no padding. */
    public static Tensor convTranspose2d(Tensor x, Tensor weight, Tensor bias) {
        return convTranspose2d(x, weight, bias, new int[] {1}, new int[] {0}, new int[] {0}, 1, new int[] {1});
    }

    /**
     * {@code F.scaled_dot_product_attention(q, k, v, attn_mask, dropout_p, is_causal, scale)} (PyTorch 2.x):
     * {@code softmax(q·kᵀ·scale + mask)·v} for {@code q [..., T, d]}, {@code k [..., S, d]},
     * {@code v [..., S, dv]} → {@code [..., T, dv]}, computed in blocks without keeping the {@code [T, S]}
     * probabilities for the backward. {@code attnMask}: null, float32 (added to the scores) or int32 0/1 (1:
     * the key takes part), {@code [T, S]} or {@code [..., T, S]}; {@code isCausal}: query i sees keys j ≤ i;
     * {@code scale} null: {@code 1/√d}; dropout on the probabilities from the default generator.
     */
    public static Tensor scaledDotProductAttention(
            Tensor q, Tensor k, Tensor v, Tensor attnMask, double dropoutP, boolean isCausal, Double scale) {
        return AttentionOps.scaledDotProductAttention(
                q, k, v, attnMask, dropoutP, isCausal, scale, Tensor.defaultGenerator());
    }

    /** {@code F.scaled_dot_product_attention(q, k, v, attn_mask, dropout_p, is_causal)}. */
    public static Tensor scaledDotProductAttention(
            Tensor q, Tensor k, Tensor v, Tensor attnMask, double dropoutP, boolean isCausal) {
        return scaledDotProductAttention(q, k, v, attnMask, dropoutP, isCausal, null);
    }

    /**
     * Multi-head attention on projections laid out as a transformer makes them: {@code q [B, T, H·d]},
     * {@code k [B, S, H·d]}, {@code v [B, S, H·dv]} → {@code [B, T, H·dv]}; equal to
     * {@link #scaledDotProductAttention} on {@code q.reshape(B, T, H, d).transpose(1, 2)} (and k, v) with
     * the result transposed back and reshaped, but each head is read in place (no copies). {@code attnMask}:
     * null or {@code [T, S]}, float32 (added) or int32 0/1 (1: attend).
     */
    public static Tensor multiHeadScaledDotProductAttention(
            Tensor q, Tensor k, Tensor v, int numHeads, Tensor attnMask, double dropoutP, boolean isCausal) {
        return AttentionOps.multiHead(q, k, v, numHeads, attnMask, dropoutP, isCausal, null, Tensor.defaultGenerator());
    }

    /**
     * Multi-head self-attention from one projection: {@code qkv [B, T, 3·H·d]} holds q, k and v side by
     * side in each row (what {@code linear(x, in_proj_weight, in_proj_bias)} gives) → {@code [B, T, H·d]};
     * equal to {@link #multiHeadScaledDotProductAttention} on its three column blocks, read in place, with
     * one {@code [B, T, 3·H·d]} gradient, so the projection's backward is one product.
     */
    public static Tensor packedMultiHeadAttention(
            Tensor qkv, int numHeads, Tensor attnMask, double dropoutP, boolean isCausal) {
        return AttentionOps.multiHeadPacked(
                qkv, numHeads, attnMask, dropoutP, isCausal, null, Tensor.defaultGenerator());
    }

    /** {@code F.scaled_dot_product_attention(q, k, v)}: no mask, no dropout. */
    public static Tensor scaledDotProductAttention(Tensor q, Tensor k, Tensor v) {
        return scaledDotProductAttention(q, k, v, null, 0, false, null);
    }

    /** {@code F.max_pool2d(x, kernel_size)}: stride = kernel size. */
    public static Tensor maxPool2d(Tensor x, int kernelSize) {
        return maxPool2d(x, new int[] {kernelSize}, new int[] {kernelSize}, new int[] {0}, new int[] {1}, false);
    }

    /** {@code F.max_pool2d(x, kernel_size, stride, padding, dilation, ceil_mode)}; each size one value or {@code {h, w}}. */
    public static Tensor maxPool2d(
            Tensor x, int[] kernelSize, int[] stride, int[] padding, int[] dilation, boolean ceilMode) {
        return NeuralOps.maxPool2d(
                x,
                pair("kernel_size", kernelSize),
                pair("stride", stride),
                pair("padding", padding),
                pair("dilation", dilation),
                ceilMode);
    }

    /**
     * {@code F.batch_norm(x, running_mean, running_var, weight, bias, training, momentum, eps)} for
     * {@code [N, C]}, {@code [N, C, L]} or {@code [N, C, H, W]}: in training the batch's statistics
     * normalise and the running ones (if given) are updated in place; otherwise the running ones normalise.
     */
    public static Tensor batchNorm(
            Tensor x,
            Tensor runningMean,
            Tensor runningVar,
            Tensor weight,
            Tensor bias,
            boolean training,
            double momentum,
            double eps) {
        return Normalization.batchNorm(x, runningMean, runningVar, weight, bias, training, momentum, eps);
    }

    /**
     * {@code F.relu(F.batch_norm(x, running_mean, running_var, weight, bias, training, momentum, eps))} as one
     * op (what {@link Sequential} runs for a {@code BatchNorm1d} or {@code BatchNorm2d} followed by a
     * {@code ReLU}): the same values and gradients, bit for bit, with each channel normalised and rectified
     * in one pass and its gradient masked inside the batch-norm backward, so neither op's output makes a trip
     * through memory of its own.
     */
    public static Tensor batchNormRelu(
            Tensor x,
            Tensor runningMean,
            Tensor runningVar,
            Tensor weight,
            Tensor bias,
            boolean training,
            double momentum,
            double eps) {
        return Normalization.batchNorm(x, runningMean, runningVar, weight, bias, training, momentum, eps, true);
    }

    /**
     * {@code F.relu(F.batch_norm(x, running_mean, running_var, weight, bias, training, momentum, eps) + residual)}
     * as one op, {@code residual} of x's shape: the end of a ResNet's residual block (its second batch norm,
     * the shortcut and the ReLU after the sum) in one pass over memory, with the same values and gradients,
     * bit for bit, as the three ops.
     */
    public static Tensor batchNormAddRelu(
            Tensor x,
            Tensor residual,
            Tensor runningMean,
            Tensor runningVar,
            Tensor weight,
            Tensor bias,
            boolean training,
            double momentum,
            double eps) {
        return Normalization.batchNormAddRelu(
                x, residual, runningMean, runningVar, weight, bias, training, momentum, eps);
    }

    /**
     * {@code F.layer_norm(x, normalized_shape, weight, bias, eps)}: each slab over the last dimensions
     * ({@code normalizedShape}) normalised by its mean and biased variance, then {@code ·weight + bias}
     * element-wise (either may be null).
     */
    public static Tensor layerNorm(Tensor x, int[] normalizedShape, Tensor weight, Tensor bias, double eps) {
        return Normalization.layerNorm(x, normalizedShape, weight, bias, eps);
    }

    /** {@code F.layer_norm(x, normalized_shape)} with eps 1e-5 and no affine parameters. */
    public static Tensor layerNorm(Tensor x, int... normalizedShape) {
        return Normalization.layerNorm(x, normalizedShape, null, null, 1e-5);
    }

    /**
     * {@code F.embedding(input, weight, padding_idx)}: the rows of {@code weight [num, d]} at the int32
     * indices of {@code input}, shape {@code [*input.shape, d]}; the row at {@code paddingIdx} (negative:
     * counted from the end; null: none) gets no gradient.
     */
    public static Tensor embedding(Tensor input, Tensor weight, Integer paddingIdx) {
        return NeuralOps.embedding(input, weight, embeddingPaddingIndex(weight, paddingIdx));
    }

    /** {@code F.embedding(input, weight)}. */
    public static Tensor embedding(Tensor input, Tensor weight) {
        return NeuralOps.embedding(input, weight, -1);
    }

    /** PyTorch's padding_idx check: within [-num, num), negative counted from the end; -1 here for none. */
    static int embeddingPaddingIndex(Tensor weight, Integer paddingIdx) {
        if (paddingIdx == null) return -1;
        int num = weight.shape()[0];
        if (paddingIdx >= num || paddingIdx < -num)
            throw new IllegalArgumentException(
                    "Padding_idx must be within num_embeddings (" + num + "), got " + paddingIdx);
        return paddingIdx < 0 ? paddingIdx + num : paddingIdx;
    }

    /** {@code F.avg_pool2d(x, kernel_size, stride, padding, ceil_mode, count_include_pad)}; sizes one value or {@code {h, w}}. */
    public static Tensor avgPool2d(
            Tensor x, int[] kernelSize, int[] stride, int[] padding, boolean ceilMode, boolean countIncludePad) {
        int[] k = pair("kernel_size", kernelSize);
        return Pooling.avgPool2d(
                x, k, stride == null ? k : pair("stride", stride), pair("padding", padding), ceilMode, countIncludePad);
    }

    /** {@code F.avg_pool2d(x, kernel_size)}: stride = kernel size, no padding. */
    public static Tensor avgPool2d(Tensor x, int kernelSize) {
        return avgPool2d(x, new int[] {kernelSize}, null, new int[] {0}, false, true);
    }

    /** {@code F.adaptive_avg_pool2d(x, output_size)}; one size for both, or {@code {h, w}} (-1 keeps the input's). */
    public static Tensor adaptiveAvgPool2d(Tensor x, int... outputSize) {
        return Pooling.adaptiveAvgPool2d(x, pair("output_size", outputSize));
    }

    /** Zeroes each element with probability {@code p} in training and scales the rest by 1/(1-p). */
    public static Tensor dropout(Tensor x, double p, boolean training, Generator generator) {
        return NeuralOps.dropout(x, p, training, generator);
    }

    /** {@link #dropout(Tensor, double, boolean, Generator)} drawing from the default generator. */
    public static Tensor dropout(Tensor x, double p, boolean training) {
        return NeuralOps.dropout(x, p, training, Tensor.defaultGenerator());
    }

    /** Zeroes whole channels of {@code [B, C, H, W]} (or {@code [C, H, W]}) with probability {@code p} in training. */
    public static Tensor dropout2d(Tensor x, double p, boolean training, Generator generator) {
        return NeuralOps.dropout2d(x, p, training, generator);
    }

    /** {@link #dropout2d(Tensor, double, boolean, Generator)} drawing from the default generator. */
    public static Tensor dropout2d(Tensor x, double p, boolean training) {
        return NeuralOps.dropout2d(x, p, training, Tensor.defaultGenerator());
    }

    // ------------------------------------------------------------------ activations

    public static Tensor relu(Tensor x) {
        return x.relu();
    }

    public static Tensor sigmoid(Tensor x) {
        return x.sigmoid();
    }

    public static Tensor tanh(Tensor x) {
        return x.tanh();
    }

    /** {@code F.gelu(x, approximate)}: {@code "none"} (exact, x·Φ(x)) or {@code "tanh"}. */
    public static Tensor gelu(Tensor x, String approximate) {
        return NeuralOps.gelu(x, approximate);
    }

    /** Exact GELU. */
    public static Tensor gelu(Tensor x) {
        return NeuralOps.gelu(x, "none");
    }

    /** {@code F.silu(x) = x·σ(x)}. */
    public static Tensor silu(Tensor x) {
        return NeuralOps.silu(x);
    }

    /** {@code F.leaky_relu(x, negative_slope)}. */
    public static Tensor leakyRelu(Tensor x, double negativeSlope) {
        return NeuralOps.leakyRelu(x, negativeSlope);
    }

    /** {@code F.elu(x, alpha)}. */
    public static Tensor elu(Tensor x, double alpha) {
        return NeuralOps.elu(x, alpha);
    }

    /** Softmax along {@code dim} (negative counts from the end). */
    public static Tensor softmax(Tensor x, int dim) {
        return NeuralOps.softmax(x, dim);
    }

    /** log(softmax) along {@code dim}, computed stably in one pass. */
    public static Tensor logSoftmax(Tensor x, int dim) {
        return NeuralOps.logSoftmax(x, dim);
    }

    // ------------------------------------------------------------------ losses

    /** Mean cross-entropy of logits {@code [B, classes]} against int32 class indices {@code [B]}. */
    public static Tensor crossEntropy(Tensor input, Tensor target) {
        return crossEntropy(input, target, "mean");
    }

    /** Cross-entropy of logits {@code [B, classes]} against int32 class indices {@code [B]}, reduced as asked. */
    public static Tensor crossEntropy(Tensor input, Tensor target, String reduction) {
        return crossEntropy(input, target, null, -100, 0, reduction);
    }

    /** Mean negative log-likelihood of log-probabilities {@code [B, classes]} at int32 class indices {@code [B]}. */
    public static Tensor nllLoss(Tensor input, Tensor target) {
        return nllLoss(input, target, "mean");
    }

    /**
     * {@code -input[b, target[b]]} for log-probabilities {@code [B, classes]} (e.g. from {@link #logSoftmax}),
     * reduced as asked  |  the gradient is {@code -g} at each target and 0 elsewhere.
     */
    public static Tensor nllLoss(Tensor input, Tensor target, String reduction) {
        return nllLoss(input, target, null, -100, reduction);
    }

    /**
     * {@code F.nll_loss(input, target, weight, ignore_index=-100, reduction)}: rows whose target is
     * {@code ignoreIndex} count for nothing; with {@code weight [classes]} each row is weighted by its
     * class's weight and the mean divides by the sum of those weights.
     */
    public static Tensor nllLoss(Tensor input, Tensor target, Tensor weight, int ignoreIndex, String reduction) {
        return LossFunctions.nll(input, target, weight, ignoreIndex, checkReduction(reduction));
    }

    /**
     * {@code F.cross_entropy(input, target, weight, ignore_index=-100, reduction, label_smoothing)} for
     * logits {@code [B, classes]} and int32 class indices {@code [B]}: with {@code labelSmoothing} ε the
     * target is {@code (1 - ε)·onehot + ε/classes}. Without weight, ignored rows or smoothing it is one fused
     * kernel.
     */
    public static Tensor crossEntropy(
            Tensor input, Tensor target, Tensor weight, int ignoreIndex, double labelSmoothing, String reduction) {
        return LossFunctions.crossEntropy(
                input, target, weight, ignoreIndex, labelSmoothing, checkReduction(reduction));
    }

    /** {@code F.smooth_l1_loss}: {@code 0.5·d²/β} where {@code d = |input - target| < β}, {@code d - β/2} elsewhere. */
    public static Tensor smoothL1Loss(Tensor input, Tensor target, String reduction, double beta) {
        return LossFunctions.smoothL1(input, target, checkReduction(reduction), beta);
    }

    /** {@code F.huber_loss}: {@code 0.5·d²} where {@code d < δ}, {@code δ·(d - δ/2)} elsewhere. */
    public static Tensor huberLoss(Tensor input, Tensor target, String reduction, double delta) {
        return LossFunctions.huber(input, target, checkReduction(reduction), delta);
    }

    /** {@code F.binary_cross_entropy(input, target, weight)} for probabilities in [0, 1]; weight may be null. */
    public static Tensor binaryCrossEntropy(Tensor input, Tensor target, Tensor weight, String reduction) {
        return LossFunctions.binaryCrossEntropy(input, target, weight, checkReduction(reduction));
    }

    /**
     * {@code F.binary_cross_entropy_with_logits(input, target, weight, pos_weight=posWeight)}: sigmoid and
     * BCE in one numerically stable formula; {@code posWeight} weighs the positive term (one per class).
     */
    public static Tensor binaryCrossEntropyWithLogits(
            Tensor input, Tensor target, Tensor weight, Tensor posWeight, String reduction) {
        return LossFunctions.binaryCrossEntropyWithLogits(input, target, weight, posWeight, checkReduction(reduction));
    }

    /** Mean squared error {@code (input - target)²}, reduced as asked; shapes broadcast. */
    public static Tensor mseLoss(Tensor input, Tensor target, String reduction) {
        Tensor d = input.sub(target);
        return reduce(d.mul(d), checkReduction(reduction));
    }

    public static Tensor mseLoss(Tensor input, Tensor target) {
        return mseLoss(input, target, "mean");
    }

    /** Mean absolute error {@code |input - target|}, reduced as asked; shapes broadcast. */
    public static Tensor l1Loss(Tensor input, Tensor target, String reduction) {
        return reduce(input.sub(target).abs(), checkReduction(reduction));
    }

    public static Tensor l1Loss(Tensor input, Tensor target) {
        return l1Loss(input, target, "mean");
    }

    // ------------------------------------------------------------------ helpers

    private static String checkReduction(String reduction) {
        return switch (reduction) {
            case "none", "mean", "sum" -> reduction;
            case null ->
                throw new IllegalArgumentException("reduction must be \"none\", \"mean\" or \"sum\", got null");
            default ->
                throw new IllegalArgumentException(reduction + " is not a valid value for reduction (none, mean, sum)");
        };
    }

    private static Tensor reduce(Tensor perElement, String reduction) {
        return LossFunctions.reduce(perElement, reduction);
    }

    /** PyTorch's {@code _pair}: one value for both dimensions, or two. */
    static int[] pair(String name, int[] v) {
        if (v == null || v.length < 1 || v.length > 2) {
            throw new IllegalArgumentException(
                    name + " must be one int or a pair of ints, got " + java.util.Arrays.toString(v));
        }
        return v.length == 1 ? new int[] {v[0], v[0]} : v.clone();
    }
}
