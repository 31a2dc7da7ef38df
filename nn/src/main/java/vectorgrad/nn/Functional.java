package vectorgrad.nn;

import vectorgrad.autograd.NeuralOps;
import vectorgrad.autograd.Tensor;

/** {@code torch.nn.functional}'s names for the ops the layers use. */
public final class Functional {
    private Functional() {}

    public static Tensor crossEntropy(Tensor input, Tensor target) {
        return NeuralOps.crossEntropy(input, target, NeuralOps.Reduction.MEAN);
    }

    /** {@code reduction}: "none", "mean" or "sum", as PyTorch. */
    public static Tensor crossEntropy(Tensor input, Tensor target, String reduction) {
        return NeuralOps.crossEntropy(input, target, switch (reduction) {
            case "none" -> NeuralOps.Reduction.NONE;
            case "mean" -> NeuralOps.Reduction.MEAN;
            case "sum" -> NeuralOps.Reduction.SUM;
            default -> throw new IllegalArgumentException(reduction + " is not a valid value for reduction (none, mean, sum)");
        });
    }

    public static Tensor softmax(Tensor x, int dim) {
        return NeuralOps.softmax(x, dim);
    }

    public static Tensor logSoftmax(Tensor x, int dim) {
        return NeuralOps.logSoftmax(x, dim);
    }

    public static Tensor relu(Tensor x) {
        return x.relu();
    }
}
