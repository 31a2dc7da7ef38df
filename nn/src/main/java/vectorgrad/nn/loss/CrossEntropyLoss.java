package vectorgrad.nn.loss;

import vectorgrad.autograd.Tensor;
import vectorgrad.nn.Functional;

/** Cross-entropy of logits {@code [B, C]} against int32 class indices {@code [B]}, as {@code nn.CrossEntropyLoss(weight=None, ignore_index=-100, reduction='mean', label_smoothing=0.0)}. */
public class CrossEntropyLoss extends Loss {
    private final Tensor weight;
    private final int ignoreIndex;
    private final double labelSmoothing;

    public CrossEntropyLoss() {
        this(null, -100, "mean", 0.0);
    }

    public CrossEntropyLoss(Tensor weight, int ignoreIndex, String reduction, double labelSmoothing) {
        super(reduction);
        this.weight = weight;
        this.ignoreIndex = ignoreIndex;
        this.labelSmoothing = labelSmoothing;
    }

    @Override
    public Tensor forward(Tensor input, Tensor target) {
        return Functional.crossEntropy(input, target, weight, ignoreIndex, labelSmoothing, reduction);
    }
}
