package vectorgrad.nn.layers;

import vectorgrad.autograd.Tensor;
import vectorgrad.nn.Layer;

/**
 * Flattens dimensions {@code startDim..endDim}, as {@code nn.Flatten(start_dim=1, end_dim=-1)}:
 * {@code [B × 64 × 12 × 12]} → {@code [B × 9216]}. Shares memory with its input.
 */
public class Flatten extends Layer {
    private final int startDim, endDim;

    public Flatten() {
        this(1, -1);
    }

    public Flatten(int startDim) {
        this(startDim, -1);
    }

    public Flatten(int startDim, int endDim) {
        this.startDim = startDim;
        this.endDim = endDim;
    }

    @Override
    public Tensor forward(Tensor x) {
        return x.flatten(startDim, endDim);
    }

    @Override
    protected String extraRepr() {
        return "start_dim=" + startDim + ", end_dim=" + endDim;
    }
}
