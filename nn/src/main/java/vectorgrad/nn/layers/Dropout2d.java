package vectorgrad.nn.layers;

import vectorgrad.autograd.Generator;
import vectorgrad.autograd.Tensor;
import vectorgrad.nn.Functional;

/**
 * As {@code nn.Dropout2d(p=0.5)}: in training mode whole channels of {@code [B × C × H × W]} are zeroed
 * with probability p and the rest scaled by 1/(1-p); identity in eval mode. On 2-D input
 * {@code [B × features]} (the textbook applies it after a Linear layer) it drops single elements, as
 * PyTorch does, and warns once.
 */
public class Dropout2d extends Dropout {
    public Dropout2d() {
        super(0.5);
    }

    public Dropout2d(double p) {
        super(p);
    }

    public Dropout2d(double p, Generator generator) {
        super(p, generator);
    }

    @Override
    public Tensor forward(Tensor x) {
        return Functional.dropout2d(x, p, isTraining(), generator);
    }
}
