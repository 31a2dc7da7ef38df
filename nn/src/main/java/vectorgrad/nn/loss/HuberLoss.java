package vectorgrad.nn.loss;

import vectorgrad.autograd.Tensor;
import vectorgrad.nn.Functional;

/** {@code 0.5·d²} where {@code d < δ}, {@code δ·(d - δ/2)} elsewhere, as {@code nn.HuberLoss(reduction='mean', delta=1.0)}. */
public class HuberLoss extends Loss {
    private final double delta;

    public HuberLoss() {
        this("mean", 1.0);
    }

    public HuberLoss(String reduction, double delta) {
        super(reduction);
        this.delta = delta;
    }

    @Override
    public Tensor forward(Tensor input, Tensor target) {
        return Functional.huberLoss(input, target, reduction, delta);
    }
}
