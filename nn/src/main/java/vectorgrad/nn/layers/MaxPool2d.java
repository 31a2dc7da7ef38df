package vectorgrad.nn.layers;

import vectorgrad.autograd.NeuralOps;
import vectorgrad.autograd.Tensor;
import vectorgrad.nn.Layer;

/**
 * Max pooling, as {@code nn.MaxPool2d(kernel_size, stride=kernel_size, padding=0, dilation=1, ceil_mode=False)}.
 * Shapes: {@code [B × C × H × W]} → {@code [B × C × H' × W']}, e.g. 2: {@code [B × 64 × 24 × 24]} → {@code [B × 64 × 12 × 12]}.
 */
public class MaxPool2d extends Layer {
    private final int kernel, stride, padding, dilation;
    private final boolean ceilMode;

    public MaxPool2d(int kernelSize) {
        this(kernelSize, kernelSize, 0, 1, false);
    }

    public MaxPool2d(int kernelSize, int stride, int padding, int dilation, boolean ceilMode) {
        this.kernel = kernelSize;
        this.stride = stride;
        this.padding = padding;
        this.dilation = dilation;
        this.ceilMode = ceilMode;
        if (kernelSize <= 0 || stride <= 0) throw new IllegalArgumentException("MaxPool2d: kernel size and stride must be positive, got " + kernelSize + ", " + stride);
    }

    @Override
    public Tensor forward(Tensor x) {
        return NeuralOps.maxPool2d(x, new int[] {kernel, kernel}, new int[] {stride, stride}, new int[] {padding, padding},
                new int[] {dilation, dilation}, ceilMode);
    }

    @Override
    protected String extraRepr() {
        return "kernel_size=" + kernel + ", stride=" + stride + ", padding=" + padding + ", dilation=" + dilation + ", ceil_mode=" + (ceilMode ? "True" : "False");
    }
}
