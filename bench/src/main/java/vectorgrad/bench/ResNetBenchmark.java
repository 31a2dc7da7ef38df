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
import vectorgrad.autograd.Tensor;
import vectorgrad.examples.SmallResNet;
import vectorgrad.nn.Functional;
import vectorgrad.nn.optim.SGD;

/**
 * One training step of the small ResNet as {@code ./vectorgrad resnet train} runs it: train mode (batch
 * statistics), cross-entropy with label smoothing 0.1, SGD with Nesterov momentum and weight decay, a
 * MemoryScope per step, batches cycled from a pool of 16 random ones. PyTorch runs the same step in
 * bench/scripts/resnet_torch.py. Native allocations are counted over the measured steps (the goal: zero).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
public class ResNetBenchmark {
    @Param({"64", "128"})
    public int batch;

    private SmallResNet model;
    private SGD optimizer;
    private Tensor[] images, labels;
    private int next;

    @Setup(Level.Trial)
    public void setup() {
        Tensor.manualSeed(0);
        model = new SmallResNet();
        model.train(true);
        optimizer = new SGD(model.parameters(), 0.05, 0.9, 0, 5e-4, true);
        images = new Tensor[16];
        labels = new Tensor[16];
        vectorgrad.autograd.Generator g = new vectorgrad.autograd.Generator(1);
        for (int i = 0; i < 16; i++) {
            Tensor[] b = TrainStepBenchmark.imageBatch(g, batch);
            images[i] = b[0];
            labels[i] = b[1];
        }
    }

    @Benchmark
    public float step(TrainStepBenchmark.NativeMemory counters) {
        int i = next++ & 15;
        return TrainStepBenchmark.measured(counters, () -> {
            optimizer.zeroGrad();
            Tensor e = Functional.crossEntropy(model.forward(images[i]), labels[i], null, -100, 0.1, "mean");
            e.backward();
            optimizer.step();
            return e.item();
        });
    }
}
