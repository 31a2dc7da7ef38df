package vectorgrad.nn.layers;

import vectorgrad.autograd.Tensor;
import vectorgrad.nn.Functional;
import vectorgrad.nn.Layer;

/** log(softmax) along {@code dim}, as {@code nn.LogSoftmax(dim)}. */
public class LogSoftmax extends Layer {
    private final int dim;

    public LogSoftmax(int dim) {
        this.dim = dim;
    }

    @Override
    public Tensor forward(Tensor x) {
        return Functional.logSoftmax(x, dim);
    }

    @Override
    protected String extraRepr() {
        return "dim=" + dim;
    }
}
