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
 * The toolkit's fused ops against the same computation composed of tensor ops, in the same run: batch
 * norm in training (forward and backward) and global average pooling, at the shapes of the small ResNet
 * of issue 18 (32 channels at 28x28, 128 channels at 7x7), and causal attention at a small GPT's shapes
 * ({@code attn:batch:heads:T:d}). {@code composed} is what a user had to write before the layers existed:
 * mean and biased variance per channel from reductions, then arithmetic; for attention,
 * {@code softmax(q·kᵀ/√d + mask)·v} written out (PyTorch 1.13's only way).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class ToolkitBenchmark {
    @Param({"bn:64:32:28", "bn:64:128:7", "gap:64:128:7", "attn:32:4:128:32", "attn:32:4:256:32"})
    public String op;

    @Param({"fused", "composed"})
    public String impl;

    private Tensor x, weight, bias, upstream;
    private Tensor q, k, v, causalMask;

    @Setup(Level.Trial)
    public void setup() {
        String[] p = op.split(":");
        if (op.startsWith("attn")) {
            int b = Integer.parseInt(p[1]),
                    h = Integer.parseInt(p[2]),
                    t = Integer.parseInt(p[3]),
                    d = Integer.parseInt(p[4]);
            Generator g = new Generator(1);
            q = Tensor.randn(g, b, h, t, d).requiresGrad(true);
            k = Tensor.randn(g, b, h, t, d).requiresGrad(true);
            v = Tensor.randn(g, b, h, t, d).requiresGrad(true);
            upstream = Tensor.randn(g, b, h, t, d);
            float[] m = new float[t * t];
            for (int i = 0; i < t; i++) for (int j = i + 1; j < t; j++) m[i * t + j] = Float.NEGATIVE_INFINITY;
            causalMask = Tensor.of(m, t, t);
            x = weight = bias = q; // the loop below clears their gradients
            return;
        }
        int b = Integer.parseInt(p[1]), c = Integer.parseInt(p[2]), hw = Integer.parseInt(p[3]);
        Generator g = new Generator(1);
        x = Tensor.randn(g, b, c, hw, hw).requiresGrad(true);
        weight = Tensor.ones(c).requiresGrad(true);
        bias = Tensor.zeros(c).requiresGrad(true);
        upstream = op.startsWith("bn") ? Tensor.randn(g, b, c, hw, hw) : Tensor.randn(g, b, c, 1, 1);
    }

    private Tensor apply() {
        boolean fused = impl.equals("fused");
        if (op.startsWith("attn")) {
            if (fused) return Functional.scaledDotProductAttention(q, k, v, null, 0, true);
            Tensor scores =
                    q.matmul(k.transpose(2, 3)).mul(1 / Math.sqrt(q.size(3))).add(causalMask);
            return Functional.softmax(scores, 3).matmul(v);
        }
        if (op.startsWith("gap"))
            return fused ? Functional.adaptiveAvgPool2d(x, 1) : x.mean(3, true).mean(2, true);
        if (fused) return Functional.batchNorm(x, null, null, weight, bias, true, 0.1, 1e-5);
        int c = x.size(1);
        Tensor mean = x.mean(0, true).mean(2, true).mean(3, true);
        Tensor d = x.sub(mean);
        Tensor var = d.mul(d).mean(0, true).mean(2, true).mean(3, true);
        return d.div(var.add(1e-5).sqrt()).mul(weight.reshape(1, c, 1, 1)).add(bias.reshape(1, c, 1, 1));
    }

    @Benchmark
    public float fwdBwd() {
        try (MemoryScope s = MemoryScope.open()) {
            for (Tensor t : new Tensor[] {x, weight, bias, k, v}) {
                if (t == null) continue;
                Tensor old = t.grad();
                t.setGrad(null);
                if (old != null) old.close();
            }
            Tensor out = apply();
            out.backward(upstream);
            return out.getFlat(0);
        }
    }
}
