package vectorgrad.autograd;

import java.lang.ref.Reference;
import vectorgrad.autograd.internal.Shapes;
import vectorgrad.kernels.Elementwise;
import vectorgrad.kernels.Reduce;

/**
 * Reductions of {@link Tensor}, each forward beside its backward rule (the lambda passed to
 * {@code record}): Tensor's public methods delegate here.
 */
final class ReductionOps {
    private ReductionOps() {}

    /** Sum of all elements  |  g broadcast back to the input's shape. */
    static Tensor sum(Tensor self) {
        self.requireFloat("sum");
        Tensor out = Tensor.empty(new int[0]);
        Elementwise.sumInto(self.shape, self.seg(), 0, out.seg(), 0, new long[self.shape.length], 1);
        Reference.reachabilityFence(self);
        int[] inShape = self.shape;
        return Tensor.record(out, "sum", (g, need) -> new Tensor[] {g.expand(inShape)}, self);
    }

    /** Sum over {@code dim}  |  g broadcast back along {@code dim}. */
    static Tensor sum(Tensor self, int dim, boolean keepdim) {
        self.requireFloat("sum");
        int d = Shapes.dim(dim, self.shape.length, "sum");
        if (self.shape.length == 0) return self.clone();
        int[] kept = self.shape.clone();
        kept[d] = 1;
        long[] outStrides = Shapes.contiguousStrides(kept);
        outStrides[d] = 0;
        Tensor out = Tensor.empty(kept);
        Elementwise.sumInto(self.shape, self.seg(), 0, out.seg(), 0, outStrides, Shapes.numel(kept));
        Reference.reachabilityFence(self);
        int[] inShape = self.shape;
        Tensor result = keepdim ? out : new Tensor(out, ShapeOps.dropDim(kept, d));
        if (!keepdim) out.close(); // the view holds the memory now
        return Tensor.record(
                result, "sum", (g, need) -> new Tensor[] {g.reshape(kept).expand(inShape)}, self);
    }

    /** Mean of all elements  |  g/n broadcast back. */
    static Tensor mean(Tensor self) {
        long n = self.numel();
        if (n == 0) return Tensor.scalar(Float.NaN);
        Tensor out;
        try (NoGrad ignored = Tensor.noGrad();
                Tensor s = self.sum()) {
            out = s.div((double) n);
        }
        int[] inShape = self.shape;
        return Tensor.record(
                out, "mean", (g, need) -> new Tensor[] {g.expand(inShape).div((double) n)}, self);
    }

    /** Mean over {@code dim}  |  g/n broadcast back along {@code dim}. */
    /**
     * Variance over {@code dim}: {@code Σ(x - mean)² / (n - unbiased)}, composed of recorded ops, so its
     * gradient {@code 2(x - mean)/(n - unbiased)} comes from theirs. With one element and
     * {@code unbiased}, NaN (PyTorch's answer and warning).
     */
    static Tensor var(Tensor self, int dim, boolean unbiased, boolean keepdim) {
        int d = Shapes.dim(dim, Math.max(1, self.shape.length), "var");
        int n = self.shape.length == 0 ? 1 : self.shape[d];
        Tensor dev = self.sub(self.mean(d, true));
        return dev.mul(dev).sum(d, keepdim).div(unbiased ? n - 1.0 : (double) n);
    }

    static Tensor mean(Tensor self, int dim, boolean keepdim) {
        int d = Shapes.dim(dim, self.shape.length, "mean");
        int n = self.shape.length == 0 ? 1 : self.shape[d];
        int[] inShape = self.shape;
        int[] kept = self.shape.clone();
        if (kept.length > 0) kept[d] = 1;
        Tensor out;
        try (NoGrad ignored = Tensor.noGrad();
                Tensor s = self.sum(dim, keepdim)) {
            out = s.div((double) n);
        }
        return Tensor.record(
                out,
                "mean",
                (g, need) -> new Tensor[] {g.reshape(kept).expand(inShape).div((double) n)},
                self);
    }

    /** Max over {@code dim} with its first argmax  |  g goes to the argmax position, 0 elsewhere. */
    static Tensor.MaxResult max(Tensor self, int dim, boolean keepdim) {
        self.requireFloat("max");
        int d = Shapes.dim(dim, self.shape.length, "max");
        int[] s = self.shape.length == 0 ? new int[] {1} : self.shape;
        int outer = 1, inner = 1, n = s[d];
        for (int i = 0; i < d; i++) outer *= s[i];
        for (int i = d + 1; i < s.length; i++) inner *= s[i];
        if (n == 0)
            throw new IllegalArgumentException("self.max(): cannot reduce over dimension " + d
                    + " of size 0 (self.shape " + Shapes.str(self.shape) + ")");
        int[] kept = s.clone();
        kept[d] = 1;
        int[] outShape = self.shape.length == 0 ? new int[0] : (keepdim ? kept : ShapeOps.dropDim(kept, d));
        Tensor vals = Tensor.empty(outShape);
        Tensor idx = new Tensor(outShape, DType.INT32);
        Reduce.max(outer, n, inner, self.seg(), 0, vals.seg(), 0, idx.seg(), 0);
        Reference.reachabilityFence(self);
        int[] inShape = self.shape;
        int o = outer, nn = n, in = inner;
        Tensor.record(
                vals,
                "max",
                (g, need) -> {
                    Tensor gi = Tensor.empty(inShape);
                    Reduce.scatterMax(o, nn, in, g.seg(), 0, idx.seg(), 0, gi.seg(), 0);
                    Reference.reachabilityFence(g);
                    return new Tensor[] {gi};
                },
                self);
        return new Tensor.MaxResult(vals, idx);
    }

    /** Max of all elements  |  g goes to the first maximum. */
    static Tensor max(Tensor self) {
        if (self.numel() == 0) throw new IllegalArgumentException("self.max(): expected a non-empty tensor");
        return self.reshape((int) self.numel()).max(0, false).values();
    }

    /** Index of the max over {@code dim} (int32, no gradient). */
    static Tensor argmax(Tensor self, int dim, boolean keepdim) {
        try (NoGrad ignored = Tensor.noGrad()) {
            Tensor.MaxResult r = self.max(dim, keepdim);
            r.values().close();
            return r.indices();
        }
    }

    /** Flat index of the maximum (int32 scalar). */
    static Tensor argmax(Tensor self) {
        try (NoGrad ignored = Tensor.noGrad()) {
            Tensor flat = self.reshape((int) self.numel());
            Tensor r = flat.argmax(0, false);
            flat.close();
            return r;
        }
    }
}
