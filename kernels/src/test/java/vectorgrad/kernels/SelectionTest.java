package vectorgrad.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import vectorgrad.kernels.Selection.Comparison;

/**
 * {@link Selection}'s kernels against plain Java written here, bit for bit (they are exact), at sizes that
 * leave every tail and one long enough to run in blocks on the pool; the inputs mix NaN, ±0, infinities,
 * equal pairs and values at the clamp bounds. Runs on the vector path and, with the pom's second pass, on
 * the scalar fallback.
 */
class SelectionTest {
    private final SplittableRandom rnd = new SplittableRandom(7);
    private static final int LONG = (int) Elementwise.PARALLEL_MIN + 37;

    private static int[] sizes() {
        int[] s = java.util.Arrays.copyOf(Mem.SIZES, Mem.SIZES.length + 1);
        s[s.length - 1] = LONG;
        return s;
    }

    /** Values from a small set so that pairs are often equal, with the special ones among them. */
    private float[] values(int n) {
        float[] pool = {
            Float.NaN,
            0f,
            -0f,
            1f,
            -1f,
            0.5f,
            -0.5f,
            2f,
            Float.POSITIVE_INFINITY,
            Float.NEGATIVE_INFINITY,
            3e9f,
            -3e9f,
            7.9f
        };
        float[] v = new float[n];
        for (int i = 0; i < n; i++)
            v[i] = rnd.nextInt(4) == 0 ? (float) rnd.nextGaussian() : pool[rnd.nextInt(pool.length)];
        return v;
    }

    private static MemorySegment ints(int[] v) {
        MemorySegment s = Mem.zeros(v.length);
        MemorySegment.copy(v, 0, s, ValueLayout.JAVA_INT, 0, v.length);
        return s;
    }

    private static int[] readInts(MemorySegment s, int n) {
        int[] out = new int[n];
        MemorySegment.copy(s, ValueLayout.JAVA_INT, 0, out, 0, n);
        return out;
    }

    private static void sameBits(float want, float got, String what) {
        assertEquals(
                Float.floatToRawIntBits(want), Float.floatToRawIntBits(got), what + ": want " + want + ", got " + got);
    }

    @Test
    void whereAndItsGradient() {
        for (int n : sizes()) {
            float[] a = values(n), b = values(n), g = values(n);
            int[] cond = new int[n];
            for (int i = 0; i < n; i++) cond[i] = rnd.nextInt(3) - 1; // -1, 0, 1: any nonzero is true
            MemorySegment c = ints(cond), out = Mem.zeros(n), ga = Mem.zeros(n), gb = Mem.zeros(n);
            Selection.where(c, Mem.of(a), Mem.of(b), out, n);
            Selection.whereGrad(c, Mem.of(g), true, ga, n);
            Selection.whereGrad(c, Mem.of(g), false, gb, n);
            float[] o = Mem.read(out, n), da = Mem.read(ga, n), db = Mem.read(gb, n);
            for (int i = 0; i < n; i++) {
                sameBits(cond[i] != 0 ? a[i] : b[i], o[i], "where n=" + n + " i=" + i);
                sameBits(cond[i] != 0 ? g[i] : 0f, da[i], "where grad (taken) n=" + n + " i=" + i);
                sameBits(cond[i] == 0 ? g[i] : 0f, db[i], "where grad (other) n=" + n + " i=" + i);
            }
        }
    }

    @Test
    void clampAndItsGradient() {
        float[][] bounds = {{-1f, 1f}, {Float.NEGATIVE_INFINITY, 0.5f}, {0f, Float.POSITIVE_INFINITY}, {2f, -2f}};
        for (float[] lohi : bounds) {
            float lo = lohi[0], hi = lohi[1];
            for (int n : sizes()) {
                float[] x = values(n), g = values(n);
                MemorySegment out = Mem.zeros(n), gx = Mem.zeros(n);
                Selection.clamp(Mem.of(x), out, n, lo, hi);
                Selection.clampGrad(Mem.of(x), Mem.of(g), gx, n, lo, hi);
                float[] o = Mem.read(out, n), d = Mem.read(gx, n);
                for (int i = 0; i < n; i++) {
                    float v = x[i];
                    String what = "clamp [" + lo + ", " + hi + "] n=" + n + " x=" + v;
                    sameBits(v != v ? v : Math.min(Math.max(v, lo), hi), o[i], what);
                    sameBits(v >= lo && v <= hi ? g[i] : 0f, d[i], what + " (gradient)");
                }
            }
        }
    }

    @Test
    void comparisonsWithATensorAndAScalar() {
        for (Comparison op : Comparison.values()) {
            for (int n : sizes()) {
                float[] a = values(n), b = values(n);
                MemorySegment out = Mem.zeros(n), outS = Mem.zeros(n);
                float s = n % 2 == 0 ? 0.5f : Float.NaN;
                Selection.compare(op, Mem.of(a), Mem.of(b), out, n);
                Selection.compare(op, Mem.of(a), s, outS, n);
                int[] r = readInts(out, n), rs = readInts(outS, n);
                for (int i = 0; i < n; i++) {
                    assertEquals(op.test(a[i], b[i]) ? 1 : 0, r[i], op + " " + a[i] + " " + b[i]);
                    assertEquals(op.test(a[i], s) ? 1 : 0, rs[i], op + " " + a[i] + " " + s);
                }
            }
        }
        // Java's float operators, which PyTorch's agree with: NaN is unequal to everything, -0 equals 0
        assertEquals(true, Comparison.NE.test(Float.NaN, Float.NaN));
        assertEquals(true, Comparison.EQ.test(-0f, 0f));
    }

    @Test
    void conversionsBetweenIntAndFloat() {
        for (int n : sizes()) {
            float[] f = values(n);
            int[] ints = new int[n];
            for (int i = 0; i < n; i++) ints[i] = rnd.nextInt(4) == 0 ? rnd.nextInt() : rnd.nextInt(-1000, 1000);
            MemorySegment toInt = Mem.zeros(n), toFloat = Mem.zeros(n);
            Selection.floatToInt(Mem.of(f), toInt, n);
            Selection.intToFloat(ints(ints), toFloat, n);
            int[] ri = readInts(toInt, n);
            float[] rf = Mem.read(toFloat, n);
            for (int i = 0; i < n; i++) {
                assertEquals((int) f[i], ri[i], "(int) " + f[i]);
                sameBits((float) ints[i], rf[i], "(float) " + ints[i]);
            }
        }
    }
}
