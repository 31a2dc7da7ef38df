package vectorgrad.nn.loss;

import vectorgrad.autograd.Tensor;
import vectorgrad.nn.Functional;

/** {@code 0.5·d²/β} where {@code d = |input - target| < β}, {@code d - β/2} elsewhere, as {@code nn.SmoothL1Loss(reduction='mean', beta=1.0)}. */
public class SmoothL1Loss extends Loss {
    private final double beta;

    public SmoothL1Loss() {
        this("mean", 1.0);
    }

    public SmoothL1Loss(String reduction, double beta) {
        super(reduction);
        this.beta = beta;
    }

    @Override
    public Tensor forward(Tensor input, Tensor target) {
        return Functional.smoothL1Loss(input, target, reduction, beta);
    }
}
