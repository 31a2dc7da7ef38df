package vectorgrad.nn.layers;

import vectorgrad.autograd.Generator;
import vectorgrad.autograd.Tensor;
import vectorgrad.nn.Functional;
import vectorgrad.nn.Layer;
import vectorgrad.nn.Parameter;

/**
 * {@code y = x·Wᵀ + b}, as {@code nn.Linear(in_features, out_features, bias=True)}.
 * Shapes: x {@code [B × in]} → y {@code [B × out]}; weight {@code [out × in]}, bias {@code [out]}.
 * Initialisation (PyTorch's): weight and bias ~ U(-1/√in, 1/√in) from the default generator.
 */
public class Linear extends Layer {
    public final Parameter weight;
    public final Parameter bias;
    private final int in, out;

    public Linear(int inFeatures, int outFeatures) {
        this(inFeatures, outFeatures, true, Tensor.defaultGenerator());
    }

    public Linear(int inFeatures, int outFeatures, boolean bias, Generator g) {
        if (inFeatures <= 0 || outFeatures <= 0)
            throw new IllegalArgumentException(
                    "Linear: features must be positive, got " + inFeatures + " -> " + outFeatures);
        this.in = inFeatures;
        this.out = outFeatures;
        float bound = (float) (1 / Math.sqrt(inFeatures));
        this.weight = new Parameter(Tensor.uniform(g, -bound, bound, outFeatures, inFeatures));
        this.bias = bias ? new Parameter(Tensor.uniform(g, -bound, bound, outFeatures)) : null;
    }

    @Override
    public Tensor forward(Tensor x) {
        return Functional.linear(x, weight, bias);
    }

    @Override
    protected String extraRepr() {
        return "in_features=" + in + ", out_features=" + out + ", bias=" + (bias != null ? "True" : "False");
    }
}
