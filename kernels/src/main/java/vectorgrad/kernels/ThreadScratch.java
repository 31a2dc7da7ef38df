package vectorgrad.kernels;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * Per-thread buffers that grow on demand and are reused, so a steady training loop allocates nothing:
 * the one way the kernels keep scratch memory between calls. A buffer belongs to the thread that asked
 * for it; its contents are undefined unless a method says otherwise. (The algorithm classes that need
 * several related buffers at once keep them in a per-thread {@code Scratch} object of their own.)
 */
final class ThreadScratch {
    private ThreadScratch() {}

    /** A per-thread heap array of floats. */
    static final class Floats {
        private final ThreadLocal<float[][]> holder = ThreadLocal.withInitial(() -> new float[][] {new float[0]});

        /** At least {@code n} floats, contents undefined. */
        float[] get(int n) {
            float[][] h = holder.get();
            if (h[0].length < n) h[0] = new float[n];
            return h[0];
        }

        /** At least {@code n} floats, the first {@code n} zero. */
        float[] zeroed(int n) {
            float[] a = get(n);
            java.util.Arrays.fill(a, 0, n, 0f);
            return a;
        }
    }

    /** A per-thread block of native floats, 64-byte aligned (for kernels that need a segment, not an array). */
    static final class NativeFloats {
        private final ThreadLocal<MemorySegment[]> holder = ThreadLocal.withInitial(() -> new MemorySegment[1]);

        /** At least {@code n} floats, contents undefined. */
        MemorySegment get(long n) {
            MemorySegment[] h = holder.get();
            if (h[0] == null || h[0].byteSize() < n * Float.BYTES) {
                h[0] = Arena.ofAuto().allocate(Math.max(1, n) * Float.BYTES, 64);
            }
            return h[0];
        }
    }

    /** A per-thread set of {@code count} heap arrays of one length (partial sums, one array per work unit). */
    static final class FloatSlots {
        private final ThreadLocal<float[][][]> holder = ThreadLocal.withInitial(() -> new float[][][] {new float[0][]});

        /** At least {@code count} arrays of at least {@code n} floats each, contents undefined. */
        float[][] get(int count, int n) {
            float[][][] h = holder.get();
            if (h[0].length < count || h[0][0].length < n) {
                h[0] = new float[Math.max(count, h[0].length)][Math.max(n, h[0].length > 0 ? h[0][0].length : 0)];
            }
            return h[0];
        }
    }
}
