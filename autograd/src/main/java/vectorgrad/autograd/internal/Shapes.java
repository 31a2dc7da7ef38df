package vectorgrad.autograd.internal;

import java.util.Arrays;

/** Shape arithmetic: sizes, contiguous strides, NumPy broadcasting, and shapes in error messages. */
public final class Shapes {
    private Shapes() {}

    public static long numel(int[] shape) {
        long n = 1;
        for (int d : shape) n *= d;
        return n;
    }

    public static void validate(int[] shape) {
        for (int d : shape) {
            if (d < 0) throw new IllegalArgumentException("negative dimension in shape " + str(shape));
        }
    }

    /** "[5, 9216]" */
    public static String str(int[] shape) {
        return Arrays.toString(shape);
    }

    /** "5x9216", as PyTorch's matmul errors write shapes. */
    public static String x(int[] shape) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < shape.length; i++) {
            if (i > 0) sb.append('x');
            sb.append(shape[i]);
        }
        return sb.length() == 0 ? "scalar" : sb.toString();
    }

    public static long[] contiguousStrides(int[] shape) {
        long[] s = new long[shape.length];
        long acc = 1;
        for (int d = shape.length - 1; d >= 0; d--) {
            s[d] = acc;
            acc *= shape[d];
        }
        return s;
    }

    /** The broadcast shape of {@code a} and {@code b}, NumPy's rules, or an error naming both shapes. */
    public static int[] broadcast(int[] a, int[] b, String op) {
        int rank = Math.max(a.length, b.length);
        int[] out = new int[rank];
        for (int i = 0; i < rank; i++) {
            int da = i < rank - a.length ? 1 : a[i - (rank - a.length)];
            int db = i < rank - b.length ? 1 : b[i - (rank - b.length)];
            if (da != db && da != 1 && db != 1) {
                throw new IllegalArgumentException(
                        op + ": the size of tensor a (" + da + ") must match the size of tensor b (" + db
                                + ") at non-singleton dimension " + i + " (shapes " + str(a) + " and " + str(b) + ")");
            }
            out[i] = da == 1 ? db : da;
        }
        return out;
    }

    /** Strides that read a contiguous tensor of {@code shape} as {@code target} (0 along broadcast dims). */
    public static long[] broadcastStrides(int[] shape, int[] target) {
        long[] own = contiguousStrides(shape);
        long[] s = new long[target.length];
        int off = target.length - shape.length;
        for (int i = 0; i < target.length; i++) {
            if (i < off) s[i] = 0;
            else s[i] = shape[i - off] == 1 && target[i] != 1 ? 0 : own[i - off];
        }
        return s;
    }

    /** Normalises a possibly negative dimension index. */
    public static int dim(int d, int rank, String op) {
        int r = Math.max(rank, 1);
        if (d < -r || d >= r) {
            throw new IndexOutOfBoundsException(op + ": dimension out of range (expected to be in range of [" + (-r)
                    + ", " + (r - 1) + "], but got " + d + ")");
        }
        return d < 0 ? d + r : d;
    }
}
