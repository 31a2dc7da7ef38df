package vectorgrad.nn.optim;

import vectorgrad.autograd.Tensor;

/**
 * AdamW, exactly as {@code torch.optim.AdamW} (single-tensor CPU path): Adam with decoupled weight decay.
 *
 * <h2>Contract</h2>
 * <ul>
 *   <li>Defaults: {@code lr = 1e-3}, {@code betas = (0.9, 0.999)}, {@code eps = 1e-8},
 *       {@code weightDecay = 1e-2}, {@code amsgrad = false}.</li>
 *   <li>Update: {@code p ← p·(1 - lr·weightDecay)}, then Adam's update with no weight decay in the
 *       gradient (see {@link Adam}); state and {@link #stateDict()} as Adam's.</li>
 *   <li>To decay only some parameters (weights but not biases and norms, say), give
 *       {@link ParamGroups} with {@code weightDecay(0)} on the others.</li>
 * </ul>
 */
public final class AdamW extends Adam {
    public AdamW(Iterable<? extends Tensor> params) {
        this(params, 1e-3);
    }

    public AdamW(Iterable<? extends Tensor> params, double lr) {
        this(params, lr, 0.9, 0.999, 1e-8, 1e-2, false);
    }

    public AdamW(
            Iterable<? extends Tensor> params,
            double lr,
            double beta1,
            double beta2,
            double eps,
            double weightDecay,
            boolean amsgrad) {
        super(params, lr, beta1, beta2, eps, weightDecay, amsgrad, true);
    }
}
