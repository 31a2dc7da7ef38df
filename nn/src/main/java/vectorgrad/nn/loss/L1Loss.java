package vectorgrad.nn.loss;

import vectorgrad.autograd.Tensor;
import vectorgrad.nn.Functional;

/** {@code |input - target|}, as {@code nn.L1Loss(reduction='mean')}; shapes broadcast. */
public class L1Loss extends Loss {

    public L1Loss() {
        this("mean");
    }

    public L1Loss(String reduction) {
        super(reduction);
    }

    @Override
    public Tensor forward(Tensor input, Tensor target) {
        return Functional.l1Loss(input, target, reduction);
    }
}
