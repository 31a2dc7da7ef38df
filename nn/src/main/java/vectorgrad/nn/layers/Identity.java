package vectorgrad.nn.layers;

import vectorgrad.autograd.Tensor;
import vectorgrad.nn.Layer;

/** The input unchanged, as {@code nn.Identity()}: a placeholder, e.g. a residual block's shortcut. Any shape. */
public class Identity extends Layer {
    @Override
    public Tensor forward(Tensor x) {
        return x;
    }
}
