package vectorgrad.nn.loss;

import vectorgrad.autograd.Tensor;
import vectorgrad.nn.Functional;

/** Sigmoid and binary cross-entropy in one stable formula, as {@code nn.BCEWithLogitsLoss(weight=None, reduction='mean', pos_weight=None)}. */
public class BCEWithLogitsLoss extends Loss {
    private final Tensor weight, posWeight;

    public BCEWithLogitsLoss() {
        this(null, "mean", null);
    }

    public BCEWithLogitsLoss(Tensor weight, String reduction, Tensor posWeight) {
        super(reduction);
        this.weight = weight;
        this.posWeight = posWeight;
    }

    @Override
    public Tensor forward(Tensor input, Tensor target) {
        return Functional.binaryCrossEntropyWithLogits(input, target, weight, posWeight, reduction);
    }
}
