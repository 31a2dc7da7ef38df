package vectorgrad.nn.layers;

import vectorgrad.autograd.Tensor;
import vectorgrad.nn.Functional;
import vectorgrad.nn.Layer;

/** {@code x·σ(x)} elementwise, as {@code nn.SiLU()}. Any shape. */
public class SiLU extends Layer {
    @Override
    public Tensor forward(Tensor x) {
        return Functional.silu(x);
    }
}
