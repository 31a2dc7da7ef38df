package vectorgrad.bench;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.SplittableRandom;
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
import vectorgrad.kernels.Gemm;

/**
 * C = op(A)·op(B) in float32, row-major, three implementations on the same data in the same run:
 * vectorgrad's sgemm, netlib's pure-Java VectorBLAS (dev.ludovic.netlib 3.2.0, native BLAS disallowed),
 * and a plain Java triple loop (i-k-j order, the best a scalar loop does). OpenBLAS and PyTorch run the
 * same shapes in bench/scripts/gemm_native.py.
 *
 * <p>{@code shape} is {@code m:n:k:op} (colons: JMH's -p splits values on commas) with op one of NN, NT, TN: e.g. {@code 5:128:9216:NT} is the MNIST
 * model's {@code x·Wᵀ} for Linear(9216,128) at batch 5. Threads: -Dvectorgrad.threads (vectorgrad only).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
public class GemmBenchmark {
    @Param({"512:512:512:NN"})
    public String shape;

    int m, n, k;
    boolean ta, tb;
    MemorySegment a, b, c;
    float[] ha, hb, hc;
    dev.ludovic.netlib.blas.BLAS netlib;

    @Setup(Level.Trial)
    public void setup() {
        String[] p = shape.split(":");
        m = Integer.parseInt(p[0]);
        n = Integer.parseInt(p[1]);
        k = Integer.parseInt(p[2]);
        ta = p[3].charAt(0) == 'T';
        tb = p[3].charAt(1) == 'T';
        SplittableRandom r = new SplittableRandom(1);
        ha = new float[m * k];
        hb = new float[k * n];
        hc = new float[m * n];
        for (int i = 0; i < ha.length; i++) ha[i] = (float) r.nextDouble(-1, 1);
        for (int i = 0; i < hb.length; i++) hb[i] = (float) r.nextDouble(-1, 1);
        Arena arena = Arena.ofAuto();
        a = arena.allocate((long) ha.length * 4, 64);
        b = arena.allocate((long) hb.length * 4, 64);
        c = arena.allocate((long) hc.length * 4, 64);
        MemorySegment.copy(ha, 0, a, ValueLayout.JAVA_FLOAT, 0, ha.length);
        MemorySegment.copy(hb, 0, b, ValueLayout.JAVA_FLOAT, 0, hb.length);
        System.setProperty("dev.ludovic.netlib.blas.allowNative", "false");
        netlib = dev.ludovic.netlib.blas.BLAS.getInstance();
    }

    /** 2·m·n·k: multiply by the throughput to get FLOP/s. */
    public static double flops(String shape) {
        String[] p = shape.split(":");
        return 2.0 * Long.parseLong(p[0]) * Long.parseLong(p[1]) * Long.parseLong(p[2]);
    }

    @Benchmark
    public MemorySegment vectorgrad() {
        Gemm.sgemm(ta, tb, m, n, k, 1f, a, 0, ta ? m : k, b, 0, tb ? k : n, 0f, c, 0, n);
        return c;
    }

    /** Column-major BLAS on row-major data: C = A·B is Cᵀ = Bᵀ·Aᵀ. */
    @Benchmark
    public float[] netlibVectorBlas() {
        netlib.sgemm(tb ? "T" : "N", ta ? "T" : "N", n, m, k, 1f, hb, tb ? k : n, ha, ta ? m : k, 0f, hc, n);
        return hc;
    }

    @Benchmark
    public float[] naiveJava() {
        java.util.Arrays.fill(hc, 0f);
        for (int i = 0; i < m; i++) {
            for (int p = 0; p < k; p++) {
                float aip = ta ? ha[p * m + i] : ha[i * k + p];
                int ci = i * n;
                if (tb) {
                    for (int j = 0; j < n; j++) hc[ci + j] += aip * hb[j * k + p];
                } else {
                    int bp = p * n;
                    for (int j = 0; j < n; j++) hc[ci + j] += aip * hb[bp + j];
                }
            }
        }
        return hc;
    }
}
