/*
 * Two builds of sgemm timed in one JVM, on the nine products of a GPT training step (batch 32 x 128
 * positions, embedding 128: the linear layers' x·Wᵀ, g·W and gᵀ·x): each build's kernel classes loaded by a
 * class loader of their own, with its own -Dvectorgrad.gemm.* settings (set while that loader initialises
 * Config, so one build against itself compares two settings); the two run each product in turn, 30 warm-up
 * and N timed runs, and the median of the per-run ratios B/A is printed per product. One thread by default.
 *
 *   mkdir -p /tmp/a && (cd /tmp/a && unzip -q OLD/kernels/target/vectorgrad-kernels-0.1.0-SNAPSHOT.jar)
 *   $JAVA_HOME/bin/java --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED -XX:+UseParallelGC \
 *       -Xmn64m -Dvectorgrad.threads=1 bench/scripts/PairedGemm.java /tmp/a - kernels/target/classes - 40
 *   ... PairedGemm.java kernels/target/classes vectorgrad.gemm.kc=256 kernels/target/classes vectorgrad.gemm.kc=128 40
 *
 * Arguments: dirA propsA dirB propsB N, where props is k=v[,k=v...] or -.
 */
import java.lang.foreign.*;
import java.lang.reflect.*;
import java.net.*;
import java.nio.file.*;
public class PairedGemm {
    static Method load(String dir, String props) throws Exception {
        if (!props.equals("-")) for (String kv : props.split(",")) { String[] p = kv.split("="); System.setProperty(p[0], p[1]); }
        ClassLoader cl = new URLClassLoader(new URL[] {Path.of(dir).toUri().toURL()}, PairedGemm.class.getClassLoader().getParent());
        Class<?> g = Class.forName("vectorgrad.kernels.Gemm", true, cl);
        Class.forName("vectorgrad.kernels.PackedGemm", true, cl);
        Class.forName("vectorgrad.kernels.Config", true, cl);
        if (!props.equals("-")) for (String kv : props.split(",")) System.clearProperty(kv.split("=")[0]);
        return g.getMethod("sgemm", boolean.class, boolean.class, int.class, int.class, int.class, float.class, MemorySegment.class, long.class, int.class, MemorySegment.class, long.class, int.class, float.class, MemorySegment.class, long.class, int.class);
    }
    public static void main(String[] a) throws Exception {
        Object[][] shapes = {
            {"fc fwd NT 4096x512x128", false, true, 4096, 512, 128},
            {"proj fwd NT 4096x128x512", false, true, 4096, 128, 512},
            {"qkv fwd NT 4096x384x128", false, true, 4096, 384, 128},
            {"fc dX NN 4096x128x512", false, false, 4096, 128, 512},
            {"proj dX NN 4096x512x128", false, false, 4096, 512, 128},
            {"qkv dX NN 4096x128x384", false, false, 4096, 128, 384},
            {"fc dW TN 512x128x4096", true, false, 512, 128, 4096},
            {"proj dW TN 128x512x4096", true, false, 128, 512, 4096},
            {"qkv dW TN 384x128x4096", true, false, 384, 128, 4096},
        };
        Method x = load(a[0], a[1]), y = load(a[2], a[3]);
        int n = Integer.parseInt(a[4]);
        Arena ar = Arena.ofShared();
        MemorySegment A = ar.allocate(4096L * 512 * 4, 64), B = ar.allocate(4096L * 512 * 4, 64), C = ar.allocate(4096L * 512 * 4, 64);
        java.util.Random r = new java.util.Random(1);
        for (long i = 0; i < 4096L * 512; i++) { A.setAtIndex(ValueLayout.JAVA_FLOAT, i, (float) r.nextGaussian()); B.setAtIndex(ValueLayout.JAVA_FLOAT, i, (float) r.nextGaussian()); }
        double sumA = 0, sumB = 0;
        for (Object[] s : shapes) {
            boolean ta = (Boolean) s[1], tb = (Boolean) s[2];
            int m = (Integer) s[3], nn = (Integer) s[4], k = (Integer) s[5];
            int lda = ta ? m : k, ldb = tb ? k : nn;
            Object[] args = {ta, tb, m, nn, k, 1f, A, 0L, lda, B, 0L, ldb, 0f, C, 0L, nn};
            double[] tx = new double[n], ty = new double[n], ratio = new double[n];
            for (int it = 0; it < n + 30; it++) {
                long t0, t1, t2;
                if ((it & 1) == 0) { t0 = System.nanoTime(); x.invoke(null, args); t1 = System.nanoTime(); y.invoke(null, args); t2 = System.nanoTime(); if (it >= 30) { tx[it-30] = t1 - t0; ty[it-30] = t2 - t1; } }
                else { t0 = System.nanoTime(); y.invoke(null, args); t1 = System.nanoTime(); x.invoke(null, args); t2 = System.nanoTime(); if (it >= 30) { ty[it-30] = t1 - t0; tx[it-30] = t2 - t1; } }
                if (it >= 30) ratio[it-30] = ty[it-30] / tx[it-30];
            }
            java.util.Arrays.sort(tx); java.util.Arrays.sort(ty); java.util.Arrays.sort(ratio);
            double fl = 2.0 * m * nn * k;
            sumA += tx[n/2]; sumB += ty[n/2];
            System.out.printf("%-26s A %.1f GF  B %.1f GF  B/A med %.3f (q1 %.3f q3 %.3f)%n", s[0], fl / tx[n/2], fl / ty[n/2], ratio[n/2], ratio[n/4], ratio[3*n/4]);
        }
        System.out.printf("sum of medians: B/A %.3f%n", sumB / sumA);
    }
}
