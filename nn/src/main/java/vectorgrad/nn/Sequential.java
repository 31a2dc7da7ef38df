package vectorgrad.nn;

import java.util.List;
import vectorgrad.autograd.Tensor;
import vectorgrad.nn.layers.AbstractBatchNorm;
import vectorgrad.nn.layers.BatchNorm1d;
import vectorgrad.nn.layers.BatchNorm2d;
import vectorgrad.nn.layers.Conv2d;
import vectorgrad.nn.layers.ReLU;

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

    /**
     * Each layer's forward in turn; a {@link Conv2d}, {@link BatchNorm1d} or {@link BatchNorm2d} followed by a
     * {@link ReLU} (those classes exactly, not subclasses, whose forward may differ) runs as one op,
     * {@link Conv2d#forwardRelu} or {@link AbstractBatchNorm#forwardRelu}: the same values.
     */
    @Override
    public Tensor forward(Tensor x) {
        for (int i = 0; i < layers.size(); i++) {
            Layer l = layers.get(i);
            boolean reluNext = i + 1 < layers.size() && layers.get(i + 1).getClass() == ReLU.class;
            if (reluNext && l.getClass() == Conv2d.class) {
                x = ((Conv2d) l).forwardRelu(x);
                i++;
            } else if (reluNext && (l.getClass() == BatchNorm1d.class || l.getClass() == BatchNorm2d.class)) {
                x = ((AbstractBatchNorm) l).forwardRelu(x);
                i++;
            } else {
                x = l.forward(x);
            }
        }
        return x;
    }

    public Layer get(int i) {
        return layers.get(i);
    }

    public int size() {
        return layers.size();
    }
}
