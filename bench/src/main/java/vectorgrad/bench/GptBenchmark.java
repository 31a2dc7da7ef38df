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
import vectorgrad.examples.Gpt;
import vectorgrad.nn.optim.AdamW;
import vectorgrad.nn.optim.ParamGroup;
import vectorgrad.nn.optim.ParamGroups;
import vectorgrad.nn.utils.ClipGrad;

/**
 * One training step of {@code ./vectorgrad gpt train}'s default model (4 layers, 4 heads, embedding 128,
 * dropout 0.1, vocabulary 113) on random token blocks: loss, backward, clipping, AdamW with decay on the
 * matrices. PyTorch runs the same step in bench/scripts/gpt_torch.py.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
public class GptBenchmark {
    @Param({"32"})
    public int batch;

    @Param({"128"})
    public int block;

    private Gpt model;
    private AdamW optimizer;
    private Tensor[] x, y;
    private int next;

    @Setup(Level.Trial)
    public void setup() {
        Tensor.manualSeed(0);
        model = new Gpt(new Gpt.Config(113, block, 4, 4, 128, 0.1));
        model.train(true);
        java.util.List<Tensor> decay = new java.util.ArrayList<>(), noDecay = new java.util.ArrayList<>();
        for (Tensor p : model.parameters()) (p.shape().length >= 2 ? decay : noDecay).add(p);
        optimizer = new AdamW(
                ParamGroups.of(ParamGroup.of(decay), ParamGroup.of(noDecay).weightDecay(0)),
                1e-3,
                0.9,
                0.99,
                1e-8,
                0.1,
                false);
        vectorgrad.autograd.Generator g = new vectorgrad.autograd.Generator(1);
        x = new Tensor[8];
        y = new Tensor[8];
        for (int i = 0; i < 8; i++) {
            int[] a = new int[batch * block], b = new int[batch * block];
            for (int j = 0; j < a.length; j++) {
                a[j] = g.nextInt(113);
                b[j] = g.nextInt(113);
            }
            x[i] = Tensor.ofInts(a, batch, block);
            y[i] = Tensor.ofInts(b, batch, block);
        }
    }

    @Benchmark
    public float step(TrainStepBenchmark.NativeMemory counters) {
        int i = next++ & 7;
        return TrainStepBenchmark.measured(counters, () -> {
            optimizer.zeroGrad();
            Tensor l = model.loss(x[i], y[i]);
            l.backward();
            ClipGrad.clipGradNorm_(model.parameters(), 1.0);
            optimizer.step();
            return l.item();
        });
    }
}
