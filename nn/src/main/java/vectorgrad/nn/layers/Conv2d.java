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
 * new Conv2d(16, 16, 4, Conv2d.options().padding("same"))               // output size = input size
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
    private final String paddingMode; // "same", "valid", or null for the numbers in padding

    /**
     * PyTorch's keyword arguments of {@code nn.Conv2d}, each size one int (both dimensions) or a pair
     * {@code (h, w)}. Defaults: stride 1, padding 0, dilation 1, groups 1, bias true, the default generator.
     * {@code padding("same")} keeps the input's size (stride 1 only), {@code padding("valid")} is 0.
     */
    public static final class Options extends ConvOptions<Options> {
        private String paddingMode;

        private Options() {}

        @Override
        Options self() {
            return this;
        }

        @Override
        public Options padding(int ph, int pw) {
            paddingMode = null;
            return super.padding(ph, pw);
        }

        /** {@code padding="same"} or {@code "valid"}. */
        public Options padding(String mode) {
            if (!mode.equals("same") && !mode.equals("valid"))
                throw new IllegalArgumentException(
                        "Invalid padding string '" + mode + "', should be one of {'valid', 'same'}");
            paddingMode = mode;
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
        o.check("Conv2d", inChannels, outChannels);
        if ("same".equals(o.paddingMode) && (o.stride[0] != 1 || o.stride[1] != 1))
            throw new IllegalArgumentException("padding='same' is not supported for strided convolutions");
        this.inC = inChannels;
        this.outC = outChannels;
        this.kernel = o.kernelSize.clone();
        this.stride = o.stride.clone();
        this.padding = o.padding.clone();
        this.dilation = o.dilation.clone();
        this.groups = o.groups;
        this.paddingMode = o.paddingMode;
        Generator g = o.generatorOrDefault();
        int perGroup = inChannels / groups;
        float bound = (float) (1 / Math.sqrt((double) perGroup * kernel[0] * kernel[1]));
        this.weight = new Parameter(Tensor.uniform(g, -bound, bound, outChannels, perGroup, kernel[0], kernel[1]));
        this.bias = o.bias ? new Parameter(Tensor.uniform(g, -bound, bound, outChannels)) : null;
    }

    private static Options copyWithKernel(Options o, int k) {
        Options c = o.copyShared(new Options(), k);
        c.paddingMode = o.paddingMode;
        return c;
    }

    static String pairStr(int[] v) {
        return ConvOptions.pairStr(v);
    }

    @Override
    public Tensor forward(Tensor x) {
        if (paddingMode != null) return Functional.conv2d(x, weight, bias, stride, paddingMode, dilation, groups);
        return Functional.conv2d(x, weight, bias, stride, padding, dilation, groups);
    }

    /**
     * {@code relu(forward(x))} as one op ({@link Functional#conv2dRelu}): what {@link vectorgrad.nn.Sequential}
     * runs for this layer followed by a {@link ReLU}. With a padding mode, or in a subclass (whose forward
     * may differ), the two ops run one after the other.
     */
    public Tensor forwardRelu(Tensor x) {
        if (paddingMode != null || getClass() != Conv2d.class) return forward(x).relu();
        return Functional.conv2dRelu(x, weight, bias, stride, padding, dilation, groups);
    }

    @Override
    protected String extraRepr() {
        return inC + ", " + outC + ", kernel_size=" + pairStr(kernel) + ", stride=" + pairStr(stride)
                + (paddingMode != null
                        ? ", padding=" + paddingMode
                        : padding[0] != 0 || padding[1] != 0 ? ", padding=" + pairStr(padding) : "")
                + (dilation[0] != 1 || dilation[1] != 1 ? ", dilation=" + pairStr(dilation) : "")
                + (groups != 1 ? ", groups=" + groups : "")
                + (bias == null ? ", bias=False" : "");
    }
}
