package vectorgrad.nn.loss;

import vectorgrad.autograd.Tensor;
import vectorgrad.nn.Functional;

/** Binary cross-entropy of probabilities, as {@code nn.BCELoss(weight=None, reduction='mean')}; weight (may be null) broadcasts. */
public class BCELoss extends Loss {
    private final Tensor weight;

    public BCELoss() {
        this(null, "mean");
    }

    public BCELoss(Tensor weight, String reduction) {
        super(reduction);
        this.weight = weight;
    }

    @Override
    public Tensor forward(Tensor input, Tensor target) {
        return Functional.binaryCrossEntropy(input, target, weight, reduction);
    }
}
