/*
 * Two builds of the attention kernel timed in one JVM: each build's kernel classes loaded by a class
 * loader of their own, forward+backward of the GPT's packed self-attention ([B, T, 3·H·d], batch 32 x 4
 * heads, d 32, causal, one thread by default) run by the two in turn every iteration, so a noisy
 * neighbour slows both alike; prints each build's medians and the median of the per-iteration ratios B/A
 * over the second half of the iterations. A run of a build against itself gives the harness's own bias.
 *
 *   mkdir -p /tmp/a /tmp/b
 *   (cd /tmp/a && unzip -q OLD/kernels/target/vectorgrad-kernels-0.1.0-SNAPSHOT.jar)
 *   (cd /tmp/b && unzip -q NEW/kernels/target/vectorgrad-kernels-0.1.0-SNAPSHOT.jar)
 *   $JAVA_HOME/bin/java --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED \
 *       -XX:+UseParallelGC -Xmn128m -Dvectorgrad.threads=1 bench/scripts/PairedAttention.java /tmp/a /tmp/b 128 600
 *
 * A fifth argument {@code unpacked} times q, k, v as separate {@code [B·H, T, d]} tensors instead (the layout of
 * {@code ToolkitBenchmark}'s attention and of {@code toolkit_torch.py}); {@code -Ddropout=0.1} times dropout inside
 * attention, as in the GPT's training step (0 by default).
 *
 * Either build's backward may take the forward's output (builds before 96f0cce) or not.
 */
import java.lang.foreign.*;
import java.lang.reflect.*;
import java.net.*;
import java.nio.file.*;
public class PairedAttention {
    /** The dropout probability inside attention ({@code -Ddropout=0.1}: the GPT's training step); 0 by default. */
    static final float DROPOUT = Float.parseFloat(System.getProperty("dropout", "0"));
    static final class Impl {
        final Method fwd, bwd; final Object sh; final boolean oldSig, unpacked;
        Impl(String dir, int B, int H, int T, int D, boolean unpacked) throws Exception {
            this.unpacked = unpacked;
            ClassLoader cl = new URLClassLoader(new URL[] {Path.of(dir).toUri().toURL()}, PairedAttention.class.getClassLoader().getParent());
            Class<?> a = Class.forName("vectorgrad.kernels.Attention", true, cl);
            Class<?> s = Class.forName("vectorgrad.kernels.Attention$Shape", true, cl);
            if (unpacked) {
                sh = s.getConstructor(int.class, int.class, int.class, int.class, int.class, boolean.class, float.class, float.class, long.class)
                        .newInstance(B * H, T, T, D, D, true, (float) (1 / Math.sqrt(D)), DROPOUT, 1L);
                fwd = a.getMethod("forward", s, MemorySegment.class, MemorySegment.class, MemorySegment.class, MemorySegment.class, long.class, MemorySegment.class, MemorySegment.class);
                bwd = a.getMethod("backward", s, MemorySegment.class, MemorySegment.class, MemorySegment.class, MemorySegment.class, long.class, MemorySegment.class, MemorySegment.class, MemorySegment.class, MemorySegment.class, MemorySegment.class);
                oldSig = false;
                return;
            }
            sh = s.getConstructor(int.class, int.class, int.class, int.class, int.class, int.class, boolean.class, float.class, float.class, long.class, int.class)
                    .newInstance(B * H, H, T, T, D, D, true, (float) (1 / Math.sqrt(D)), DROPOUT, 1L, 3 * H * D);
            fwd = a.getMethod("forwardPacked", s, MemorySegment.class, MemorySegment.class, long.class, MemorySegment.class, MemorySegment.class);
            Method m = null; boolean old = false;
            for (Method x : a.getMethods()) if (x.getName().equals("backwardPacked")) { m = x; old = x.getParameterCount() == 8; }
            bwd = m; oldSig = old;
        }
        long[] run(MemorySegment qkv, MemorySegment out, MemorySegment lse, MemorySegment dOut, MemorySegment dqkv) throws Exception {
            long t0 = System.nanoTime();
            if (unpacked) {
                long e = qkv.byteSize() / 3; // q, k, v (and their gradients) one after another
                fwd.invoke(null, sh, qkv, qkv.asSlice(e, e), qkv.asSlice(2 * e, e), null, 0L, out, lse);
                long t1 = System.nanoTime();
                bwd.invoke(null, sh, qkv, qkv.asSlice(e, e), qkv.asSlice(2 * e, e), null, 0L, lse, dOut, dqkv, dqkv.asSlice(e, e), dqkv.asSlice(2 * e, e));
                return new long[] {t1 - t0, System.nanoTime() - t1};
            }
            fwd.invoke(null, sh, qkv, null, 0L, out, lse);
            long t1 = System.nanoTime();
            if (oldSig) bwd.invoke(null, sh, qkv, null, 0L, out, lse, dOut, dqkv);
            else bwd.invoke(null, sh, qkv, null, 0L, lse, dOut, dqkv);
            long t2 = System.nanoTime();
            return new long[] {t1 - t0, t2 - t1};
        }
    }
    public static void main(String[] a) throws Exception {
        int B = 32, H = 4, T = Integer.parseInt(a[2]), D = 32, N = Integer.parseInt(a[3]);
        Arena ar = Arena.ofShared();
        int e = H * D;
        MemorySegment qkv = ar.allocate((long) B * T * 3 * e * 4, 64), dqkv = ar.allocate((long) B * T * 3 * e * 4, 64);
        MemorySegment out = ar.allocate((long) B * T * e * 4, 64), dOut = ar.allocate((long) B * T * e * 4, 64), lse = ar.allocate((long) B * H * T * 4, 64);
        java.util.Random r = new java.util.Random(1);
        for (long i = 0; i < qkv.byteSize() / 4; i++) qkv.setAtIndex(ValueLayout.JAVA_FLOAT, i, (float) r.nextGaussian());
        for (long i = 0; i < dOut.byteSize() / 4; i++) dOut.setAtIndex(ValueLayout.JAVA_FLOAT, i, (float) r.nextGaussian());
        boolean unpacked = a.length > 4 && a[4].equals("unpacked");
        Impl x = new Impl(a[0], B, H, T, D, unpacked), y = new Impl(a[1], B, H, T, D, unpacked);
        int m = N - N / 2;
        long[][] tx = new long[2][m], ty = new long[2][m];
        double[] ratio = new double[m];
        for (int it = 0; it < N; it++) {
            long[] rx, ry;
            if ((it & 1) == 0) { rx = x.run(qkv, out, lse, dOut, dqkv); ry = y.run(qkv, out, lse, dOut, dqkv); }
            else { ry = y.run(qkv, out, lse, dOut, dqkv); rx = x.run(qkv, out, lse, dOut, dqkv); }
            if (it >= N / 2) { int k = it - N / 2; tx[0][k] = rx[0]; tx[1][k] = rx[1]; ty[0][k] = ry[0]; ty[1][k] = ry[1]; ratio[k] = (double) (ry[0] + ry[1]) / (rx[0] + rx[1]); }
        }
        for (long[] z : tx) java.util.Arrays.sort(z);
        for (long[] z : ty) java.util.Arrays.sort(z);
        java.util.Arrays.sort(ratio);
        System.out.printf("T=%d A: fwd med %.0f bwd med %.0f (min %.0f+%.0f) | B: fwd med %.0f bwd med %.0f (min %.0f+%.0f) | B/A per pair: q1 %.3f med %.3f q3 %.3f%n", T,
            tx[0][m/2]/1e3, tx[1][m/2]/1e3, tx[0][0]/1e3, tx[1][0]/1e3, ty[0][m/2]/1e3, ty[1][m/2]/1e3, ty[0][0]/1e3, ty[1][0]/1e3, ratio[m/4], ratio[m/2], ratio[3*m/4]);
    }
}
