package vectorgrad.nn;

import java.util.List;
import vectorgrad.autograd.Tensor;

/**
 * Layers applied one after the other, as {@code nn.Sequential}; children are named "0", "1", ..., so a
 * {@code Sequential} in field {@code f} has parameters {@code f.0.weight}, {@code f.0.bias}, ...
 */
public class Sequential extends Layer {
    private final List<Layer> layers;

    public Sequential(Layer... layers) {
        this.layers = List.of(layers);
        for (int i = 0; i < layers.length; i++) registerModule(Integer.toString(i), layers[i]);
    }

    @Override
    public Tensor forward(Tensor x) {
        for (Layer l : layers) x = l.forward(x);
        return x;
    }

    public Layer get(int i) {
        return layers.get(i);
    }

    public int size() {
        return layers.size();
    }
}
