/*
 * Two builds of the whole GPT training step timed in one JVM: each build's bench jar (shaded: the library, the
 * GPT example and GptBenchmark) loaded by a class loader of its own, GptBenchmark's model (batch 32 x block 128,
 * the default 4 layers, 4 heads, embedding 128, dropout 0.1, AdamW) built by each, and their steps run in turn,
 * so a noisy neighbour slows both alike; prints each build's median step over the second half of the iterations
 * and the median and quartiles of the per-iteration ratios B/A. One thread unless -Dvectorgrad.threads says.
 *
 *   $JAVA_HOME/bin/java --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED -XX:+UseParallelGC \
 *       -Dvectorgrad.threads=1 bench/scripts/PairedGpt.java OLD/vectorgrad-bench.jar NEW/vectorgrad-bench.jar 60
 */
import java.lang.reflect.*;
import java.net.*;
import java.nio.file.*;
public class PairedGpt {
    static final class Build {
        final Object bench, counters; final Method step;
        Build(String jar) throws Exception {
            ClassLoader cl = new URLClassLoader(new URL[] {Path.of(jar).toUri().toURL()}, PairedGpt.class.getClassLoader().getParent());
            Class<?> b = Class.forName("vectorgrad.bench.GptBenchmark", true, cl);
            Class<?> nm = Class.forName("vectorgrad.bench.TrainStepBenchmark$NativeMemory", true, cl);
            bench = b.getConstructor().newInstance();
            b.getField("batch").setInt(bench, 32);
            b.getField("block").setInt(bench, 128);
            b.getMethod("setup").invoke(bench);
            counters = nm.getConstructor().newInstance();
            step = b.getMethod("step", nm);
        }
        double run() throws Exception {
            long t0 = System.nanoTime();
            step.invoke(bench, counters);
            return (System.nanoTime() - t0) / 1e6;
        }
    }
    public static void main(String[] a) throws Exception {
        int n = Integer.parseInt(a[2]);
        Build x = new Build(a[0]), y = new Build(a[1]);
        for (int i = 0; i < 20; i++) { x.run(); y.run(); }
        double[] tx = new double[n], ty = new double[n], r = new double[n];
        for (int i = 0; i < n; i++) {
            if (i % 2 == 0) { tx[i] = x.run(); ty[i] = y.run(); }
            else { ty[i] = y.run(); tx[i] = x.run(); }
            r[i] = ty[i] / tx[i];
        }
        int h = n / 2, m = n - h;
        double[] sx = java.util.Arrays.copyOfRange(tx, h, n), sy = java.util.Arrays.copyOfRange(ty, h, n), sr = java.util.Arrays.copyOfRange(r, h, n);
        java.util.Arrays.sort(sx); java.util.Arrays.sort(sy); java.util.Arrays.sort(sr);
        System.out.printf("A %.1f ms  B %.1f ms  B/A med %.3f (q1 %.3f q3 %.3f)%n", sx[m / 2], sy[m / 2], sr[m / 2], sr[m / 4], sr[3 * m / 4]);
    }
}
