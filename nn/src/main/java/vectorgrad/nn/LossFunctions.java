package vectorgrad.nn;

import java.util.Arrays;
import vectorgrad.autograd.DType;
import vectorgrad.autograd.Tensor;
import vectorgrad.autograd.internal.NeuralOps;

/**
 * The bodies of {@link Functional}'s losses, composed of recorded tensor ops (so each gradient is the
 * composition of theirs), except the default cross-entropy, which is one fused kernel. Formulas and
 * reductions are PyTorch's, including its normalisation of weighted means by the weights' sum.
 */
final class LossFunctions {
    private LossFunctions() {}

    static Tensor reduce(Tensor perElement, String reduction) {
        return switch (reduction) {
            case "none" -> perElement;
            case "sum" -> perElement.sum();
            default -> perElement.mean();
        };
    }

    static Tensor smoothL1(Tensor input, Tensor target, String reduction, double beta) {
        if (beta < 0)
            throw new IllegalArgumentException("smooth_l1_loss does not support negative values for beta, got " + beta);
        Tensor d = input.sub(target).abs();
        if (beta == 0) return reduce(d, reduction);
        Tensor quadratic = d.mul(d).mul(0.5 / beta), linear = d.sub(0.5 * beta);
        return reduce(Tensor.where(d.lt(beta), quadratic, linear), reduction);
    }

    static Tensor huber(Tensor input, Tensor target, String reduction, double delta) {
        if (delta <= 0)
            throw new IllegalArgumentException(
                    "huber_loss does not support non-positive values for delta, got " + delta);
        Tensor d = input.sub(target).abs();
        Tensor quadratic = d.mul(d).mul(0.5), linear = d.sub(0.5 * delta).mul(delta);
        return reduce(Tensor.where(d.lt(delta), quadratic, linear), reduction);
    }

    /** {@code -w·(y·log x + (1 - y)·log(1 - x))}, each log clamped at -100 as PyTorch does. */
    static Tensor binaryCrossEntropy(Tensor input, Tensor target, Tensor weight, String reduction) {
        if (!Arrays.equals(input.shape(), target.shape())) {
            throw new IllegalArgumentException("Using a target size (" + Arrays.toString(target.shape())
                    + ") that is different to the input size (" + Arrays.toString(input.shape()) + ") is deprecated."
                    + " Please ensure they have the same size.");
        }
        float[] v = input.toFloatArray();
        for (int i = 0; i < v.length; i++) {
            if (!(v[i] >= 0 && v[i] <= 1))
                throw new IllegalArgumentException("all elements of input should be between 0 and 1, got " + v[i]
                        + " at flat index " + i + " (use binaryCrossEntropyWithLogits for logits)");
        }
        Tensor logX = input.log().clampMin(-100), log1mX = input.rsub(1).log().clampMin(-100);
        Tensor loss = target.mul(logX).add(target.rsub(1).mul(log1mX)).neg();
        if (weight != null) loss = loss.mul(weight);
        return reduce(loss, reduction);
    }

    /**
     * {@code (1 - y)·x + (1 + (p - 1)·y)·(log(1 + e^{-|x|}) + max(-x, 0))}: the stable form, times
     * {@code weight}; {@code posWeight} (p) broadcasts along the last dimension (one per class).
     */
    static Tensor binaryCrossEntropyWithLogits(
            Tensor input, Tensor target, Tensor weight, Tensor posWeight, String reduction) {
        if (!Arrays.equals(input.shape(), target.shape())) {
            throw new IllegalArgumentException("Target size (" + Arrays.toString(target.shape())
                    + ") must be the same as input size (" + Arrays.toString(input.shape()) + ")");
        }
        Tensor softplusNeg =
                input.abs().neg().exp().add(1).log().add(input.neg().relu());
        Tensor coefficient =
                posWeight == null ? null : posWeight.sub(1).mul(target).add(1);
        Tensor loss = target.rsub(1).mul(input).add(coefficient == null ? softplusNeg : coefficient.mul(softplusNeg));
        if (weight != null) loss = loss.mul(weight);
        return reduce(loss, reduction);
    }

    /** Per-row weights of an NLL: {@code weight[target]} (1 without weights), 0 for ignored rows. */
    private static float[] rowWeights(int[] t, int classes, Tensor weight, int ignoreIndex, String op) {
        float[] w = weight == null ? null : weight.toFloatArray();
        if (w != null && w.length != classes)
            throw new IllegalArgumentException(op + ": weight tensor should be defined either for all " + classes
                    + " classes or no classes but got weight tensor of shape " + Arrays.toString(weight.shape()));
        float[] out = new float[t.length];
        for (int b = 0; b < t.length; b++) {
            if (t[b] == ignoreIndex) continue;
            if (t[b] < 0 || t[b] >= classes)
                throw new IllegalArgumentException(
                        op + ": target " + t[b] + " at row " + b + " is out of bounds for " + classes + " classes");
            out[b] = w == null ? 1f : w[t[b]];
        }
        return out;
    }

    private static int[] checkTargets(Tensor input, Tensor target, String op) {
        int[] s = input.shape(), ts = target.shape();
        if (s.length != 2)
            throw new IllegalArgumentException(op + ": expected input [batch, classes], got " + Arrays.toString(s));
        if (target.dtype() != DType.INT32 || ts.length != 1 || ts[0] != s[0]) {
            throw new IllegalArgumentException(op + ": expected int32 target of shape [" + s[0] + "], got "
                    + target.dtype() + " " + Arrays.toString(ts));
        }
        return target.toIntArray();
    }

    /**
     * {@code -weight[t_b]·input[b, t_b]} per row (0 where {@code t_b == ignoreIndex}); the mean divides by
     * the sum of the rows' weights, as PyTorch.
     */
    static Tensor nll(Tensor input, Tensor target, Tensor weight, int ignoreIndex, String reduction) {
        int[] t = checkTargets(input, target, "nll_loss");
        int classes = input.shape()[1];
        float[] rw = rowWeights(t, classes, weight, ignoreIndex, "nll_loss");
        int[] safe = t.clone();
        for (int b = 0; b < safe.length; b++) if (rw[b] == 0f && (safe[b] < 0 || safe[b] >= classes)) safe[b] = 0;
        Tensor picked;
        try (Tensor idx = Tensor.ofInts(safe, safe.length, 1)) {
            picked = input.gather(1, idx).reshape(-1);
        }
        Tensor perRow = picked.mul(Tensor.of(rw, rw.length)).neg();
        if (!reduction.equals("mean")) return reduce(perRow, reduction);
        double total = 0;
        for (float w : rw) total += w;
        return perRow.sum().div(total);
    }

    static Tensor crossEntropy(
            Tensor input, Tensor target, Tensor weight, int ignoreIndex, double labelSmoothing, String reduction) {
        if (labelSmoothing < 0 || labelSmoothing > 1)
            throw new IllegalArgumentException("label_smoothing must be between 0.0 and 1.0. Got: " + labelSmoothing);
        if (weight == null && labelSmoothing == 0 && !containsTarget(target, ignoreIndex)) {
            return NeuralOps.crossEntropy(
                    input,
                    target,
                    switch (reduction) {
                        case "none" -> NeuralOps.Reduction.NONE;
                        case "sum" -> NeuralOps.Reduction.SUM;
                        default -> NeuralOps.Reduction.MEAN;
                    });
        }
        int[] t = checkTargets(input, target, "cross_entropy");
        Tensor logp = NeuralOps.logSoftmax(input, 1);
        Tensor nll = nll(logp, target, weight, ignoreIndex, reduction);
        if (labelSmoothing == 0) return nll;
        int classes = input.shape()[1];
        Tensor smooth = weight == null
                ? logp.sum(1, false).neg()
                : logp.mul(weight).sum(1, false).neg();
        float[] keep = new float[t.length];
        for (int b = 0; b < t.length; b++) keep[b] = t[b] == ignoreIndex ? 0f : 1f;
        smooth = smooth.mul(Tensor.of(keep, keep.length));
        Tensor reduced = switch (reduction) {
            case "none" -> smooth;
            case "sum" -> smooth.sum();
            default -> {
                if (weight == null) {
                    int counted = 0;
                    for (float k : keep) counted += (int) k;
                    yield smooth.sum().div(counted); // the rows not ignored, as nll's mean
                }
                float[] rw = rowWeights(t, classes, weight, ignoreIndex, "cross_entropy");
                double total = 0;
                for (float w : rw) total += w;
                yield smooth.sum().div(total);
            }
        };
        return nll.mul(1 - labelSmoothing).add(reduced.mul(labelSmoothing / classes));
    }

    private static boolean containsTarget(Tensor target, int value) {
        if (target.dtype() != DType.INT32) return false;
        for (int v : target.toIntArray()) if (v == value) return true;
        return false;
    }
}
