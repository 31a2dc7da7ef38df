package vectorgrad.nn.optim;

import java.util.Map;
import vectorgrad.autograd.Tensor;
import vectorgrad.autograd.internal.OptimizerSteps;

/**
 * Adagrad, as {@code torch.optim.Adagrad}.
 *
 * <h2>Contract</h2>
 * Defaults: {@code lr = 1e-2}, {@code lrDecay = 0}, {@code weightDecay = 0},
 * {@code initialAccumulatorValue = 0}, {@code eps = 1e-10}. State per parameter: {@code step} and
 * {@code sum} (filled with the initial accumulator value). Step t (from 1):
 * {@code clr = lr / (1 + (t-1)·lrDecay)}, {@code sum ← sum + g²}, {@code p ← p - clr·g/(sqrt(sum) + eps)},
 * in one fused pass.
 */
public final class Adagrad extends Optimizer {
    private final double lrDecay, weightDecay, initialAccumulatorValue, eps;
    private final TensorState state = new TensorState();
    private final Map<String, Float> initialState;

    public Adagrad(Iterable<? extends Tensor> params) {
        this(params, 1e-2, 0, 0, 0, 1e-10);
    }

    public Adagrad(
            Iterable<? extends Tensor> params,
            double lr,
            double lrDecay,
            double weightDecay,
            double initialAccumulatorValue,
            double eps) {
        super(params, lr, weightDecay);
        this.lrDecay = nonNegative("lr_decay", lrDecay);
        this.weightDecay = weightDecay;
        this.initialAccumulatorValue = nonNegative("initial_accumulator_value", initialAccumulatorValue);
        this.eps = nonNegative("epsilon", eps);
        // PyTorch fills the state at construction; here on first use, with the same values
        this.initialState = Map.of("sum", (float) initialAccumulatorValue);
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
            double clr = lr / (1 + (s.step - 1) * lrDecay);
            OptimizerSteps.adagrad(p, g, s.tensors.get("sum"), clr, eps, weightDecay);
        }
    }

    @Override
    protected Map<String, Tensor> parameterState(Tensor p) {
        return state.copy(p);
    }

    @Override
    protected void loadParameterState(Tensor p, Map<String, Tensor> st) {
        state.load(p, st, "sum");
    }

    @Override
    protected Map<String, String> hyperParameters() {
        return Map.of(
                "lr_decay", Double.toString(lrDecay),
                "weight_decay", Double.toString(weightDecay),
                "initial_accumulator_value", Double.toString(initialAccumulatorValue),
                "eps", Double.toString(eps));
    }
}
