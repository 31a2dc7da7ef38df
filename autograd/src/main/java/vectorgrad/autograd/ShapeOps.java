package vectorgrad.autograd;

import java.lang.ref.Reference;
import java.util.Arrays;
import vectorgrad.autograd.internal.Shapes;
import vectorgrad.kernels.Elementwise;

/**
 * Shape ops of {@link Tensor}, each forward beside its backward rule (the lambda passed to
 * {@code record}): Tensor's public methods delegate here.
 */
final class ShapeOps {
    private ShapeOps() {}

    static Tensor viewInternal(Tensor self, int[] newShape) {
        return new Tensor(self, newShape);
    }

    static int[] dropDim(int[] s, int d) {
        int[] r = new int[s.length - 1];
        for (int i = 0, j = 0; i < s.length; i++) if (i != d) r[j++] = s[i];
        return r;
    }

    /** Same data, another shape (one dimension may be -1)  |  g reshaped back. Shares memory. */
    static Tensor reshape(Tensor self, int... newShape) {
        int[] resolved = resolveShape(self, newShape);
        if (Arrays.equals(resolved, self.shape) && !self.requiresGrad) return new Tensor(self, resolved);
        int[] inShape = self.shape;
        return Tensor.record(
                new Tensor(self, resolved), "reshape", (g, need) -> new Tensor[] {g.reshape(inShape)}, self);
    }

    /** Alias of {@link #reshape(int...)} (every tensor here is contiguous). */
    static Tensor view(Tensor self, int... newShape) {
        return self.reshape(newShape);
    }

    static int[] resolveShape(Tensor self, int[] newShape) {
        long n = self.numel();
        int infer = -1;
        long known = 1;
        for (int i = 0; i < newShape.length; i++) {
            if (newShape[i] == -1) {
                if (infer >= 0)
                    throw new IllegalArgumentException(
                            "only one dimension can be inferred (self.shape " + Shapes.str(newShape) + ")");
                infer = i;
            } else if (newShape[i] < 0) {
                throw new IllegalArgumentException(
                        "invalid self.shape dimension " + newShape[i] + " in " + Shapes.str(newShape));
            } else {
                known *= newShape[i];
            }
        }
        int[] r = newShape.clone();
        if (infer >= 0) {
            if (known == 0 || n % known != 0)
                throw new IllegalArgumentException(
                        "self.shape " + Shapes.str(newShape) + " is invalid for input of size " + n);
            r[infer] = (int) (n / known);
        } else if (known != n) {
            throw new IllegalArgumentException(
                    "self.shape " + Shapes.str(newShape) + " is invalid for input of size " + n);
        }
        return r;
    }

    /** Inserts a dimension of size 1 at {@code dim}. */
    static Tensor unsqueeze(Tensor self, int dim) {
        int d = dim < 0 ? dim + self.shape.length + 1 : dim;
        if (d < 0 || d > self.shape.length) {
            throw new IndexOutOfBoundsException("unsqueeze: dimension out of range (expected to be in range of ["
                    + (-self.shape.length - 1) + ", " + self.shape.length + "], but got " + dim + ")");
        }
        int[] s = new int[self.shape.length + 1];
        for (int i = 0, j = 0; i < s.length; i++) s[i] = i == d ? 1 : self.shape[j++];
        return self.reshape(s);
    }

    /** Removes every dimension of size 1. */
    static Tensor squeeze(Tensor self) {
        return self.reshape(Arrays.stream(self.shape).filter(x -> x != 1).toArray());
    }

    /** Removes {@code dim} if its size is 1 (otherwise returns the same shape, as PyTorch). */
    static Tensor squeeze(Tensor self, int dim) {
        if (self.shape.length == 0) return self.reshape();
        int d = Shapes.dim(dim, self.shape.length, "squeeze");
        return self.shape[d] == 1 ? self.reshape(ShapeOps.dropDim(self.shape, d)) : self.reshape(self.shape);
    }

    /** Flattens to 1-D. */
    static Tensor flatten(Tensor self) {
        return self.flatten(0, -1);
    }

    /** Flattens dimensions {@code startDim..end}. */
    static Tensor flatten(Tensor self, int startDim) {
        return self.flatten(startDim, -1);
    }

    /** Flattens dimensions {@code startDim..endDim} (inclusive) into one. */
    static Tensor flatten(Tensor self, int startDim, int endDim) {
        if (self.shape.length == 0) return self.reshape(1);
        int s = Shapes.dim(startDim, self.shape.length, "flatten"),
                e = Shapes.dim(endDim, self.shape.length, "flatten");
        if (s > e)
            throw new IllegalArgumentException(
                    "self.flatten() has invalid args: start_dim " + startDim + " cannot come after end_dim " + endDim);
        int[] r = new int[self.shape.length - (e - s)];
        int k = 0;
        for (int i = 0; i < s; i++) r[k++] = self.shape[i];
        int prod = 1;
        for (int i = s; i <= e; i++) prod *= self.shape[i];
        r[k++] = prod;
        for (int i = e + 1; i < self.shape.length; i++) r[k++] = self.shape[i];
        return self.reshape(r);
    }

    /** Repeats size-1 dimensions to {@code target}, as {@code expand}  |  g summed back. Copies. */
    static Tensor expand(Tensor self, int... target) {
        self.requireFloat("expand");
        Shapes.validate(target);
        int[] b = Shapes.broadcast(self.shape, target, "expand");
        if (!Arrays.equals(b, target)) {
            throw new IllegalArgumentException("expand: the expanded size " + Shapes.str(target)
                    + " must match the existing size " + Shapes.str(self.shape) + " at non-singleton dimensions");
        }
        Tensor out = Tensor.empty(target);
        Elementwise.expand(target, self.seg(), 0, Shapes.broadcastStrides(self.shape, target), out.seg(), 0);
        Reference.reachabilityFence(self);
        int[] inShape = self.shape;
        return Tensor.record(out, "expand", (g, need) -> new Tensor[] {g.sumTo(inShape)}, self);
    }

    /** Sums broadcast dimensions away so the result has {@code target}'s shape (the reverse of expand). */
    static Tensor sumTo(Tensor self, int[] target) {
        if (Arrays.equals(self.shape, target)) return self;
        int[] check = Shapes.broadcast(target, self.shape, "sumTo");
        if (!Arrays.equals(check, self.shape)) {
            throw new IllegalArgumentException(
                    "sumTo: self.shape " + Shapes.str(self.shape) + " is not a broadcast of " + Shapes.str(target));
        }
        Tensor out = Tensor.empty(target);
        // strides of the target seen from self self.shape: 0 where the target had 1 or nothing
        long[] outStrides = Shapes.broadcastStrides(target, self.shape);
        Elementwise.sumInto(self.shape, self.seg(), 0, out.seg(), 0, outStrides, Shapes.numel(target));
        Reference.reachabilityFence(self);
        return Tensor.record(out, "sum_to", (g, need) -> new Tensor[] {g.expand(self.shape)}, self);
    }

    /** Swaps two dimensions (a contiguous copy)  |  g swapped back. */
    static Tensor transpose(Tensor self, int dim0, int dim1) {
        int[] perm = new int[self.shape.length];
        for (int i = 0; i < perm.length; i++) perm[i] = i;
        int a = Shapes.dim(dim0, self.shape.length, "transpose"), b = Shapes.dim(dim1, self.shape.length, "transpose");
        if (self.shape.length == 0) return self.clone();
        perm[a] = b;
        perm[b] = a;
        return self.permute(perm);
    }

    /** The 2-D transpose. */
    static Tensor t(Tensor self) {
        if (self.shape.length > 2)
            throw new IllegalArgumentException(
                    "self.t() expects a tensor with <= 2 dimensions, but got " + self.shape.length);
        return self.shape.length < 2 ? self.reshape(self.shape) : self.transpose(0, 1);
    }

    /** Reorders dimensions (a contiguous copy)  |  g permuted by the inverse. */
    static Tensor permute(Tensor self, int... dims) {
        if (dims.length != self.shape.length) {
            throw new IllegalArgumentException("permute: number of dims don't match (tensor has " + self.shape.length
                    + ", got " + dims.length + ")");
        }
        int[] perm = new int[dims.length];
        boolean[] seen = new boolean[dims.length];
        int[] out = new int[dims.length];
        for (int i = 0; i < dims.length; i++) {
            perm[i] = Shapes.dim(dims[i], self.shape.length, "permute");
            if (seen[perm[i]])
                throw new IllegalArgumentException("permute: repeated dim " + dims[i] + " in " + Arrays.toString(dims));
            seen[perm[i]] = true;
            out[i] = self.shape[perm[i]];
        }
        self.requireFloat("permute");
        Tensor result = new Tensor(out, self.dtype);
        Elementwise.permute(self.shape, perm, self.seg(), 0, result.seg(), 0);
        Reference.reachabilityFence(self);
        int[] inverse = new int[perm.length];
        for (int i = 0; i < perm.length; i++) inverse[perm[i]] = i;
        return Tensor.record(result, "permute", (g, need) -> new Tensor[] {g.permute(inverse)}, self);
    }
}
