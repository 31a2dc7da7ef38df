package vectorgrad.nn.layers;

import vectorgrad.autograd.Generator;
import vectorgrad.autograd.Tensor;
import vectorgrad.nn.Functional;
import vectorgrad.nn.Layer;
import vectorgrad.nn.Parameter;

/**
 * 2-D convolution, as {@code nn.Conv2d(in_channels, out_channels, kernel_size, stride=1, padding=0,
 * dilation=1, groups=1, bias=True)}. PyTorch's keyword arguments are {@link Options}:
 * <pre>{@code
 * new Conv2d(1, 32, 3)                                                   // nn.Conv2d(1, 32, 3)
 * new Conv2d(1, 32, 3, 2)                                                // nn.Conv2d(1, 32, 3, 2): stride 2
 * new Conv2d(32, 64, 3, Conv2d.options().stride(2).padding(1).bias(false))
 * new Conv2d(3, 8, Conv2d.options().kernelSize(3, 5).padding(1, 2))      // non-square
 * }</pre>
 * Shapes: x {@code [B × C_in × H × W]} → {@code [B × C_out × H' × W']} with
 * {@code H' = (H + 2·padding - dilation·(kh-1) - 1) / stride + 1}; weight {@code [C_out × C_in/groups × kh × kw]}.
 * Groups: input and output channels split into {@code groups} equal groups, output group i computed
 * from input group i only ({@code groups = C_in}: a depthwise convolution).
 * Initialisation (PyTorch's): weight and bias ~ U(-1/√fan_in, 1/√fan_in), fan_in = C_in/groups·kh·kw.
 * Arguments are checked here, at construction, with PyTorch's messages.
 */
public class Conv2d extends Layer {
    public final Parameter weight;
    public final Parameter bias;
    private final int inC, outC, groups;
    private final int[] kernel, stride, padding, dilation;

    /**
     * PyTorch's keyword arguments of {@code nn.Conv2d}, each size one int (both dimensions) or a pair
     * {@code (h, w)}. Defaults: stride 1, padding 0, dilation 1, groups 1, bias true, the default generator.
     */
    public static final class Options {
        private int[] kernelSize;
        private int[] stride = {1, 1}, padding = {0, 0}, dilation = {1, 1};
        private int groups = 1;
        private boolean bias = true;
        private Generator generator;

        private Options() {}

        /** The kernel size, when not given as the constructor's third argument. */
        public Options kernelSize(int k) {
            return kernelSize(k, k);
        }

        public Options kernelSize(int kh, int kw) {
            kernelSize = new int[] {kh, kw};
            return this;
        }

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

        public Options groups(int g) {
            groups = g;
            return this;
        }

        public Options bias(boolean b) {
            bias = b;
            return this;
        }

        /** The generator the initial weights are drawn from (default: {@link Tensor#defaultGenerator()}). */
        public Options generator(Generator g) {
            generator = g;
            return this;
        }
    }

    /** Options with PyTorch's defaults, to set by name: {@code Conv2d.options().stride(2).padding(1)}. */
    public static Options options() {
        return new Options();
    }

    public Conv2d(int inChannels, int outChannels, int kernelSize) {
        this(inChannels, outChannels, options().kernelSize(kernelSize));
    }

    /** {@code nn.Conv2d(in, out, kernel_size, stride)}, PyTorch's first four positional arguments. */
    public Conv2d(int inChannels, int outChannels, int kernelSize, int stride) {
        this(inChannels, outChannels, options().kernelSize(kernelSize).stride(stride));
    }

    public Conv2d(int inChannels, int outChannels, int kernelSize, Options options) {
        this(inChannels, outChannels, copyWithKernel(options, kernelSize));
    }

    /** With the kernel size in {@code options} ({@link Options#kernelSize(int, int)}). */
    public Conv2d(int inChannels, int outChannels, Options o) {
        if (o.kernelSize == null) throw new IllegalArgumentException("Conv2d: kernel_size is required");
        if (inChannels <= 0 || outChannels <= 0) {
            throw new IllegalArgumentException(
                    "Conv2d: in_channels and out_channels must be positive, got " + inChannels + ", " + outChannels);
        }
        positive("kernel_size", o.kernelSize);
        if (o.stride[0] <= 0 || o.stride[1] <= 0) {
            throw new IllegalArgumentException(
                    "Conv2d: non-positive stride " + pairStr(o.stride) + " is not supported");
        }
        if (o.padding[0] < 0 || o.padding[1] < 0) {
            throw new IllegalArgumentException("Conv2d: negative padding " + pairStr(o.padding) + " is not supported");
        }
        positive("dilation", o.dilation);
        if (o.groups <= 0)
            throw new IllegalArgumentException("Conv2d: groups must be a positive integer, got " + o.groups);
        if (inChannels % o.groups != 0)
            throw new IllegalArgumentException(
                    "Conv2d: in_channels (" + inChannels + ") must be divisible by groups (" + o.groups + ")");
        if (outChannels % o.groups != 0)
            throw new IllegalArgumentException(
                    "Conv2d: out_channels (" + outChannels + ") must be divisible by groups (" + o.groups + ")");
        this.inC = inChannels;
        this.outC = outChannels;
        this.kernel = o.kernelSize.clone();
        this.stride = o.stride.clone();
        this.padding = o.padding.clone();
        this.dilation = o.dilation.clone();
        this.groups = o.groups;
        Generator g = o.generator != null ? o.generator : Tensor.defaultGenerator();
        int perGroup = inChannels / groups;
        float bound = (float) (1 / Math.sqrt((double) perGroup * kernel[0] * kernel[1]));
        this.weight = new Parameter(Tensor.uniform(g, -bound, bound, outChannels, perGroup, kernel[0], kernel[1]));
        this.bias = o.bias ? new Parameter(Tensor.uniform(g, -bound, bound, outChannels)) : null;
    }

    private static Options copyWithKernel(Options o, int k) {
        Options c = new Options();
        c.kernelSize = new int[] {k, k};
        c.stride = o.stride;
        c.padding = o.padding;
        c.dilation = o.dilation;
        c.groups = o.groups;
        c.bias = o.bias;
        c.generator = o.generator;
        return c;
    }

    private static void positive(String name, int[] v) {
        if (v[0] <= 0 || v[1] <= 0)
            throw new IllegalArgumentException("Conv2d: " + name + " must be positive, got " + pairStr(v));
    }

    static String pairStr(int[] v) {
        return "(" + v[0] + ", " + v[1] + ")";
    }

    @Override
    public Tensor forward(Tensor x) {
        return Functional.conv2d(x, weight, bias, stride, padding, dilation, groups);
    }

    @Override
    protected String extraRepr() {
        return inC + ", " + outC + ", kernel_size=" + pairStr(kernel) + ", stride=" + pairStr(stride)
                + (padding[0] != 0 || padding[1] != 0 ? ", padding=" + pairStr(padding) : "")
                + (dilation[0] != 1 || dilation[1] != 1 ? ", dilation=" + pairStr(dilation) : "")
                + (groups != 1 ? ", groups=" + groups : "")
                + (bias == null ? ", bias=False" : "");
    }
}
