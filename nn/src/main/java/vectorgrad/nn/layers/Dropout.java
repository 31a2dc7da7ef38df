package vectorgrad.nn.layers;

import vectorgrad.autograd.Generator;
import vectorgrad.autograd.Tensor;
import vectorgrad.nn.Functional;
import vectorgrad.nn.Layer;

/**
 * As {@code nn.Dropout(p=0.5)}: in training mode each element is zeroed with probability p and the rest
 * scaled by 1/(1-p); in eval mode the identity. Masks come from the default generator. Any shape.
 */
public class Dropout extends Layer {
    protected final double p;
    protected final Generator generator;

    public Dropout() {
        this(0.5);
    }

    public Dropout(double p) {
        this(p, Tensor.defaultGenerator());
    }

    public Dropout(double p, Generator generator) {
        if (!(p >= 0 && p <= 1))
            throw new IllegalArgumentException("dropout probability has to be between 0 and 1, but got " + p);
        this.p = p;
        this.generator = generator;
    }

    @Override
    public Tensor forward(Tensor x) {
        return Functional.dropout(x, p, isTraining(), generator);
    }

    @Override
    protected String extraRepr() {
        return "p=" + p;
    }
}
