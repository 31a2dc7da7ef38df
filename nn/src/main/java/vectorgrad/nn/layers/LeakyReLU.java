package vectorgrad.nn.layers;

import vectorgrad.autograd.Tensor;
import vectorgrad.nn.Functional;
import vectorgrad.nn.Layer;

/** {@code x} where positive, {@code negative_slope·x} elsewhere, as {@code nn.LeakyReLU(negative_slope=0.01)}. */
public class LeakyReLU extends Layer {
    private final double negativeSlope;

    public LeakyReLU() {
        this(0.01);
    }

    public LeakyReLU(double negativeSlope) {
        this.negativeSlope = negativeSlope;
    }

    @Override
    public Tensor forward(Tensor x) {
        return Functional.leakyRelu(x, negativeSlope);
    }

    @Override
    protected String extraRepr() {
        return "negative_slope=" + negativeSlope;
    }
}
