package vectorgrad.nn.optim;

import java.util.LinkedHashMap;
import java.util.Map;
import vectorgrad.autograd.Tensor;
import vectorgrad.autograd.internal.OptimizerSteps;

/**
 * RMSprop, as {@code torch.optim.RMSprop}.
 *
 * <h2>Contract</h2>
 * Defaults: {@code lr = 1e-2}, {@code alpha = 0.99}, {@code eps = 1e-8}, {@code weightDecay = 0},
 * {@code momentum = 0}, {@code centered = false}. State per parameter (PyTorch's names): {@code step},
 * {@code square_avg} (zeros), {@code momentum_buffer} (with momentum), {@code grad_avg} (centered). Update
 * ({@link vectorgrad.autograd.internal.OptimizerSteps#rmsprop}, one fused pass):
 * {@code sq ← α·sq + (1-α)·g²}; {@code avg = sqrt(sq - ga²) + eps} when centered, else
 * {@code sqrt(sq) + eps}; {@code p ← p - lr·g/avg}, or through the momentum buffer.
 */
public final class RMSprop extends Optimizer {
    private final double alpha, eps, weightDecay, momentum;
    private final boolean centered;
    private final TensorState state = new TensorState();
    private final Map<String, Float> initialState; // each state tensor's name and starting value

    public RMSprop(Iterable<? extends Tensor> params) {
        this(params, 1e-2, 0.99, 1e-8, 0, 0, false);
    }

    public RMSprop(
            Iterable<? extends Tensor> params,
            double lr,
            double alpha,
            double eps,
            double weightDecay,
            double momentum,
            boolean centered) {
        super(params, lr, weightDecay);
        this.alpha = nonNegative("alpha", alpha);
        this.eps = nonNegative("epsilon", eps);
        this.weightDecay = weightDecay;
        this.momentum = nonNegative("momentum", momentum);
        this.centered = centered;
        Map<String, Float> names = new LinkedHashMap<>();
        names.put("square_avg", 0f);
        if (momentum > 0) names.put("momentum_buffer", 0f);
        if (centered) names.put("grad_avg", 0f);
        this.initialState = java.util.Collections.unmodifiableMap(names); // insertion order: the state dict's order
    }

    @Override
    public void step() {
        for (ParamGroup group : groups) {
            double lr = group.lr(), weightDecay = group.weightDecay();
            for (Tensor p : group.params()) step(p, lr, weightDecay);
        }
    }

    private void step(Tensor p, double lr, double weightDecay) {
        {
            Tensor g = gradToApply(p);
            if (g == null) return;
            TensorState.Entry s = state.of(p, initialState);
            s.step++;
            OptimizerSteps.rmsprop(
                    p,
                    g,
                    s.tensors.get("square_avg"),
                    s.tensors.get("grad_avg"),
                    s.tensors.get("momentum_buffer"),
                    lr,
                    alpha,
                    eps,
                    weightDecay,
                    momentum);
        }
    }

    @Override
    protected Map<String, Tensor> parameterState(Tensor p) {
        return state.copy(p);
    }

    @Override
    protected void loadParameterState(Tensor p, Map<String, Tensor> st) {
        state.load(p, st, initialState.keySet().toArray(String[]::new));
    }

    @Override
    protected Map<String, String> hyperParameters() {
        return Map.of(
                "alpha", Double.toString(alpha),
                "eps", Double.toString(eps),
                "weight_decay", Double.toString(weightDecay),
                "momentum", Double.toString(momentum),
                "centered", Boolean.toString(centered));
    }
}
