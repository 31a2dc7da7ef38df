package vectorgrad.nn.layers;

import vectorgrad.autograd.Tensor;
import vectorgrad.nn.Functional;
import vectorgrad.nn.Layer;

/** {@code x·Φ(x)}, as {@code nn.GELU(approximate='none')}; {@code "tanh"} for the tanh approximation. Any shape. */
public class GELU extends Layer {
    private final String approximate;

    public GELU() {
        this("none");
    }

    public GELU(String approximate) {
        if (!"none".equals(approximate) && !"tanh".equals(approximate))
            throw new IllegalArgumentException("GELU: approximate must be \"none\" or \"tanh\", got " + approximate);
        this.approximate = approximate;
    }

    @Override
    public Tensor forward(Tensor x) {
        return Functional.gelu(x, approximate);
    }

    @Override
    protected String extraRepr() {
        return "approximate='" + approximate + "'";
    }
}
