package vectorgrad.nn;

import vectorgrad.autograd.DType;
import vectorgrad.autograd.Generator;
import vectorgrad.autograd.Tensor;
import vectorgrad.autograd.internal.NeuralOps;

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
        return NeuralOps.crossEntropy(
                input,
                target,
                switch (checkReduction(reduction)) {
                    case "none" -> NeuralOps.Reduction.NONE;
                    case "sum" -> NeuralOps.Reduction.SUM;
                    default -> NeuralOps.Reduction.MEAN;
                });
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
        checkReduction(reduction);
        int[] s = input.shape(), ts = target.shape();
        if (s.length != 2)
            throw new IllegalArgumentException(
                    "nll_loss: expected input [batch, classes], got " + java.util.Arrays.toString(s));
        if (target.dtype() != DType.INT32 || ts.length != 1 || ts[0] != s[0]) {
            throw new IllegalArgumentException("nll_loss: expected int32 target of shape [" + s[0] + "], got "
                    + target.dtype() + " " + java.util.Arrays.toString(ts));
        }
        int[] t = target.toIntArray();
        float[] oneHot = new float[s[0] * s[1]];
        for (int b = 0; b < t.length; b++) {
            if (t[b] < 0 || t[b] >= s[1]) {
                throw new IllegalArgumentException(
                        "nll_loss: target " + t[b] + " at row " + b + " is out of bounds for " + s[1] + " classes");
            }
            oneHot[b * s[1] + t[b]] = -1f;
        }
        return reduce(input.mul(Tensor.of(oneHot, s)).sum(1, false), reduction);
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
        return switch (reduction) {
            case "none" -> perElement;
            case "sum" -> perElement.sum();
            default -> perElement.mean();
        };
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
