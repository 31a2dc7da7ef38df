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
import vectorgrad.autograd.Memory;
import vectorgrad.autograd.MemoryScope;
import vectorgrad.autograd.Tensor;
import vectorgrad.examples.MnistClassifier;
import vectorgrad.nn.optim.Adam;

/**
 * One full training step of the textbook's MNIST model (forward, loss, backward, Adam), as
 * {@code ./vectorgrad mnist train} runs it: train mode (dropout on), a MemoryScope per step, batches
 * cycled from a pool of 16 random ones. PyTorch runs the same step in bench/scripts/train_torch.py.
 * Native allocations are counted over the measured steps (zero is the goal: every block reused).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
public class TrainStepBenchmark {
    @Param({"5", "32", "64", "128"})
    public int batch;

    private MnistClassifier model;
    private Adam optimizer;
    private Tensor[] images, labels;
    private int next;

    @Setup(Level.Trial)
    public void setup() {
        Tensor.manualSeed(0);
        model = new MnistClassifier();
        model.train(true);
        optimizer = new Adam(model.parameters());
        images = new Tensor[16];
        labels = new Tensor[16];
        vectorgrad.autograd.Generator g = new vectorgrad.autograd.Generator(1);
        for (int i = 0; i < 16; i++) {
            Tensor[] b = imageBatch(g, batch);
            images[i] = b[0];
            labels[i] = b[1];
        }
    }

    /** Native bytes newly reserved from the OS, and steps, summed over the measured iterations. */
    @State(Scope.Thread)
    @org.openjdk.jmh.annotations.AuxCounters(org.openjdk.jmh.annotations.AuxCounters.Type.EVENTS)
    public static class NativeMemory {
        public long nativeBytes;
        public long steps;
    }

    @Benchmark
    public float step(NativeMemory counters) {
        int i = next++ & 15;
        return measured(counters, () -> {
            optimizer.zeroGrad();
            Tensor e = model.forward(images[i], labels[i]).mean().neg();
            e.backward();
            optimizer.step();
            return e.item();
        });
    }

    /** Runs one training step (returning its loss) in a MemoryScope, counting the native bytes it reserved. */
    static float measured(NativeMemory counters, java.util.function.Supplier<Float> step) {
        long before = Memory.reservedBytes();
        float loss;
        try (MemoryScope s = MemoryScope.open()) {
            loss = step.get();
        }
        counters.nativeBytes += Memory.reservedBytes() - before;
        counters.steps++;
        return loss;
    }

    /** Random 28x28 images {@code [batch, 1, 28, 28]} in [0, 1) (index 0) and labels (index 1), from {@code g}. */
    static Tensor[] imageBatch(vectorgrad.autograd.Generator g, int batch) {
        Tensor x = Tensor.rand(g, batch, 1, 28, 28);
        int[] l = new int[batch];
        for (int j = 0; j < batch; j++) l[j] = g.nextInt(10);
        return new Tensor[] {x, Tensor.ofInts(l, batch)};
    }
}
