package vectorgrad.bench;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import vectorgrad.autograd.Generator;
import vectorgrad.autograd.Tensor;
import vectorgrad.nn.optim.Adam;

/**
 * The optimizer step against the memory bandwidth of this machine, in the same run: {@code adam} is
 * {@code Adam.step()} over the MNIST model's parameters (1,199,882 floats in 8 tensors; it reads the
 * parameter, gradient and both moments and writes the parameter and the moments: 28 bytes a parameter);
 * {@code triad} is STREAM's {@code a[i] = b[i] + s·c[i]} (12 bytes an element) over three arrays of 4/3
 * as many floats, so both touch the same 19.2 MB; {@code copy} is {@code a[i] = b[i]} (8 bytes) over two
 * arrays of twice as many. The triad and copy run on the benchmark's own {@code vectorgrad.threads}
 * platform threads, each a contiguous share, as plain Vector API loops (no library code).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class OptimizerBenchmark {
    /** The textbook model's parameter shapes: conv1, conv2, fc1, fc2 weights and biases. */
    static final int[][] SHAPES = {{32, 1, 3, 3}, {32}, {64, 32, 3, 3}, {64}, {128, 9216}, {128}, {10, 128}, {10}};

    static final long PARAMS = 1_199_882;

    @Param({"adam", "triad", "copy"})
    public String op;

    private Adam adam;
    private final List<Tensor> params = new ArrayList<>();
    private MemorySegment a, b, c;
    private long n;
    private ExecutorService pool;
    private int threads;

    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final ByteOrder NO = ByteOrder.nativeOrder();

    @Setup(Level.Trial)
    public void setup() {
        threads = Integer.getInteger("vectorgrad.threads", 1);
        switch (op) {
            case "adam" -> {
                Generator g = new Generator(3);
                for (int[] shape : SHAPES) {
                    Tensor p = Tensor.randn(g, shape).requiresGrad(true);
                    p.setGrad(Tensor.randn(g, shape));
                    params.add(p);
                }
                long total = params.stream().mapToLong(Tensor::numel).sum();
                if (total != PARAMS) throw new IllegalStateException("parameters: " + total);
                adam = new Adam(params, 1e-3);
            }
            case "triad" -> n = PARAMS * 4 / 3;
            case "copy" -> n = PARAMS * 2;
            default -> throw new IllegalArgumentException(op);
        }
        if (!op.equals("adam")) {
            Arena arena = Arena.ofAuto();
            a = arena.allocate(n * 4, 64);
            b = arena.allocate(n * 4, 64);
            c = op.equals("triad") ? arena.allocate(n * 4, 64) : null;
            for (long i = 0; i < n; i++) {
                b.setAtIndex(java.lang.foreign.ValueLayout.JAVA_FLOAT, i, i % 7);
                if (c != null) c.setAtIndex(java.lang.foreign.ValueLayout.JAVA_FLOAT, i, i % 5);
            }
            pool = Executors.newFixedThreadPool(Math.max(1, threads - 1));
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        if (pool != null) pool.shutdownNow();
    }

    /** Bytes one call moves, as STREAM counts them (each array read or written once). */
    static long bytes(String op) {
        return switch (op) {
            case "adam" -> 28 * PARAMS;
            case "triad" -> 12 * (PARAMS * 4 / 3);
            case "copy" -> 8 * (PARAMS * 2);
            default -> throw new IllegalArgumentException(op);
        };
    }

    @Benchmark
    public Object step() throws Exception {
        if (adam != null) {
            adam.step();
            return params.get(4);
        }
        long share = (n / threads) / S.length() * S.length();
        List<Future<?>> others = new ArrayList<>();
        for (int t = 1; t < threads; t++) {
            long from = t * share, to = t == threads - 1 ? n : from + share;
            others.add(pool.submit(() -> range(from, to)));
        }
        range(0, threads == 1 ? n : share);
        for (Future<?> f : others) f.get();
        return a;
    }

    private void range(long from, long to) {
        long i = from, upper = from + (to - from) / S.length() * S.length();
        if (c != null) {
            for (; i < upper; i += S.length()) {
                FloatVector vb = FloatVector.fromMemorySegment(S, b, i * 4, NO);
                FloatVector vc = FloatVector.fromMemorySegment(S, c, i * 4, NO);
                vc.mul(0.5f).add(vb).intoMemorySegment(a, i * 4, NO);
            }
            for (; i < to; i++)
                a.setAtIndex(
                        java.lang.foreign.ValueLayout.JAVA_FLOAT,
                        i,
                        b.getAtIndex(java.lang.foreign.ValueLayout.JAVA_FLOAT, i)
                                + 0.5f * c.getAtIndex(java.lang.foreign.ValueLayout.JAVA_FLOAT, i));
        } else {
            MemorySegment.copy(b, i * 4, a, i * 4, (to - from) * 4);
        }
    }
}
