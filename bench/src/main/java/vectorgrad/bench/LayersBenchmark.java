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
import vectorgrad.autograd.NoGrad;
import vectorgrad.autograd.Tensor;
import vectorgrad.nn.Functional;
import vectorgrad.nn.Layer;
import vectorgrad.nn.layers.Conv2d;
import vectorgrad.nn.layers.Dropout2d;
import vectorgrad.nn.layers.Linear;
import vectorgrad.nn.layers.MaxPool2d;
import vectorgrad.nn.layers.ReLU;

/**
 * Each layer of the textbook's MNIST model on its own, forward (under no-grad) and forward+backward (a
 * fixed upstream gradient), at the input shapes it sees in the model; bench/scripts/layers_torch.py
 * times the same in PyTorch. conv1's input (the images) needs no gradient, so its backward computes only
 * the weight and bias gradients, as in training.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class LayersBenchmark {
    @Param({"conv1", "relu1", "conv2", "pool", "dropout1", "fc1", "relu2", "dropout2", "fc2", "loss"})
    public String layer;

    @Param({"5", "64"})
    public int batch;

    private Layer module;
    private Tensor input, upstream, labels;

    /** Input shape of each layer in the model, for batch b. */
    static int[] inputShape(String layer, int b) {
        return switch (layer) {
            case "conv1" -> new int[] {b, 1, 28, 28};
            case "relu1", "conv2" -> new int[] {b, 32, 26, 26};
            case "pool" -> new int[] {b, 64, 24, 24};
            case "dropout1" -> new int[] {b, 64, 12, 12};
            case "fc1" -> new int[] {b, 9216};
            case "relu2", "dropout2", "fc2" -> new int[] {b, 128};
            case "loss" -> new int[] {b, 10};
            default -> throw new IllegalArgumentException(layer);
        };
    }

    /**
     * Multiply-adds × 2 of the forward pass as the direct sum counts them (0 where FLOPs say little): the
     * same figure PyTorch's side divides by. conv2 runs by Winograd's F(2x2, 3x3), which multiplies less
     * (44 % of the direct sum's multiply-adds in the forward), so its GFLOP/s are effective rates.
     */
    public static double forwardFlops(String layer, int b) {
        return switch (layer) {
            case "conv1" -> 2.0 * b * 32 * 9 * 26 * 26;
            case "conv2" -> 2.0 * b * 64 * 288 * 24 * 24;
            case "fc1" -> 2.0 * b * 9216 * 128;
            case "fc2" -> 2.0 * b * 128 * 10;
            default -> 0;
        };
    }

    @Setup(Level.Trial)
    public void setup() {
        Tensor.manualSeed(0);
        module = switch (layer) {
            case "conv1" -> new Conv2d(1, 32, 3, 1);
            case "relu1", "relu2" -> new ReLU();
            case "conv2" -> new Conv2d(32, 64, 3, 1);
            case "pool" -> new MaxPool2d(2);
            case "dropout1" -> new Dropout2d(0.25);
            case "fc1" -> new Linear(9216, 128);
            case "dropout2" -> new Dropout2d(0.5);
            case "fc2" -> new Linear(128, 10);
            default -> null;
        };
        Generator g = new Generator(1);
        input = Tensor.rand(g, inputShape(layer, batch)).requiresGrad(!layer.equals("conv1"));
        int[] l = new int[batch];
        for (int i = 0; i < batch; i++) l[i] = g.nextInt(10);
        labels = Tensor.ofInts(l, batch);
        try (NoGrad ng = Tensor.noGrad()) {
            Tensor out = apply();
            upstream = Tensor.randn(g, out.shape());
        }
    }

    private Tensor apply() {
        return module != null
                ? module.forward(input)
                : Functional.crossEntropy(input, labels, "none").mean();
    }

    @Benchmark
    public float fwd() {
        try (MemoryScope s = MemoryScope.open();
                NoGrad ng = Tensor.noGrad()) {
            return apply().getFlat(0);
        }
    }

    @Benchmark
    public float fwdBwd() {
        try (MemoryScope s = MemoryScope.open()) {
            if (module != null) module.zeroGrad();
            // drop the input's gradient as Optimizer.zeroGrad drops a parameter's: memory back to the pool
            // at once (left to the garbage collector, each iteration's 5 MB came from fresh pages)
            Tensor old = input.grad();
            input.setGrad(null);
            if (old != null) old.close();
            Tensor out = apply();
            if (out.numel() == 1) out.backward();
            else out.backward(upstream);
            return out.getFlat(0);
        }
    }
}
