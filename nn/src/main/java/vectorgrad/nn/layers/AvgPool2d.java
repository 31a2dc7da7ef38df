package vectorgrad.nn.layers;

import java.util.Arrays;
import vectorgrad.autograd.Tensor;
import vectorgrad.nn.Functional;
import vectorgrad.nn.Layer;

/**
 * Average pooling, as {@code nn.AvgPool2d(kernel_size, stride=kernel_size, padding=0, ceil_mode=False,
 * count_include_pad=True)}: each output is the mean of its window (with {@code countIncludePad}, the
 * padding's zeros count in the divisor). Input {@code [B, C, H, W]} or {@code [C, H, W]}.
 */
public class AvgPool2d extends Layer {
    private final int[] kernel, stride, padding;
    private final boolean ceilMode, countIncludePad;

    public AvgPool2d(int kernelSize) {
        this(new int[] {kernelSize}, null, new int[] {0}, false, true);
    }

    public AvgPool2d(int kernelSize, int stride, int padding) {
        this(new int[] {kernelSize}, new int[] {stride}, new int[] {padding}, false, true);
    }

    /** Each size one int or {@code {h, w}}; a null stride is the kernel size. */
    public AvgPool2d(int[] kernelSize, int[] stride, int[] padding, boolean ceilMode, boolean countIncludePad) {
        this.kernel = kernelSize.clone();
        this.stride = stride == null ? kernelSize.clone() : stride.clone();
        this.padding = padding.clone();
        this.ceilMode = ceilMode;
        this.countIncludePad = countIncludePad;
        for (int[] v : new int[][] {kernel, this.stride, this.padding})
            if (v.length < 1 || v.length > 2)
                throw new IllegalArgumentException("AvgPool2d: sizes are one int or a pair, got " + Arrays.toString(v));
        for (int d = 0; d < 2; d++) {
            int k = kernel[Math.min(d, kernel.length - 1)], p = this.padding[Math.min(d, this.padding.length - 1)];
            int s = this.stride[Math.min(d, this.stride.length - 1)];
            if (k <= 0 || s <= 0)
                throw new IllegalArgumentException("AvgPool2d: kernel_size and stride must be positive");
            if (p < 0 || 2 * p > k)
                throw new IllegalArgumentException(
                        "pad should be at most half of effective kernel size, but got pad=" + p + ", kernel_size=" + k);
        }
    }

    @Override
    public Tensor forward(Tensor x) {
        return Functional.avgPool2d(x, kernel, stride, padding, ceilMode, countIncludePad);
    }

    @Override
    protected String extraRepr() {
        return "kernel_size=" + LayerText.intOrPair(kernel) + ", stride=" + LayerText.intOrPair(stride) + ", padding="
                + LayerText.intOrPair(padding);
    }
}
