/*
 * Two builds of the layer norm kernel timed in one JVM: each build's kernel classes loaded by a class loader of
 * their own, forward and backward of [4096, 128] (the GPT step's layer norms: 32 x 128 tokens of 128) run by the
 * two in turn every iteration over {@code -Dcopies=N} sets of tensors (1, the default: in L3; 8: 64 MB, from memory), so a
 * noisy neighbour slows both alike; prints each build's medians over the second half of the iterations and the
 * median of the per-iteration ratios B/A.
 *
 *   $JAVA_HOME/bin/java --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED \
 *       -Dvectorgrad.threads=1 -Dcopies=1 bench/scripts/PairedLayerNorm.java DIR_A DIR_B 600
 *
 * DIR_A and DIR_B are unzipped kernels jars or copies of kernels/target/classes.
 */
import java.lang.foreign.*;
import java.lang.reflect.*;
import java.net.*;
import java.nio.file.*;
public class PairedLayerNorm {
    public static void main(String[] a) throws Exception {
        int rows = 4096, d = 128, N = Integer.parseInt(a[2]), copies = Integer.getInteger("copies", 1);
        Method[] fw = new Method[2], bw = new Method[2];
        for (int k = 0; k < 2; k++) {
            ClassLoader cl = new URLClassLoader(new URL[] {Path.of(a[k]).toUri().toURL()}, PairedLayerNorm.class.getClassLoader().getParent());
            Class<?> c = Class.forName("vectorgrad.kernels.LayerNorm", true, cl);
            for (Method m : c.getMethods()) { if (m.getName().equals("forward")) fw[k] = m; if (m.getName().equals("backward")) bw[k] = m; }
        }
        Arena ar = Arena.ofShared();
        MemorySegment[] x = new MemorySegment[copies], y = new MemorySegment[copies], g = new MemorySegment[copies], dx = new MemorySegment[copies];
        java.util.Random r = new java.util.Random(1);
        for (int c = 0; c < copies; c++) {
            x[c] = ar.allocate(4L*rows*d, 64); y[c] = ar.allocate(4L*rows*d, 64); g[c] = ar.allocate(4L*rows*d, 64); dx[c] = ar.allocate(4L*rows*d, 64);
            for (int i = 0; i < rows*d; i++) { x[c].setAtIndex(ValueLayout.JAVA_FLOAT, i, (float) r.nextGaussian()); g[c].setAtIndex(ValueLayout.JAVA_FLOAT, i, (float) r.nextGaussian()); }
        }
        MemorySegment w = ar.allocate(4L*d), b = ar.allocate(4L*d), mean = ar.allocate(4L*rows), inv = ar.allocate(4L*rows), dw = ar.allocate(4L*d), db = ar.allocate(4L*d);
        for (int i = 0; i < d; i++) { w.setAtIndex(ValueLayout.JAVA_FLOAT, i, 1f + i * 0.01f); b.setAtIndex(ValueLayout.JAVA_FLOAT, i, 0.1f); }
        double[][] tf = new double[2][N], tb = new double[2][N];
        for (int it = 0; it < N; it++) {
            for (int k0 = 0; k0 < 2; k0++) {
                int k = (it + k0) % 2;
                long t0 = System.nanoTime();
                for (int c = 0; c < copies; c++) fw[k].invoke(null, rows, d, x[c], w, b, 1e-5f, y[c], mean, inv);
                long t1 = System.nanoTime();
                for (int c = 0; c < copies; c++) bw[k].invoke(null, rows, d, x[c], w, mean, inv, g[c], dx[c], dw, db);
                long t2 = System.nanoTime();
                tf[k][it] = (t1 - t0) / 1e3 / copies; tb[k][it] = (t2 - t1) / 1e3 / copies;
            }
        }
        int h = N / 2;
        double[] rf = new double[N - h], rb = new double[N - h];
        for (int i = h; i < N; i++) { rf[i - h] = tf[1][i] / tf[0][i]; rb[i - h] = tb[1][i] / tb[0][i]; }
        java.util.Arrays.sort(rf); java.util.Arrays.sort(rb);
        double[] af = java.util.Arrays.copyOfRange(tf[0], h, N), bf = java.util.Arrays.copyOfRange(tf[1], h, N), ab = java.util.Arrays.copyOfRange(tb[0], h, N), bb = java.util.Arrays.copyOfRange(tb[1], h, N);
        for (double[] z : new double[][] {af, bf, ab, bb}) java.util.Arrays.sort(z);
        int m = (N - h) / 2;
        System.out.printf("fwd A %.1f B %.1f ratio %.3f | bwd A %.1f B %.1f ratio %.3f (q1 %.3f q3 %.3f)%n", af[m], bf[m], rf[m], ab[m], bb[m], rb[m], rb[m/2], rb[3*m/2]);
    }
}
