package vectorgrad.nn.loss;

import vectorgrad.autograd.Tensor;
import vectorgrad.nn.Functional;

/** {@code (input - target)²}, as {@code nn.MSELoss(reduction='mean')}; shapes broadcast. */
public class MSELoss extends Loss {

    public MSELoss() {
        this("mean");
    }

    public MSELoss(String reduction) {
        super(reduction);
    }

    @Override
    public Tensor forward(Tensor input, Tensor target) {
        return Functional.mseLoss(input, target, reduction);
    }
}
