package vectorgrad.nn.layers;

import java.util.Arrays;
import vectorgrad.autograd.Tensor;
import vectorgrad.nn.Functional;
import vectorgrad.nn.Layer;
import vectorgrad.nn.Parameter;

/**
 * Layer normalisation, as {@code nn.LayerNorm(normalized_shape, eps=1e-5, elementwise_affine=True)}:
 * each slab over the last dimensions ({@code normalizedShape}, e.g. {@code [C]} for a transformer's
 * {@code [B, T, C]}) is normalised by its own mean and biased variance, then scaled by {@code weight} and
 * shifted by {@code bias} (shape {@code normalizedShape}, initialised to ones and zeros), in training and
 * evaluation alike.
 */
public class LayerNorm extends Layer {
    /** Null without the element-wise affine transform. */
    public final Parameter weight, bias;

    private final int[] normalizedShape;
    private final double eps;

    public LayerNorm(int... normalizedShape) {
        this(normalizedShape, 1e-5, true);
    }

    public LayerNorm(int[] normalizedShape, double eps, boolean elementwiseAffine) {
        if (normalizedShape.length == 0 || Arrays.stream(normalizedShape).anyMatch(s -> s <= 0))
            throw new IllegalArgumentException("LayerNorm: normalized_shape must be non-empty and positive, got "
                    + Arrays.toString(normalizedShape));
        this.normalizedShape = normalizedShape.clone();
        this.eps = eps;
        this.weight = elementwiseAffine ? new Parameter(Tensor.ones(normalizedShape)) : null;
        this.bias = elementwiseAffine ? new Parameter(Tensor.zeros(normalizedShape)) : null;
    }

    @Override
    public Tensor forward(Tensor x) {
        return Functional.layerNorm(x, normalizedShape, weight, bias, eps);
    }

    public int[] normalizedShape() {
        return normalizedShape.clone();
    }

    @Override
    protected String extraRepr() {
        String shape = Arrays.toString(normalizedShape)
                .replace('[', '(')
                .replace("]", normalizedShape.length == 1 ? ",)" : ")");
        return shape + ", eps=" + eps + ", elementwise_affine=" + (weight != null ? "True" : "False");
    }
}
