package vectorgrad.autograd.internal;

import static vectorgrad.autograd.internal.TensorAccess.*;

import java.lang.foreign.MemorySegment;
import java.lang.ref.Reference;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import vectorgrad.autograd.Tensor;
import vectorgrad.kernels.BatchNorm;
import vectorgrad.kernels.LayerNorm;

/**
 * Normalisation with forward beside backward: {@code batch_norm}, fused per channel in the kernel, and
 * {@code layer_norm}, fused per row. Shapes and names follow {@code torch.nn.functional}.
 */
public final class Normalization {
    private Normalization() {}

    /**
     * {@code F.batch_norm(x, running_mean, running_var, weight, bias, training, momentum, eps)} for
     * {@code x [N, C]}, {@code [N, C, L]} or {@code [N, C, H, W]}. In training the batch's statistics
     * normalise and, when the running tensors are given, move them by {@code momentum} (in place, outside
     * the graph); otherwise the running statistics normalise  |  dx by the batch-norm rule (statistics
     * depend on x in training, are constants otherwise), dweight = Σ g·x̂, dbias = Σ g.
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
        return batchNorm(x, runningMean, runningVar, weight, bias, training, momentum, eps, false);
    }

    /**
     * {@link #batchNorm} followed by {@code relu} as one op when {@code relu}: each channel normalised and
     * rectified in one pass, and no pre-activation tensor kept (the backward recomputes where it was
     * positive from x); the same values and gradients, bit for bit, as the two ops  |  g masked where the
     * normalised output was not positive, then the batch-norm rule.
     */
    public static Tensor batchNorm(
            Tensor x,
            Tensor runningMean,
            Tensor runningVar,
            Tensor weight,
            Tensor bias,
            boolean training,
            double momentum,
            double eps,
            boolean relu) {
        return normalize(x, null, runningMean, runningVar, weight, bias, training, momentum, eps, relu);
    }

    /**
     * {@code relu(batch_norm(x, ...) + residual)} as one op: a residual block's last batch norm, its shortcut
     * (of x's shape) and its ReLU in one pass, the same values and gradients, bit for bit, as the three ops  |
     * g masked where the sum was not positive is the residual's gradient, and the batch-norm rule's input.
     * The backward recomputes the sum from x, the bias and the residual: like the other ops' saved inputs,
     * they must not be changed in place between the forward and the backward.
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
        if (residual == null) throw new IllegalArgumentException("batch_norm+add+relu: the residual is null");
        return normalize(x, residual, runningMean, runningVar, weight, bias, training, momentum, eps, true);
    }

    private static Tensor normalize(
            Tensor x,
            Tensor residual,
            Tensor runningMean,
            Tensor runningVar,
            Tensor weight,
            Tensor bias,
            boolean training,
            double momentum,
            double eps,
            boolean relu) {
        String name = residual != null ? "batch_norm+add+relu" : relu ? "batch_norm+relu" : "batch_norm";
        requireFloat(x, name);
        int[] xs = x.shape();
        if (residual != null) {
            requireFloat(residual, name);
            if (!Arrays.equals(residual.shape(), xs))
                throw new IllegalArgumentException(name + ": residual of shape " + Shapes.str(residual.shape())
                        + " does not match input " + Shapes.str(xs));
        }
        if (xs.length < 2)
            throw new IllegalArgumentException(
                    "batch_norm: expected 2-D or more input [N, C, ...], got " + Shapes.str(xs));
        int n = xs[0], c = xs[1];
        int plane = 1;
        for (int i = 2; i < xs.length; i++) plane *= xs[i];
        int hw = plane;
        for (Object[] p : new Object[][] {
            {"running_mean", runningMean}, {"running_var", runningVar}, {"weight", weight}, {"bias", bias}
        }) {
            Tensor t = (Tensor) p[1];
            if (t != null && !Arrays.equals(t.shape(), new int[] {c})) {
                throw new IllegalArgumentException("batch_norm: " + p[0] + " should contain " + c
                        + " elements (one per channel of input " + Shapes.str(xs) + "), not " + Shapes.str(t.shape()));
            }
        }
        if ((runningMean == null) != (runningVar == null))
            throw new IllegalArgumentException(
                    "batch_norm: running_mean and running_var must both be given or both null");
        if (!training && runningMean == null)
            throw new IllegalArgumentException("batch_norm: running_mean and running_var are needed when not training");
        if (training && (long) n * hw <= 1) {
            throw new IllegalArgumentException(
                    "Expected more than 1 value per channel when training, got input size " + Shapes.str(xs));
        }
        Tensor y = empty(xs);
        Tensor mean = empty(new int[] {c}), invstd = empty(new int[] {c});
        float m = (float) momentum, e = (float) eps;
        if (training) {
            BatchNorm.forwardTraining(
                    n,
                    c,
                    hw,
                    segment(x),
                    seg(weight),
                    seg(bias),
                    e,
                    segment(y),
                    segment(mean),
                    segment(invstd),
                    seg(runningMean),
                    seg(runningVar),
                    m,
                    relu,
                    seg(residual));
        } else {
            // the statistics are constants here, kept as a snapshot: a later update of the buffers leaves this graph
            // alone
            BatchNorm.evalStatistics(c, segment(runningMean), segment(runningVar), e, segment(mean), segment(invstd));
            BatchNorm.forwardWithStatistics(
                    n,
                    c,
                    hw,
                    segment(x),
                    seg(weight),
                    seg(bias),
                    segment(mean),
                    segment(invstd),
                    relu,
                    seg(residual),
                    segment(y));
        }
        Reference.reachabilityFence(runningMean);
        Reference.reachabilityFence(runningVar);
        Reference.reachabilityFence(residual);
        return recordAffine(
                y,
                name,
                x,
                weight,
                bias,
                residual,
                new int[] {c},
                relu && residual == null,
                (g, gx, gw, gb, gr) -> BatchNorm.backward(
                        n,
                        c,
                        hw,
                        segment(x),
                        seg(weight),
                        seg(bias),
                        segment(mean),
                        segment(invstd),
                        training,
                        relu,
                        seg(residual),
                        g,
                        gx,
                        gw,
                        gb,
                        gr));
    }

    /**
     * {@code F.layer_norm(x, normalized_shape, weight, bias, eps)}: normalises over the last dimensions,
     * those of {@code normalizedShape} (the mean and biased variance of each of their slabs), then
     * {@code ·weight + bias} element-wise (shape {@code normalizedShape}; either may be null)  |  dx by the
     * layer-norm rule, dweight = Σ g·x̂ and dbias = Σ g over the leading dimensions.
     */
    public static Tensor layerNorm(Tensor x, int[] normalizedShape, Tensor weight, Tensor bias, double eps) {
        requireFloat(x, "layer_norm");
        int[] xs = x.shape();
        int k = normalizedShape.length;
        boolean fits = k >= 1
                && k <= xs.length
                && Arrays.equals(Arrays.copyOfRange(xs, xs.length - k, xs.length), normalizedShape);
        if (!fits) {
            throw new IllegalArgumentException("Given normalized_shape=" + Shapes.str(normalizedShape)
                    + ", expected input with shape [*, "
                    + Shapes.str(normalizedShape).replaceAll("^\\[|\\]$", "")
                    + "], but got input of size " + Shapes.str(xs));
        }
        for (Object[] p : new Object[][] {{"weight", weight}, {"bias", bias}}) {
            Tensor t = (Tensor) p[1];
            if (t != null && !Arrays.equals(t.shape(), normalizedShape)) {
                throw new IllegalArgumentException("layer_norm: " + p[0] + " of shape " + Shapes.str(t.shape())
                        + " does not match normalized_shape " + Shapes.str(normalizedShape));
            }
        }
        int d = Arrays.stream(normalizedShape).reduce(1, (p, q) -> p * q);
        int rows = (int) (x.numel() / d);
        Tensor y = empty(xs);
        Tensor mean = empty(new int[] {rows}), invstd = empty(new int[] {rows});
        LayerNorm.forward(
                rows, d, segment(x), seg(weight), seg(bias), (float) eps, segment(y), segment(mean), segment(invstd));
        return recordAffine(
                y,
                "layer_norm",
                x,
                weight,
                bias,
                null,
                normalizedShape.clone(),
                false,
                (g, gx, gw, gb, gr) -> LayerNorm.backward(
                        rows, d, segment(x), seg(weight), segment(mean), segment(invstd), g, gx, gw, gb));
    }

    /**
     * A normalisation's backward kernel: gradients into {@code gx}, {@code gw}, {@code gb} and the residual's
     * {@code gr} (each may be null).
     */
    private interface AffineBackward {
        void run(MemorySegment g, MemorySegment gx, MemorySegment gw, MemorySegment gb, MemorySegment gr);
    }

    /**
     * Records {@code y}, computed from {@code x} and the optional {@code weight} and {@code bias} (of shape
     * {@code paramShape}) and the optional {@code residual} (x's shape), with a backward that asks
     * {@code kernel} for the gradients that are needed; with {@code scratchGx} the kernel gets an input
     * gradient even when x's is not needed (it holds the masked gradient of a fused ReLU), released after
     * it, and likewise always a residual's gradient (with a residual, that holds it).
     */
    private static Tensor recordAffine(
            Tensor y,
            String op,
            Tensor x,
            Tensor weight,
            Tensor bias,
            Tensor residual,
            int[] paramShape,
            boolean scratchGx,
            AffineBackward kernel) {
        List<Tensor> inputs = new ArrayList<>(List.of(x));
        if (weight != null) inputs.add(weight);
        if (bias != null) inputs.add(bias);
        int wi = weight != null ? 1 : -1, bi = bias != null ? inputs.size() - 1 : -1;
        if (residual != null) inputs.add(residual);
        int ri = residual != null ? inputs.size() - 1 : -1;
        int[] xs = x.shape();
        BackwardFn fn = (g, need) -> {
            Tensor[] out = new Tensor[inputs.size()];
            Tensor gx = need[0] || scratchGx ? empty(xs) : null;
            Tensor gw = wi >= 0 && need[wi] ? empty(paramShape) : null;
            Tensor gb = bi >= 0 && need[bi] ? empty(paramShape) : null;
            Tensor gr = ri >= 0 ? empty(xs) : null;
            kernel.run(segment(g), seg(gx), seg(gw), seg(gb), seg(gr));
            if (!need[0] && gx != null) {
                gx.close();
                gx = null;
            }
            if (ri >= 0 && !need[ri]) {
                gr.close();
                gr = null;
            }
            Reference.reachabilityFence(g);
            Reference.reachabilityFence(x);
            Reference.reachabilityFence(weight);
            Reference.reachabilityFence(bias);
            Reference.reachabilityFence(residual);
            out[0] = gx;
            if (wi >= 0) out[wi] = gw;
            if (bi >= 0) out[bi] = gb;
            if (ri >= 0) out[ri] = gr;
            return out;
        };
        Tensor result = record(y, op, fn, inputs.toArray(Tensor[]::new));
        Reference.reachabilityFence(x);
        Reference.reachabilityFence(weight);
        Reference.reachabilityFence(bias);
        return result;
    }

    private static java.lang.foreign.MemorySegment seg(Tensor t) {
        return t == null ? null : segment(t);
    }
}
