package vectorgrad.nn.layers;

import vectorgrad.autograd.Tensor;
import vectorgrad.nn.Layer;

/** {@code max(x, 0)} elementwise, as {@code nn.ReLU()}. Any shape. */
public class ReLU extends Layer {
    @Override
    public Tensor forward(Tensor x) {
        return x.relu();
    }
}
