package vectorgrad.nn.layers;

import vectorgrad.autograd.Tensor;
import vectorgrad.nn.Functional;
import vectorgrad.nn.Layer;

/**
 * Max pooling, as {@code nn.MaxPool2d(kernel_size, stride=kernel_size, padding=0, dilation=1, ceil_mode=False)};
 * PyTorch's keyword arguments are {@link Options}: {@code new MaxPool2d(3, MaxPool2d.options().stride(2).padding(1))}.
 * Shapes: {@code [B × C × H × W]} → {@code [B × C × H' × W']}, e.g. 2: {@code [B × 64 × 24 × 24]} → {@code [B × 64 × 12 × 12]}.
 * Arguments are checked at construction (padding at most half the kernel, as PyTorch requires).
 */
public class MaxPool2d extends Layer {
    private final int[] kernel, stride, padding, dilation;
    private final boolean ceilMode;

    /** PyTorch's keyword arguments of {@code nn.MaxPool2d}; each size one int or a pair {@code (h, w)}. */
    public static final class Options {
        private int[] stride, padding = {0, 0}, dilation = {1, 1};
        private boolean ceilMode;

        private Options() {}

        /** Default: the kernel size. */
        public Options stride(int s) {
            return stride(s, s);
        }

        public Options stride(int sh, int sw) {
            stride = new int[] {sh, sw};
            return this;
        }

        public Options padding(int p) {
            return padding(p, p);
        }

        public Options padding(int ph, int pw) {
            padding = new int[] {ph, pw};
            return this;
        }

        public Options dilation(int d) {
            return dilation(d, d);
        }

        public Options dilation(int dh, int dw) {
            dilation = new int[] {dh, dw};
            return this;
        }

        public Options ceilMode(boolean c) {
            ceilMode = c;
            return this;
        }
    }

    public static Options options() {
        return new Options();
    }

    public MaxPool2d(int kernelSize) {
        this(kernelSize, options());
    }

    public MaxPool2d(int kernelSize, Options o) {
        this(kernelSize, kernelSize, o);
    }

    /** A {@code kh × kw} window. */
    public MaxPool2d(int kh, int kw, Options o) {
        this.kernel = new int[] {kh, kw};
        this.stride = o.stride != null ? o.stride.clone() : kernel.clone();
        this.padding = o.padding.clone();
        this.dilation = o.dilation.clone();
        this.ceilMode = o.ceilMode;
        if (kh <= 0 || kw <= 0)
            throw new IllegalArgumentException(
                    "MaxPool2d: kernel size must be positive, got " + Conv2d.pairStr(kernel));
        if (stride[0] <= 0 || stride[1] <= 0)
            throw new IllegalArgumentException("MaxPool2d: stride must be positive, got " + Conv2d.pairStr(stride));
        if (dilation[0] <= 0 || dilation[1] <= 0) {
            throw new IllegalArgumentException("MaxPool2d: dilation must be positive, got " + Conv2d.pairStr(dilation));
        }
        if (padding[0] < 0 || padding[1] < 0 || 2 * padding[0] > kh || 2 * padding[1] > kw) {
            throw new IllegalArgumentException(
                    "MaxPool2d: pad should be at most half of effective kernel size, but got pad="
                            + Conv2d.pairStr(padding) + ", kernel_size=" + Conv2d.pairStr(kernel));
        }
    }

    @Override
    public Tensor forward(Tensor x) {
        return Functional.maxPool2d(x, kernel, stride, padding, dilation, ceilMode);
    }

    @Override
    protected String extraRepr() {
        return "kernel_size=" + size(kernel) + ", stride=" + size(stride) + ", padding=" + size(padding) + ", dilation="
                + size(dilation) + ", ceil_mode=" + (ceilMode ? "True" : "False");
    }

    /** PyTorch prints an int when both dimensions agree (they were given as one int) and a pair otherwise. */
    private static String size(int[] v) {
        return v[0] == v[1] ? Integer.toString(v[0]) : Conv2d.pairStr(v);
    }
}
