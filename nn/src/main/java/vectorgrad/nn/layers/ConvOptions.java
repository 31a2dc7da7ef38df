package vectorgrad.nn.layers;

import vectorgrad.autograd.Generator;
import vectorgrad.autograd.Tensor;

/**
 * The keyword arguments {@code nn.Conv2d} and {@code nn.ConvTranspose2d} share, each size one int (both
 * dimensions) or a pair {@code (h, w)}. Defaults: stride 1, padding 0, dilation 1, groups 1, bias true, the
 * default generator. {@code O} is the subclass, so each setter returns it.
 */
abstract class ConvOptions<O extends ConvOptions<O>> {
    int[] kernelSize;
    int[] stride = {1, 1}, padding = {0, 0}, dilation = {1, 1};
    int groups = 1;
    boolean bias = true;
    Generator generator;

    abstract O self();

    /** The kernel size, when not given as the constructor's third argument. */
    public O kernelSize(int k) {
        return kernelSize(k, k);
    }

    public O kernelSize(int kh, int kw) {
        kernelSize = new int[] {kh, kw};
        return self();
    }

    public O stride(int s) {
        return stride(s, s);
    }

    public O stride(int sh, int sw) {
        stride = new int[] {sh, sw};
        return self();
    }

    public O padding(int p) {
        return padding(p, p);
    }

    public O padding(int ph, int pw) {
        padding = new int[] {ph, pw};
        return self();
    }

    public O dilation(int d) {
        return dilation(d, d);
    }

    public O dilation(int dh, int dw) {
        dilation = new int[] {dh, dw};
        return self();
    }

    public O groups(int g) {
        groups = g;
        return self();
    }

    public O bias(boolean b) {
        bias = b;
        return self();
    }

    /** The generator the initial weights are drawn from (default: {@link Tensor#defaultGenerator()}). */
    public O generator(Generator g) {
        generator = g;
        return self();
    }

    /** The checks both layers make, with PyTorch's messages ({@code layer} names the layer). */
    void check(String layer, int inChannels, int outChannels) {
        if (kernelSize == null) throw new IllegalArgumentException(layer + ": kernel_size is required");
        if (inChannels <= 0 || outChannels <= 0) {
            throw new IllegalArgumentException(
                    layer + ": in_channels and out_channels must be positive, got " + inChannels + ", " + outChannels);
        }
        positive(layer, "kernel_size", kernelSize);
        if (stride[0] <= 0 || stride[1] <= 0)
            throw new IllegalArgumentException(
                    layer + ": non-positive stride " + pairStr(stride) + " is not supported");
        if (padding[0] < 0 || padding[1] < 0)
            throw new IllegalArgumentException(layer + ": negative padding " + pairStr(padding) + " is not supported");
        positive(layer, "dilation", dilation);
        if (groups <= 0)
            throw new IllegalArgumentException(layer + ": groups must be a positive integer, got " + groups);
        if (inChannels % groups != 0)
            throw new IllegalArgumentException(
                    layer + ": in_channels (" + inChannels + ") must be divisible by groups (" + groups + ")");
        if (outChannels % groups != 0)
            throw new IllegalArgumentException(
                    layer + ": out_channels (" + outChannels + ") must be divisible by groups (" + groups + ")");
    }

    /** Copies the options both layers share into {@code copy}, with the kernel size {@code k} x {@code k}. */
    <C extends ConvOptions<C>> C copyShared(C copy, int k) {
        copy.kernelSize = new int[] {k, k};
        copy.stride = stride;
        copy.padding = padding;
        copy.dilation = dilation;
        copy.groups = groups;
        copy.bias = bias;
        copy.generator = generator;
        return copy;
    }

    Generator generatorOrDefault() {
        return generator != null ? generator : Tensor.defaultGenerator();
    }

    private static void positive(String layer, String name, int[] v) {
        if (v[0] <= 0 || v[1] <= 0)
            throw new IllegalArgumentException(layer + ": " + name + " must be positive, got " + pairStr(v));
    }

    static String pairStr(int[] v) {
        return "(" + v[0] + ", " + v[1] + ")";
    }
}
