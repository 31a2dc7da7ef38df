package vectorgrad.autograd;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import vectorgrad.autograd.internal.Shapes;
import vectorgrad.kernels.Elementwise;

/** The bodies of {@link Tensor}'s factory methods (documented there). */
final class Creation {
    private Creation() {}

    private static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT;
    private static final ValueLayout.OfInt I = ValueLayout.JAVA_INT;

    static Tensor scalar(float value) {
        Tensor t = Tensor.empty(new int[0]);
        t.seg().setAtIndex(F, 0, value);
        return t;
    }

    static Tensor of(float[] data, int... shape) {
        if (Shapes.numel(shape) != data.length) {
            throw new IllegalArgumentException(
                    "shape " + Shapes.str(shape) + " is invalid for input of size " + data.length);
        }
        Tensor t = Tensor.empty(shape);
        MemorySegment.copy(data, 0, t.seg(), F, 0, data.length);
        return t;
    }

    static Tensor ofInts(int[] data, int... shape) {
        if (Shapes.numel(shape) != data.length) {
            throw new IllegalArgumentException(
                    "shape " + Shapes.str(shape) + " is invalid for input of size " + data.length);
        }
        Tensor t = new Tensor(shape, DType.INT32);
        MemorySegment.copy(data, 0, t.seg(), I, 0, data.length);
        return t;
    }

    static Tensor full(float value, int... shape) {
        Tensor t = Tensor.empty(shape);
        Elementwise.fill(t.seg(), 0, t.numel(), value);
        return t;
    }

    static Tensor arange(double start, double end, double step) {
        if (step == 0) throw new IllegalArgumentException("arange: step must be nonzero");
        long n = (long) Math.ceil((end - start) / step);
        if (n < 0)
            throw new IllegalArgumentException(
                    "arange: upper bound and larger bound inconsistent with step sign (start " + start + ", end " + end
                            + ", step " + step + ")");
        if (n > Integer.MAX_VALUE) throw new IllegalArgumentException("arange: " + n + " elements is too many");
        Tensor t = Tensor.empty(new int[] {(int) n});
        for (int i = 0; i < n; i++) t.seg().setAtIndex(F, i, (float) (start + i * step));
        return t;
    }

    static Tensor eye(int n, int m) {
        if (n < 0 || m < 0)
            throw new IllegalArgumentException("eye: n and m must be non-negative, got " + n + ", " + m);
        Tensor t = Tensor.zeros(n, m);
        for (int i = 0; i < Math.min(n, m); i++) t.seg().setAtIndex(F, (long) i * m + i, 1f);
        return t;
    }

    /** PyTorch's linspace: the first half stepped from start, the second half stepped back from end. */
    static Tensor linspace(double start, double end, int steps) {
        if (steps < 0)
            throw new IllegalArgumentException("linspace: number of steps must be non-negative, got " + steps);
        Tensor t = Tensor.empty(new int[] {steps});
        double step = steps > 1 ? (end - start) / (steps - 1) : 0;
        int half = steps / 2;
        for (int i = 0; i < steps; i++) {
            t.seg().setAtIndex(F, i, (float) (i < half ? start + step * i : end - step * (steps - 1 - i)));
        }
        return t;
    }

    static Tensor uniform(Generator g, float low, float high, int... shape) {
        Tensor t = Tensor.empty(shape);
        g.fillUniform(t.seg(), t.numel(), low, high);
        return t;
    }

    static Tensor randn(Generator g, int... shape) {
        Tensor t = Tensor.empty(shape);
        g.fillNormal(t.seg(), t.numel(), 0f, 1f);
        return t;
    }
}
