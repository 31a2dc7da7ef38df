package vectorgrad.nn.layers;

import vectorgrad.autograd.Generator;
import vectorgrad.autograd.NeuralOps;
import vectorgrad.autograd.Tensor;
import vectorgrad.nn.Layer;
import vectorgrad.nn.Parameter;

/**
 * 2-D convolution, as {@code nn.Conv2d(in_channels, out_channels, kernel_size, stride=1, padding=0,
 * dilation=1, groups=1, bias=True)}.
 * Shapes: x {@code [B × C_in × H × W]} → {@code [B × C_out × H' × W']} with
 * {@code H' = (H + 2·padding - dilation·(k-1) - 1) / stride + 1}; weight {@code [C_out × C_in/groups × k × k]}.
 * Groups: input and output channels split into {@code groups} equal groups, output group i computed
 * from input group i only ({@code groups = C_in}: a depthwise convolution).
 * Initialisation (PyTorch's): weight and bias ~ U(-1/√fan_in, 1/√fan_in), fan_in = C_in/groups·k·k.
 */
public class Conv2d extends Layer {
    public final Parameter weight;
    public final Parameter bias;
    private final int inC, outC, k, stride, padding, dilation, groups;

    public Conv2d(int inChannels, int outChannels, int kernelSize, int stride) {
        this(inChannels, outChannels, kernelSize, stride, 0, 1, true, Tensor.defaultGenerator());
    }

    public Conv2d(int inChannels, int outChannels, int kernelSize) {
        this(inChannels, outChannels, kernelSize, 1);
    }

    public Conv2d(int inChannels, int outChannels, int kernelSize, int stride, int padding, int dilation, boolean bias, Generator g) {
        this(inChannels, outChannels, kernelSize, stride, padding, dilation, 1, bias, g);
    }

    public Conv2d(int inChannels, int outChannels, int kernelSize, int stride, int padding, int dilation, int groups, boolean bias, Generator g) {
        if (inChannels <= 0 || outChannels <= 0 || kernelSize <= 0) {
            throw new IllegalArgumentException("Conv2d: channels and kernel size must be positive, got " + inChannels + ", " + outChannels + ", " + kernelSize);
        }
        if (stride <= 0) throw new IllegalArgumentException("Conv2d: non-positive stride " + stride + " is not supported");
        if (padding < 0) throw new IllegalArgumentException("Conv2d: negative padding " + padding + " is not supported");
        if (dilation <= 0) throw new IllegalArgumentException("Conv2d: dilation must be positive, got " + dilation);
        if (groups <= 0) throw new IllegalArgumentException("Conv2d: groups must be a positive integer, got " + groups);
        if (inChannels % groups != 0) throw new IllegalArgumentException("Conv2d: in_channels (" + inChannels + ") must be divisible by groups (" + groups + ")");
        if (outChannels % groups != 0) throw new IllegalArgumentException("Conv2d: out_channels (" + outChannels + ") must be divisible by groups (" + groups + ")");
        this.inC = inChannels;
        this.outC = outChannels;
        this.k = kernelSize;
        this.stride = stride;
        this.padding = padding;
        this.dilation = dilation;
        this.groups = groups;
        int perGroup = inChannels / groups;
        float bound = (float) (1 / Math.sqrt((double) perGroup * kernelSize * kernelSize));
        this.weight = new Parameter(Tensor.uniform(g, -bound, bound, outChannels, perGroup, kernelSize, kernelSize));
        this.bias = bias ? new Parameter(Tensor.uniform(g, -bound, bound, outChannels)) : null;
    }

    @Override
    public Tensor forward(Tensor x) {
        return NeuralOps.conv2d(x, weight, bias, new int[] {stride, stride}, new int[] {padding, padding}, new int[] {dilation, dilation}, groups);
    }

    @Override
    protected String extraRepr() {
        return inC + ", " + outC + ", kernel_size=(" + k + ", " + k + "), stride=(" + stride + ", " + stride + ")"
                + (padding != 0 ? ", padding=(" + padding + ", " + padding + ")" : "")
                + (dilation != 1 ? ", dilation=(" + dilation + ", " + dilation + ")" : "")
                + (groups != 1 ? ", groups=" + groups : "")
                + (bias == null ? ", bias=False" : "");
    }
}
