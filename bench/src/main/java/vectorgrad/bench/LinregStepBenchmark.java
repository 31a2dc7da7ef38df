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
import vectorgrad.autograd.MemoryScope;
import vectorgrad.autograd.Tensor;
import vectorgrad.examples.LinearRegression;
import vectorgrad.nn.optim.Adam;

/**
 * One step of the textbook's linear regression (forward, -mean log-likelihood, backward, Adam) at
 * n = 1000 points, in three forms measured in the same run:
 * <ul>
 *   <li>{@code vectorgradScoped}: as the linreg command runs it, a MemoryScope per step;</li>
 *   <li>{@code vectorgradTextbook}: with no memory code at all (the GC reclaims intermediates);</li>
 *   <li>{@code handWrittenJava}: the baseline floor — the same gradients derived by hand in one plain
 *       Java loop, and the same Adam arithmetic, no tensors, no graph.</li>
 * </ul>
 * PyTorch runs the same loop in bench/scripts/linreg_torch.py; bench/scripts/compare_linreg.sh runs both.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
public class LinregStepBenchmark {
    @Param({"1000"})
    public int n;

    private Tensor x, y;
    private LinearRegression.Y model;
    private Adam optimizer;

    private float[] xs, ys;
    private final double[] p = new double[3], m = new double[3], v = new double[3];
    private long t;

    @Setup(Level.Trial)
    public void setup() {
        LinearRegression.Data d = LinearRegression.synthetic(n, 2, 0.5, 0.3, 0);
        x = Tensor.of(d.x());
        y = Tensor.of(d.y());
        model = new LinearRegression.Y();
        optimizer = new Adam(model.parameters());
        xs = d.x();
        ys = d.y();
        p[0] = p[1] = p[2] = 1;
    }

    @Benchmark
    public float vectorgradScoped() {
        try (MemoryScope s = MemoryScope.open()) {
            return vectorgradTextbook();
        }
    }

    @Benchmark
    public float vectorgradTextbook() {
        optimizer.zeroGrad();
        Tensor e = model.forward(x, y).mean().neg();
        e.backward();
        optimizer.step();
        return e.item();
    }

    /** d/dα, d/dβ, d/dσ of -mean(loglik) in one pass, then Adam with PyTorch's defaults. */
    @Benchmark
    public double handWrittenJava() {
        double a = p[0], b = p[1], s = p[2], s2 = s * s;
        double ga = 0, gb = 0, gs = 0, loss = 0;
        for (int i = 0; i < n; i++) {
            double r = ys[i] - a - b * xs[i];
            loss += 0.5 * Math.log(2 * Math.PI * s2) + r * r / (2 * s2);
            ga -= r / s2;
            gb -= r * xs[i] / s2;
            gs += 1 / s - r * r / (s2 * s);
        }
        double[] g = {ga / n, gb / n, gs / n};
        t++;
        double bc1 = 1 - Math.pow(0.9, t), bc2 = Math.sqrt(1 - Math.pow(0.999, t));
        for (int k = 0; k < 3; k++) {
            m[k] += 0.1 * (g[k] - m[k]);
            v[k] = 0.999 * v[k] + 0.001 * g[k] * g[k];
            p[k] -= 1e-3 / bc1 * m[k] / (Math.sqrt(v[k]) / bc2 + 1e-8);
        }
        return loss / n;
    }
}
