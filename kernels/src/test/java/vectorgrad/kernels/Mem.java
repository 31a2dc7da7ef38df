package vectorgrad.kernels;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.SplittableRandom;

/** Test helpers: native float segments from arrays and back. */
final class Mem {
    private Mem() {}

    static final Arena ARENA = Arena.ofAuto();

    static MemorySegment of(float[] v) {
        MemorySegment s = ARENA.allocate(Math.max(1, v.length) * 4L, 64);
        MemorySegment.copy(v, 0, s, ValueLayout.JAVA_FLOAT, 0, v.length);
        return s;
    }

    static MemorySegment zeros(int n) {
        return ARENA.allocate(Math.max(1, n) * 4L, 64);
    }

    static float[] read(MemorySegment s, int n) {
        float[] out = new float[n];
        MemorySegment.copy(s, ValueLayout.JAVA_FLOAT, 0, out, 0, n);
        return out;
    }

    static float[] random(SplittableRandom r, int n, double lo, double hi) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (float) (lo + (hi - lo) * r.nextDouble());
        return v;
    }

    /** Sizes that hit every tail of 8- and 16-lane vectors, a few multi-vector lengths, and two chunks of 1,024 (GELU). */
    static final int[] SIZES = {
        0, 1, 2, 3, 7, 8, 9, 15, 16, 17, 31, 32, 33, 47, 63, 64, 65, 100, 127, 255, 257, 1000, 1027, 2100
    };

    static void assertClose(double expected, double actual, double rtol, double atol, String what) {
        if (Double.isNaN(expected) && Double.isNaN(actual)) return;
        if (!(Math.abs(expected - actual) <= atol + rtol * Math.abs(expected))) {
            throw new AssertionError(what + ": expected " + expected + " but got " + actual);
        }
    }
}
