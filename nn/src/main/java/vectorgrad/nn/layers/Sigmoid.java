package vectorgrad.nn.layers;

import vectorgrad.autograd.Tensor;
import vectorgrad.nn.Layer;

/** {@code 1/(1 + e^{-x})} elementwise, as {@code nn.Sigmoid()}. Any shape. */
public class Sigmoid extends Layer {
    @Override
    public Tensor forward(Tensor x) {
        return x.sigmoid();
    }
}
