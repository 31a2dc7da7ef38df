package vectorgrad.autograd.internal;

import java.lang.ref.Reference;
import vectorgrad.autograd.Tensor;
import vectorgrad.kernels.OptimKernels;

/**
 * The optimizers' updates, fused into one pass over each parameter buffer (the kernels read the parameter,
 * its gradient and the state once and write them once). The arithmetic, its rounding and the state's
 * meaning are documented with each optimizer in {@code vectorgrad.nn.optim}.
 */
public final class OptimizerSteps {
    private OptimizerSteps() {}

    /**
     * Adam (or AdamW with {@code decoupled}) in place: {@code expAvg}, {@code expAvgSq} (and {@code maxExpAvgSq}
     * for amsgrad, else null) are updated and {@code p -= stepSize · m / (sqrt(v)/sqrt(bc2) + eps)}.
     */
    public static void adam(
            Tensor p,
            Tensor grad,
            Tensor expAvg,
            Tensor expAvgSq,
            Tensor maxExpAvgSq,
            double beta1,
            double beta2,
            double eps,
            double weightDecay,
            double stepSize,
            double biasCorrection2) {
        OptimKernels.adam(
                p.numel(),
                TensorAccess.segment(p),
                TensorAccess.segment(grad),
                TensorAccess.segment(expAvg),
                TensorAccess.segment(expAvgSq),
                maxExpAvgSq == null ? null : TensorAccess.segment(maxExpAvgSq),
                (float) (1 - beta1),
                (float) beta2,
                (float) (1 - beta2),
                (float) eps,
                (float) weightDecay,
                (float) stepSize,
                (float) Math.sqrt(biasCorrection2));
        Reference.reachabilityFence(p);
        Reference.reachabilityFence(grad);
        Reference.reachabilityFence(expAvg);
        Reference.reachabilityFence(expAvgSq);
        Reference.reachabilityFence(maxExpAvgSq);
    }

    /** SGD with optional momentum (buffer {@code buf}, null without momentum), dampening, Nesterov, weight decay. */
    public static void sgd(
            Tensor p,
            Tensor grad,
            Tensor buf,
            boolean firstStep,
            double lr,
            double momentum,
            double dampening,
            boolean nesterov,
            double weightDecay) {
        OptimKernels.sgd(
                p.numel(),
                TensorAccess.segment(p),
                TensorAccess.segment(grad),
                buf == null ? null : TensorAccess.segment(buf),
                firstStep,
                (float) lr,
                (float) momentum,
                (float) (1 - dampening),
                nesterov,
                (float) weightDecay);
        Reference.reachabilityFence(p);
        Reference.reachabilityFence(grad);
        Reference.reachabilityFence(buf);
    }

    /** RMSprop in place; {@code gradAvg} only when centered, {@code buf} only with momentum (else null). */
    public static void rmsprop(
            Tensor p,
            Tensor grad,
            Tensor squareAvg,
            Tensor gradAvg,
            Tensor buf,
            double lr,
            double alpha,
            double eps,
            double weightDecay,
            double momentum) {
        OptimKernels.rmsprop(
                p.numel(),
                TensorAccess.segment(p),
                TensorAccess.segment(grad),
                TensorAccess.segment(squareAvg),
                gradAvg == null ? null : TensorAccess.segment(gradAvg),
                buf == null ? null : TensorAccess.segment(buf),
                (float) lr,
                (float) alpha,
                (float) eps,
                (float) weightDecay,
                (float) momentum);
        Reference.reachabilityFence(p);
        Reference.reachabilityFence(grad);
        Reference.reachabilityFence(squareAvg);
        Reference.reachabilityFence(gradAvg);
        Reference.reachabilityFence(buf);
    }

    /** Adagrad in place with the step's learning rate {@code clr} already decayed. */
    public static void adagrad(Tensor p, Tensor grad, Tensor sum, double clr, double eps, double weightDecay) {
        OptimKernels.adagrad(
                p.numel(),
                TensorAccess.segment(p),
                TensorAccess.segment(grad),
                TensorAccess.segment(sum),
                (float) clr,
                (float) eps,
                (float) weightDecay);
        Reference.reachabilityFence(p);
        Reference.reachabilityFence(grad);
        Reference.reachabilityFence(sum);
    }

    /** {@code p ← p·factor} in place (AdamW's decoupled weight decay), rounded as a float32 multiply. */
    public static void scale(Tensor p, double factor) {
        java.lang.foreign.MemorySegment m = TensorAccess.segment(p);
        vectorgrad.kernels.Elementwise.affine(m, 0, (float) factor, 0f, m, 0, p.numel());
        Reference.reachabilityFence(p);
    }
}
