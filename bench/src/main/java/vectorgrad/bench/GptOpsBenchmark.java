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
import vectorgrad.nn.Functional;

/**
 * The GPT step's elementwise and row ops alone, forward+backward at the default model's shapes (batch 32 x
 * block 128, embd 128, 113 characters): {@code gelu} over the MLP's [32, 128, 512], {@code layer_norm} and
 * {@code dropout} (p 0.1) over the residual stream's [32, 128, 128], {@code cross_entropy} over [4096, 113]
 * logits, {@code linear} the MLP's first layer (Linear(128, 512) with bias on [32, 128, 128]).
 * {@code forward} times the forward alone under no-grad. {@code ./vectorgrad bench jmh GptOpsBenchmark}; the
 * JMH source of the per-op figures in docs/PERFORMANCE.md ("The GPT step").
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class GptOpsBenchmark {
    @Param({"gelu", "layer_norm", "cross_entropy", "dropout", "linear"})
    public String op;

    private Tensor x, weight, bias, upstream, target;

    @Setup(Level.Trial)
    public void setup() {
        Generator g = new Generator(1);
        switch (op) {
            case "gelu" -> {
                x = Tensor.randn(g, 32, 128, 512).requiresGrad(true);
                upstream = Tensor.randn(g, 32, 128, 512);
            }
            case "cross_entropy" -> {
                x = Tensor.randn(g, 4096, 113).requiresGrad(true);
                int[] t = new int[4096];
                for (int i = 0; i < t.length; i++) t[i] = g.nextInt(113);
                target = Tensor.ofInts(t, 4096);
            }
            case "linear" -> {
                x = Tensor.randn(g, 32, 128, 128).requiresGrad(true);
                weight = Tensor.randn(g, 512, 128).requiresGrad(true);
                bias = Tensor.randn(g, 512).requiresGrad(true);
                upstream = Tensor.randn(g, 32, 128, 512);
            }
            default -> {
                x = Tensor.randn(g, 32, 128, 128).requiresGrad(true);
                weight = Tensor.randn(g, 128).requiresGrad(true);
                bias = Tensor.randn(g, 128).requiresGrad(true);
                upstream = Tensor.randn(g, 32, 128, 128);
            }
        }
    }

    @Benchmark
    public float fwdBwd() {
        try (MemoryScope s = MemoryScope.open()) {
            for (Tensor t : new Tensor[] {x, weight, bias}) {
                if (t == null) continue;
                Tensor old = t.grad();
                t.setGrad(null);
                if (old != null) old.close();
            }
            Tensor out = apply();
            if (upstream != null) out.backward(upstream);
            else out.backward();
            return out.getFlat(0);
        }
    }

    @Benchmark
    public float forward() {
        try (MemoryScope s = MemoryScope.open();
                var noGrad = Tensor.noGrad()) {
            return apply().getFlat(0);
        }
    }

    private Tensor apply() {
        return switch (op) {
            case "gelu" -> Functional.gelu(x);
            case "layer_norm" -> Functional.layerNorm(x, new int[] {128}, weight, bias, 1e-5);
            case "cross_entropy" -> Functional.crossEntropy(x, target);
            case "linear" -> Functional.linear(x, weight, bias);
            default -> Functional.dropout(x, 0.1, true);
        };
    }
}
