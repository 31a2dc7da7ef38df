package vectorgrad.bench;

import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import vectorgrad.autograd.Generator;
import vectorgrad.autograd.MemoryScope;
import vectorgrad.autograd.Tensor;
import vectorgrad.nn.layers.Conv2d;

/**
 * The small ResNet's convolutions on their own (examples' SmallResNet, bench/scripts/resnet_torch.py), forward
 * and backward with a fixed upstream gradient, both gradients wanted, no bias (as in the model):
 * {@code s1_32}, {@code s1_64}, {@code s1_128} the stride-1 3x3 layers of each stage (28x28, 14x14, 7x7),
 * {@code down3x3_64}, {@code down3x3_128} the stride-2 3x3 layers that open stages 2 and 3, {@code
 * down1x1_64}, {@code down1x1_128} their 1x1 stride-2 shortcuts. bench/scripts/resnet_layers_torch.py
 * profiles the same layers inside PyTorch's training step.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class ConvLayersBenchmark {
    @Param({"s1_32", "s1_64", "s1_128", "down3x3_64", "down3x3_128", "down1x1_64", "down1x1_128"})
    public String layer;

    @Param({"64"})
    public int batch;

    private Conv2d conv;
    private Tensor input, upstream;

    @Setup(Level.Trial)
    public void setup() {
        Tensor.manualSeed(0);
        // in, out, kernel, stride, input size
        int[] s = switch (layer) {
            case "s1_32" -> new int[] {32, 32, 3, 1, 28};
            case "s1_64" -> new int[] {64, 64, 3, 1, 14};
            case "s1_128" -> new int[] {128, 128, 3, 1, 7};
            case "down3x3_64" -> new int[] {32, 64, 3, 2, 28};
            case "down3x3_128" -> new int[] {64, 128, 3, 2, 14};
            case "down1x1_64" -> new int[] {32, 64, 1, 2, 28};
            case "down1x1_128" -> new int[] {64, 128, 1, 2, 14};
            default -> throw new IllegalArgumentException(layer);
        };
        conv = new Conv2d(
                s[0],
                s[1],
                Conv2d.options().kernelSize(s[2]).stride(s[3]).padding(s[2] / 2).bias(false));
        Generator g = new Generator(1);
        input = Tensor.rand(g, batch, s[0], s[4], s[4]).requiresGrad(true);
        int o = (s[4] + 2 * (s[2] / 2) - s[2]) / s[3] + 1;
        upstream = Tensor.randn(g, batch, s[1], o, o);
    }

    @Benchmark
    public float fwdBwd() {
        try (MemoryScope s = MemoryScope.open()) {
            conv.zeroGrad();
            Tensor old = input.grad();
            input.setGrad(null);
            if (old != null) old.close();
            Tensor out = conv.forward(input);
            out.backward(upstream);
            return out.getFlat(0);
        }
    }
}
