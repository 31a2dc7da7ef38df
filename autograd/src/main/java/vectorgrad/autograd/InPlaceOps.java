package vectorgrad.autograd;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;
import java.util.function.Supplier;
import vectorgrad.autograd.internal.Shapes;
import vectorgrad.kernels.Elementwise;

/**
 * The in-place updates of {@link Tensor} ({@code add_}, {@code mul_}, {@code fill_}, ...): outside the
 * graph, so refused, as PyTorch refuses them, on a leaf that requires grad while grad mode is on, and on
 * a tensor the graph has recorded.
 */
final class InPlaceOps {
    private InPlaceOps() {}

    static void check(Tensor self, String op) {
        self.checkOpen();
        if (self.requiresGrad && self.isLeaf() && NoGrad.gradEnabled()) {
            throw new IllegalStateException(op + ": a leaf Variable that requires grad is being used in an in-place"
                    + " operation (wrap it in try (var g = Tensor.noGrad()) { ... })");
        }
        if (self.gradFn != null && NoGrad.gradEnabled()) {
            throw new IllegalStateException(
                    op + ": in-place updates of tensors in the graph are not supported; use the out-of-place op");
        }
    }

    /** Computes the out-of-place result under no-grad, checks it fits, and copies it into {@code self}. */
    static Tensor apply(Tensor self, Tensor other, String op, Supplier<Tensor> compute) {
        check(self, op);
        Tensor result;
        try (NoGrad ignored = Tensor.noGrad()) {
            result = compute.get();
        }
        if (result.dtype != self.dtype) {
            result.close();
            throw new IllegalArgumentException(op + ": result type " + result.dtype + " can't be cast to the desired"
                    + " output type " + self.dtype + " (shape " + Shapes.str(self.shape) + ")");
        }
        if (!Arrays.equals(result.shape, self.shape)) {
            String was = Shapes.str(result.shape);
            result.close();
            throw new IllegalArgumentException(op + ": output with shape " + Shapes.str(self.shape)
                    + " doesn't match the broadcast shape " + was
                    + (other != null ? " (other " + Shapes.str(other.shape) + ")" : ""));
        }
        MemorySegment.copy(result.seg(), 0, self.seg(), 0, self.numel() * 4L);
        result.close();
        return self;
    }

    static Tensor fill(Tensor self, double value) {
        check(self, "fill_");
        long n = self.numel();
        MemorySegment m = self.seg();
        if (self.dtype == DType.INT32) for (long i = 0; i < n; i++) m.setAtIndex(ValueLayout.JAVA_INT, i, (int) value);
        else Elementwise.fill(m, 0, n, (float) value);
        return self;
    }
}
