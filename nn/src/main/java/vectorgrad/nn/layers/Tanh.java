package vectorgrad.nn.layers;

import vectorgrad.autograd.Tensor;
import vectorgrad.nn.Layer;

/** {@code tanh(x)} elementwise, as {@code nn.Tanh()}. Any shape. */
public class Tanh extends Layer {
    @Override
    public Tensor forward(Tensor x) {
        return x.tanh();
    }
}
