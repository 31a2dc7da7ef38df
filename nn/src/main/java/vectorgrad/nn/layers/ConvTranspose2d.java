package vectorgrad.nn.layers;

import vectorgrad.autograd.Generator;
import vectorgrad.autograd.Tensor;
import vectorgrad.nn.Functional;
import vectorgrad.nn.Layer;
import vectorgrad.nn.Parameter;

/**
 * 2-D transposed convolution (the adjoint of {@link Conv2d} in its input: an upsampling layer), as
 * {@code nn.ConvTranspose2d(in_channels, out_channels, kernel_size, stride=1, padding=0,
 * output_padding=0, groups=1, bias=True, dilation=1)}; keyword arguments are {@link Options}:
 * <pre>{@code
 * new ConvTranspose2d(64, 32, 2, ConvTranspose2d.options().stride(2))          // doubles H and W
 * new ConvTranspose2d(64, 32, 3, ConvTranspose2d.options().stride(2).padding(1).outputPadding(1))
 * }</pre>
 * Shapes: x {@code [B × C_in × H × W]} (or unbatched) → {@code [B × C_out × H' × W']} with
 * {@code H' = (H-1)·stride - 2·padding + dilation·(kh-1) + output_padding + 1}; weight
 * {@code [C_in × C_out/groups × kh × kw]} (PyTorch's layout, so state dicts load either way).
 * Initialisation (PyTorch's): weight and bias ~ U(-1/√fan_in, 1/√fan_in) with fan_in computed from the
 * weight's shape as PyTorch does: {@code C_out/groups·kh·kw}.
 */
public class ConvTranspose2d extends Layer {
    public final Parameter weight;
    public final Parameter bias;
    private final int inC, outC, groups;
    private final int[] kernel, stride, padding, outputPadding, dilation;

    /** PyTorch's keyword arguments of {@code nn.ConvTranspose2d}; defaults as {@link Conv2d.Options}, output padding 0. */
    public static final class Options extends ConvOptions<Options> {
        private int[] outputPadding = {0, 0};

        private Options() {}

        @Override
        Options self() {
            return this;
        }

        /** Added to one side of the output, to pick among the sizes a strided convolution maps to the same size. */
        public Options outputPadding(int p) {
            return outputPadding(p, p);
        }

        public Options outputPadding(int ph, int pw) {
            outputPadding = new int[] {ph, pw};
            return this;
        }
    }

    public static Options options() {
        return new Options();
    }

    public ConvTranspose2d(int inChannels, int outChannels, int kernelSize) {
        this(inChannels, outChannels, options().kernelSize(kernelSize));
    }

    public ConvTranspose2d(int inChannels, int outChannels, int kernelSize, Options options) {
        this(inChannels, outChannels, withKernel(options, kernelSize));
    }

    /** With the kernel size in {@code options}. */
    public ConvTranspose2d(int inChannels, int outChannels, Options o) {
        o.check("ConvTranspose2d", inChannels, outChannels);
        for (int i = 0; i < 2; i++) {
            if (o.outputPadding[i] < 0 || o.outputPadding[i] >= Math.max(o.stride[i], o.dilation[i]))
                throw new IllegalArgumentException(
                        "ConvTranspose2d: output padding must be smaller than either stride or dilation, got output_padding="
                                + ConvOptions.pairStr(o.outputPadding));
        }
        this.inC = inChannels;
        this.outC = outChannels;
        this.groups = o.groups;
        this.kernel = o.kernelSize.clone();
        this.stride = o.stride.clone();
        this.padding = o.padding.clone();
        this.outputPadding = o.outputPadding.clone();
        this.dilation = o.dilation.clone();
        Generator g = o.generatorOrDefault();
        int perGroup = outChannels / groups;
        float bound = (float) (1 / Math.sqrt((double) perGroup * kernel[0] * kernel[1]));
        this.weight = new Parameter(Tensor.uniform(g, -bound, bound, inChannels, perGroup, kernel[0], kernel[1]));
        this.bias = o.bias ? new Parameter(Tensor.uniform(g, -bound, bound, outChannels)) : null;
    }

    private static Options withKernel(Options o, int k) {
        Options c = o.copyShared(new Options(), k);
        c.outputPadding = o.outputPadding;
        return c;
    }

    @Override
    public Tensor forward(Tensor x) {
        return Functional.convTranspose2d(x, weight, bias, stride, padding, outputPadding, groups, dilation);
    }

    @Override
    protected String extraRepr() {
        String p = ConvOptions.pairStr(padding), op = ConvOptions.pairStr(outputPadding);
        return inC + ", " + outC + ", kernel_size=" + ConvOptions.pairStr(kernel) + ", stride="
                + ConvOptions.pairStr(stride)
                + (padding[0] != 0 || padding[1] != 0 ? ", padding=" + p : "")
                + (outputPadding[0] != 0 || outputPadding[1] != 0 ? ", output_padding=" + op : "")
                + (dilation[0] != 1 || dilation[1] != 1 ? ", dilation=" + ConvOptions.pairStr(dilation) : "")
                + (groups != 1 ? ", groups=" + groups : "")
                + (bias == null ? ", bias=False" : "");
    }
}
