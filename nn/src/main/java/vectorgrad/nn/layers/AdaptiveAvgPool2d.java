package vectorgrad.nn.layers;

import vectorgrad.autograd.Tensor;
import vectorgrad.nn.Functional;
import vectorgrad.nn.Layer;

/**
 * Average pooling to a fixed output size, as {@code nn.AdaptiveAvgPool2d(output_size)}: output {@code i}
 * averages input rows {@code [⌊i·H/oh⌋, ⌈(i+1)·H/oh⌉)}, likewise columns. {@code AdaptiveAvgPool2d(1)} is
 * global average pooling: {@code [B, C, H, W]} → {@code [B, C, 1, 1]}.
 */
public class AdaptiveAvgPool2d extends Layer {
    private final int[] outputSize;

    /** One size for both dimensions, or {@code (h, w)}; -1 keeps the input's size there (PyTorch's None). */
    public AdaptiveAvgPool2d(int... outputSize) {
        if (outputSize.length < 1 || outputSize.length > 2)
            throw new IllegalArgumentException("AdaptiveAvgPool2d: output_size is one int or a pair");
        for (int v : outputSize)
            if (v == 0 || v < -1)
                throw new IllegalArgumentException("AdaptiveAvgPool2d: output_size must be positive, got " + v);
        this.outputSize = outputSize.clone();
    }

    @Override
    public Tensor forward(Tensor x) {
        return Functional.adaptiveAvgPool2d(x, outputSize);
    }

    @Override
    protected String extraRepr() {
        return "output_size=" + LayerText.intOrPair(outputSize).replace("-1", "None");
    }
}
