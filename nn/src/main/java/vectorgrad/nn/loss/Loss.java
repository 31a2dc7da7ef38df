package vectorgrad.nn.loss;

import vectorgrad.autograd.Tensor;
import vectorgrad.nn.Module;

/**
 * A loss as a module, as PyTorch's {@code nn.*Loss} classes: {@code forward(input, target)} with the
 * reduction given at construction ({@code "mean"} by default, {@code "sum"} or {@code "none"}).
 */
public abstract class Loss extends Module {
    protected final String reduction;

    protected Loss(String reduction) {
        if (!"mean".equals(reduction) && !"sum".equals(reduction) && !"none".equals(reduction))
            throw new IllegalArgumentException(reduction + " is not a valid value for reduction (none, mean, sum)");
        this.reduction = reduction;
    }

    public abstract Tensor forward(Tensor input, Tensor target);

    @Override
    protected String extraRepr() {
        return "mean".equals(reduction) ? "" : "reduction=" + reduction;
    }
}
