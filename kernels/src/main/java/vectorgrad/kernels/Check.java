package vectorgrad.kernels;

import java.lang.foreign.MemorySegment;

/** Argument checks done once at each kernel entry, so the loops behind them run free of checks. */
final class Check {
    private Check() {}

    static void floats(MemorySegment seg, long offset, long count, String name) {
        if (!fits(seg, offset, count)) fail(seg, offset, count, name);
    }

    /**
     * As {@link #floats(MemorySegment, long, long, String)}, the name {@code prefix + subject + suffix}
     * built only for the error: kernels called thousands of times a step would otherwise concatenate it
     * on every call.
     */
    static void floats(MemorySegment seg, long offset, long count, String prefix, Object subject, String suffix) {
        if (!fits(seg, offset, count)) fail(seg, offset, count, prefix + subject + suffix);
    }

    /** Whether floats {@code [offset, offset + count)} are inside the segment. */
    static boolean fits(MemorySegment seg, long offset, long count) {
        return offset >= 0 && count >= 0 && offset + count <= seg.byteSize() / Float.BYTES;
    }

    private static void fail(MemorySegment seg, long offset, long count, String name) {
        if (offset < 0 || count < 0) {
            throw new IllegalArgumentException(
                    name + ": negative offset or length (offset " + offset + ", length " + count + ")");
        }
        long have = seg.byteSize() / Float.BYTES;
        if (offset + count > have) {
            throw new IllegalArgumentException(
                    name + ": needs floats [" + offset + ", " + (offset + count) + ") but the segment holds " + have);
        }
    }

    static void nonNegative(long v, String what) {
        if (v < 0) throw new IllegalArgumentException(what + " must be >= 0, got " + v);
    }

    static long product(int[] shape) {
        long n = 1;
        for (int d : shape) {
            if (d < 0)
                throw new IllegalArgumentException("negative dimension in shape " + java.util.Arrays.toString(shape));
            n *= d;
        }
        return n;
    }

    /** Largest element offset reachable with these strides (0 for an empty shape), plus one. */
    static long extent(int[] shape, long[] strides) {
        long max = 0;
        for (int i = 0; i < shape.length; i++) {
            if (shape[i] == 0) return 0;
            max += (long) (shape[i] - 1) * strides[i];
        }
        return max + 1;
    }
}
