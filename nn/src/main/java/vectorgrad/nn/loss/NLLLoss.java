package vectorgrad.nn.loss;

import vectorgrad.autograd.Tensor;
import vectorgrad.nn.Functional;

/** Negative log-likelihood of log-probabilities {@code [B, C]} at int32 targets {@code [B]}, as {@code nn.NLLLoss(weight=None, ignore_index=-100, reduction='mean')}. */
public class NLLLoss extends Loss {
    private final Tensor weight;
    private final int ignoreIndex;

    public NLLLoss() {
        this(null, -100, "mean");
    }

    public NLLLoss(Tensor weight, int ignoreIndex, String reduction) {
        super(reduction);
        this.weight = weight;
        this.ignoreIndex = ignoreIndex;
    }

    @Override
    public Tensor forward(Tensor input, Tensor target) {
        return Functional.nllLoss(input, target, weight, ignoreIndex, reduction);
    }
}
