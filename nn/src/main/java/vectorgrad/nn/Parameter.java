package vectorgrad.nn;

import vectorgrad.autograd.Tensor;

/**
 * A tensor that a {@link Module} optimises: a leaf that requires grad, found by {@link Module#parameters()}
 * when held in a field (as {@code nn.Parameter} assigned to an attribute in PyTorch). It shares memory
 * with the tensor it wraps.
 */
public class Parameter extends Tensor {
    public Parameter(Tensor data) {
        this(data, true);
    }

    public Parameter(Tensor data, boolean requiresGrad) {
        super(data);
        requiresGrad(requiresGrad);
    }

    @Override
    public String toString() {
        return "Parameter containing:\n" + super.toString();
    }
}
