package vectorgrad.autograd;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.ref.Reference;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import vectorgrad.autograd.internal.Shapes;
import vectorgrad.kernels.Selection;
import vectorgrad.kernels.Selection.Comparison;

/**
 * Joining, slicing, indexing and selecting ops of {@link Tensor}, each forward beside its backward rule.
 * Every tensor here is contiguous, so slices ({@code narrow}, {@code select}, {@code split}) are copies
 * rather than views: writing into a slice does not write into its source. Data moves as contiguous runs
 * ({@code MemorySegment.copy}); a tensor is seen as {@code [outer, size, inner]} around the dimension
 * an op works on.
 */
final class IndexingOps {
    private IndexingOps() {}

    private static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT;
    private static final ValueLayout.OfInt I = ValueLayout.JAVA_INT;

    private static long outer(int[] s, int d) {
        long o = 1;
        for (int i = 0; i < d; i++) o *= s[i];
        return o;
    }

    private static long inner(int[] s, int d) {
        long o = 1;
        for (int i = d + 1; i < s.length; i++) o *= s[i];
        return o;
    }

    // ------------------------------------------------------------------ cat, stack

    /** Concatenation along {@code dim}  |  each input gets its slice of g. */
    static Tensor cat(List<Tensor> tensors, int dim) {
        if (tensors.isEmpty()) throw new IllegalArgumentException("cat: expected a non-empty list of Tensors");
        Tensor first = tensors.get(0);
        if (first.shape.length == 0)
            throw new IllegalArgumentException("zero-dimensional tensor cannot be concatenated");
        int d = Shapes.dim(dim, first.shape.length, "cat");
        int total = 0;
        for (int t = 0; t < tensors.size(); t++) {
            Tensor x = tensors.get(t);
            boolean same = x.shape.length == first.shape.length && x.dtype == first.dtype;
            for (int i = 0; same && i < x.shape.length; i++) same = i == d || x.shape[i] == first.shape[i];
            if (!same) {
                throw new IllegalArgumentException("Sizes of tensors must match except in dimension " + d
                        + ": expected " + Shapes.str(first.shape) + " " + first.dtype + " but got "
                        + Shapes.str(x.shape) + " " + x.dtype + " for tensor number " + t + " in the list");
            }
            total += x.shape[d];
        }
        int[] out = first.shape.clone();
        out[d] = total;
        Tensor result = new Tensor(out, first.dtype);
        long outer = outer(out, d), inner = inner(out, d);
        long at = 0;
        int[] offsets = new int[tensors.size()];
        for (int t = 0; t < tensors.size(); t++) {
            Tensor x = tensors.get(t);
            offsets[t] = (int) at;
            long run = x.shape[d] * inner;
            for (long o = 0; o < outer; o++) {
                MemorySegment.copy(x.seg(), o * run * 4, result.seg(), (o * total * inner + at * inner) * 4, run * 4);
            }
            at += x.shape[d];
            Reference.reachabilityFence(x);
        }
        Tensor[] inputs = tensors.toArray(Tensor[]::new);
        return Tensor.record(
                result,
                "cat",
                (g, need) -> {
                    Tensor[] grads = new Tensor[inputs.length];
                    for (int t = 0; t < inputs.length; t++)
                        if (need[t]) grads[t] = narrow(g, d, offsets[t], inputs[t].shape[d]);
                    return grads;
                },
                inputs);
    }

    /** Joins tensors of one shape along a new dimension {@code dim}. */
    static Tensor stack(List<Tensor> tensors, int dim) {
        if (tensors.isEmpty()) throw new IllegalArgumentException("stack expects a non-empty TensorList");
        int[] s = tensors.get(0).shape;
        List<Tensor> parts = new ArrayList<>();
        for (int t = 0; t < tensors.size(); t++) {
            if (!Arrays.equals(tensors.get(t).shape, s)) {
                throw new IllegalArgumentException("stack expects each tensor to be equal size, but got "
                        + Shapes.str(s) + " at entry 0 and " + Shapes.str(tensors.get(t).shape) + " at entry " + t);
            }
            parts.add(tensors.get(t).unsqueeze(dim < 0 ? dim + s.length + 1 : dim));
        }
        return cat(parts, dim < 0 ? dim + s.length + 1 : dim);
    }

    // ------------------------------------------------------------------ slices

    /** Elements {@code start .. start+length-1} along {@code dim} (a copy)  |  g placed into zeros. */
    static Tensor narrow(Tensor self, int dim, int start, int length) {
        if (self.shape.length == 0) throw new IllegalArgumentException("narrow() cannot be applied to a 0-dim tensor.");
        int d = Shapes.dim(dim, self.shape.length, "narrow");
        int size = self.shape[d];
        int s = start < 0 ? start + size : start;
        if (s < 0 || length < 0 || s + length > size) {
            throw new IndexOutOfBoundsException("start (" + start + ") + length (" + length
                    + ") exceeds dimension size (" + size + ") of tensor " + Shapes.str(self.shape));
        }
        int[] out = self.shape.clone();
        out[d] = length;
        Tensor result = new Tensor(out, self.dtype);
        long outer = outer(out, d), inner = inner(out, d);
        long run = length * inner;
        for (long o = 0; o < outer; o++) {
            MemorySegment.copy(self.seg(), (o * size + s) * inner * 4, result.seg(), o * run * 4, run * 4);
        }
        Reference.reachabilityFence(self);
        int[] inShape = self.shape;
        return Tensor.record(
                result,
                "narrow",
                (g, need) -> {
                    Tensor gx = Tensor.zeros(inShape);
                    for (long o = 0; o < outer; o++) {
                        MemorySegment.copy(g.seg(), o * run * 4, gx.seg(), (o * size + s) * inner * 4, run * 4);
                    }
                    Reference.reachabilityFence(g);
                    return new Tensor[] {gx};
                },
                self);
    }

    /** Python's {@code x[..., start:end, ...]} along {@code dim}: negative ends count from the back, ends are clamped. */
    static Tensor slice(Tensor self, int dim, int start, int end, int step) {
        int d = Shapes.dim(dim, self.shape.length, "slice");
        if (step <= 0) throw new IllegalArgumentException("slice step must be positive, got " + step);
        int size = self.shape[d];
        int s = Math.min(Math.max(start < 0 ? start + size : start, 0), size);
        int e = Math.min(Math.max(end < 0 ? end + size : end, 0), size);
        int len = Math.max(0, e - s);
        if (step == 1) return narrow(self, d, s, len);
        int[] idx = new int[(len + step - 1) / step];
        for (int i = 0; i < idx.length; i++) idx[i] = s + i * step;
        try (Tensor index = Tensor.ofInts(idx, idx.length)) {
            return indexSelect(self, d, index);
        }
    }

    /** Element {@code index} along {@code dim}, that dimension removed. */
    static Tensor select(Tensor self, int dim, int index) {
        int d = Shapes.dim(dim, self.shape.length, "select");
        int size = self.shape[d];
        if (index < -size || index >= size) {
            throw new IndexOutOfBoundsException("select(): index " + index + " out of range for tensor of size "
                    + Shapes.str(self.shape) + " at dimension " + d);
        }
        return narrow(self, d, index < 0 ? index + size : index, 1).squeeze(d);
    }

    /** Pieces of {@code splitSize} along {@code dim} (the last may be smaller). */
    static List<Tensor> split(Tensor self, int splitSize, int dim) {
        int d = Shapes.dim(dim, self.shape.length, "split");
        if (splitSize <= 0)
            throw new IllegalArgumentException("split expects split_size be positive, but got " + splitSize);
        List<Tensor> out = new ArrayList<>();
        for (int s = 0; s < self.shape[d]; s += splitSize)
            out.add(narrow(self, d, s, Math.min(splitSize, self.shape[d] - s)));
        if (out.isEmpty()) out.add(narrow(self, d, 0, 0));
        return out;
    }

    /** Pieces of the given sizes along {@code dim}; they must add up to the dimension. */
    static List<Tensor> split(Tensor self, int[] sizes, int dim) {
        int d = Shapes.dim(dim, self.shape.length, "split");
        int sum = Arrays.stream(sizes).sum();
        if (sum != self.shape[d] || Arrays.stream(sizes).anyMatch(x -> x < 0)) {
            throw new IllegalArgumentException("split_with_sizes expects split_sizes to sum exactly to "
                    + self.shape[d] + " (input tensor's size at dimension " + d + "), but got split_sizes="
                    + Arrays.toString(sizes));
        }
        List<Tensor> out = new ArrayList<>();
        int at = 0;
        for (int size : sizes) {
            out.add(narrow(self, d, at, size));
            at += size;
        }
        return out;
    }

    /** {@code chunks} pieces of ⌈size/chunks⌉ along {@code dim} (fewer when the size runs out). */
    static List<Tensor> chunk(Tensor self, int chunks, int dim) {
        if (chunks <= 0)
            throw new IllegalArgumentException("chunk expects `chunks` to be greater than 0, got: " + chunks);
        int d = Shapes.dim(dim, self.shape.length, "chunk");
        return split(self, Math.max(1, (self.shape[d] + chunks - 1) / chunks), d);
    }

    // ------------------------------------------------------------------ index_select, gather, scatter_add

    private static int[] indices(Tensor index, String op) {
        if (index.dtype != DType.INT32)
            throw new IllegalArgumentException(op + "(): expected an int32 index tensor, got " + index.dtype);
        return index.toIntArray();
    }

    /** The slabs at {@code index} along {@code dim}  |  g's slabs added back at their indices. */
    static Tensor indexSelect(Tensor self, int dim, Tensor index) {
        if (index.shape.length > 1)
            throw new IllegalArgumentException(
                    "index_select(): Index is supposed to be a vector, got " + Shapes.str(index.shape));
        int d = Shapes.dim(dim, Math.max(1, self.shape.length), "index_select");
        int[] idx = indices(index, "index_select");
        int size = self.shape[d];
        for (int i = 0; i < idx.length; i++) {
            if (idx[i] < -size || idx[i] >= size)
                throw new IndexOutOfBoundsException("index_select(): index " + idx[i] + " at position " + i
                        + " is out of bounds for dimension " + d + " with size " + size);
            if (idx[i] < 0) idx[i] += size;
        }
        int[] out = self.shape.clone();
        out[d] = idx.length;
        Tensor result = new Tensor(out, self.dtype);
        long outer = outer(out, d), inner = inner(out, d);
        for (long o = 0; o < outer; o++)
            for (int i = 0; i < idx.length; i++)
                MemorySegment.copy(
                        self.seg(),
                        ((o * size) + idx[i]) * inner * 4,
                        result.seg(),
                        ((o * idx.length) + i) * inner * 4,
                        inner * 4);
        Reference.reachabilityFence(self);
        int[] inShape = self.shape;
        return Tensor.record(
                result,
                "index_select",
                (g, need) -> {
                    Tensor gx = Tensor.zeros(inShape);
                    MemorySegment gs = g.seg(), xs = gx.seg();
                    for (long o = 0; o < outer; o++)
                        for (int i = 0; i < idx.length; i++) {
                            long src = ((o * idx.length) + i) * inner, dst = ((o * size) + idx[i]) * inner;
                            for (long k = 0; k < inner; k++)
                                xs.setAtIndex(F, dst + k, xs.getAtIndex(F, dst + k) + gs.getAtIndex(F, src + k));
                        }
                    Reference.reachabilityFence(g);
                    return new Tensor[] {gx};
                },
                self);
    }

    private static void checkGatherShapes(int[] self, int[] index, int d, String op) {
        boolean ok = self.length == index.length;
        for (int i = 0; ok && i < self.length; i++) ok = i == d || index[i] <= self[i];
        if (!ok) {
            throw new IllegalArgumentException(op + "(): index " + Shapes.str(index) + " must have the rank of input "
                    + Shapes.str(self) + " and be no larger except in dimension " + d);
        }
    }

    /** Walks every position of {@code idxShape}, giving the flat offsets in index and in the tensor of shape {@code base}. */
    private interface GatherBody {
        void at(long indexOffset, long baseOffsetWithoutDim, long baseDimStride);
    }

    private static void forEachIndex(int[] idxShape, int[] base, int d, GatherBody body) {
        int rank = idxShape.length;
        long[] baseStride = new long[rank];
        for (int i = rank - 1, s = 1; i >= 0; i--) {
            baseStride[i] = s;
            s *= base[i];
        }
        int[] pos = new int[rank];
        long n = Shapes.numel(idxShape);
        for (long flat = 0; flat < n; flat++) {
            long off = 0;
            for (int i = 0; i < rank; i++) if (i != d) off += pos[i] * baseStride[i];
            body.at(flat, off, baseStride[d]);
            for (int i = rank - 1; i >= 0; i--) {
                if (++pos[i] < idxShape[i]) break;
                pos[i] = 0;
            }
        }
    }

    /** {@code out[..i..] = self[..index[..i..]..]} along {@code dim}  |  g scatter-added back. */
    static Tensor gather(Tensor self, int dim, Tensor index) {
        int d = Shapes.dim(dim, self.shape.length, "gather");
        int[] idx = indices(index, "gather");
        checkGatherShapes(self.shape, index.shape, d, "gather");
        int size = self.shape[d];
        Tensor result = new Tensor(index.shape, self.dtype);
        MemorySegment src = self.seg(), dst = result.seg();
        forEachIndex(index.shape, self.shape, d, (flat, off, stride) -> {
            int k = idx[(int) flat];
            if (k < 0 || k >= size)
                throw new IndexOutOfBoundsException(
                        "gather(): index " + k + " is out of bounds for dimension " + d + " with size " + size);
            dst.setAtIndex(I, flat, src.getAtIndex(I, off + k * stride));
        });
        Reference.reachabilityFence(self);
        int[] inShape = self.shape, idxShape = index.shape;
        return Tensor.record(
                result,
                "gather",
                (g, need) -> {
                    Tensor gx = Tensor.zeros(inShape);
                    MemorySegment gs = g.seg(), xs = gx.seg();
                    forEachIndex(idxShape, inShape, d, (flat, off, stride) -> {
                        long at = off + idx[(int) flat] * stride;
                        xs.setAtIndex(F, at, xs.getAtIndex(F, at) + gs.getAtIndex(F, flat));
                    });
                    Reference.reachabilityFence(g);
                    return new Tensor[] {gx};
                },
                self);
    }

    /** A copy of self with {@code src} added at {@code index} along {@code dim}  |  dself = g, dsrc = g gathered. */
    static Tensor scatterAdd(Tensor self, int dim, Tensor index, Tensor src) {
        self.requireFloat("scatter_add");
        src.requireFloat("scatter_add");
        int d = Shapes.dim(dim, self.shape.length, "scatter_add");
        int[] idx = indices(index, "scatter_add");
        if (index.shape.length != src.shape.length)
            throw new IllegalArgumentException("scatter_add(): index " + Shapes.str(index.shape) + " and src "
                    + Shapes.str(src.shape) + " must have the same rank");
        for (int i = 0; i < index.shape.length; i++) {
            if (index.shape[i] > src.shape[i] || (i != d && index.shape[i] > self.shape[i]))
                throw new IllegalArgumentException("scatter_add(): index " + Shapes.str(index.shape)
                        + " must be no larger than src " + Shapes.str(src.shape) + " and, except in dimension " + d
                        + ", than self " + Shapes.str(self.shape));
        }
        int size = self.shape[d];
        Tensor result = new Tensor(self.shape, self.dtype);
        MemorySegment.copy(self.seg(), 0, result.seg(), 0, self.numel() * 4);
        MemorySegment out = result.seg(), from = src.seg();
        long[] srcStride = new long[src.shape.length];
        for (int i = src.shape.length - 1, s = 1; i >= 0; i--) {
            srcStride[i] = s;
            s *= src.shape[i];
        }
        int[] idxShape = index.shape;
        long[] srcOffsets = srcOffsets(idxShape, srcStride);
        forEachIndex(idxShape, self.shape, d, (flat, off, stride) -> {
            int k = idx[(int) flat];
            if (k < 0 || k >= size)
                throw new IndexOutOfBoundsException(
                        "scatter_add(): index " + k + " is out of bounds for dimension " + d + " with size " + size);
            long at = off + k * stride;
            out.setAtIndex(F, at, out.getAtIndex(F, at) + from.getAtIndex(F, srcOffsets[(int) flat]));
        });
        Reference.reachabilityFence(self);
        Reference.reachabilityFence(src);
        int[] srcShape = src.shape;
        return Tensor.record(
                result,
                "scatter_add",
                (g, need) -> {
                    Tensor gs = null;
                    if (need[1]) {
                        gs = Tensor.zeros(srcShape);
                        MemorySegment gseg = g.seg(), sseg = gs.seg();
                        forEachIndex(
                                idxShape,
                                g.shape,
                                d,
                                (flat, off, stride) -> sseg.setAtIndex(
                                        F, srcOffsets[(int) flat], gseg.getAtIndex(F, off + idx[(int) flat] * stride)));
                        Reference.reachabilityFence(g);
                    }
                    return new Tensor[] {need[0] ? g : null, gs};
                },
                self,
                src);
    }

    /** Flat offsets into a tensor with strides {@code stride} of every position of {@code shape}, in order. */
    private static long[] srcOffsets(int[] shape, long[] stride) {
        long[] out = new long[Math.toIntExact(Shapes.numel(shape))];
        int[] pos = new int[shape.length];
        for (int flat = 0; flat < out.length; flat++) {
            long off = 0;
            for (int i = 0; i < shape.length; i++) off += pos[i] * stride[i];
            out[flat] = off;
            for (int i = shape.length - 1; i >= 0; i--) {
                if (++pos[i] < shape[i]) break;
                pos[i] = 0;
            }
        }
        return out;
    }

    // ------------------------------------------------------------------ where, masked_fill, clamp, comparisons

    /**
     * {@code condition ? a : b} elementwise with broadcasting (a float32 condition counts where it is
     * nonzero)  |  g to the side chosen, summed to its shape.
     */
    static Tensor where(Tensor condition, Tensor a, Tensor b) {
        a.requireFloat("where");
        b.requireFloat("where");
        int[] shape = Shapes.broadcast(Shapes.broadcast(condition.shape, a.shape, "where"), b.shape, "where");
        Tensor cond =
                broadcastTo(condition.dtype == DType.INT32 ? condition : compare(condition, 0, Comparison.NE), shape);
        Tensor ea = broadcastTo(a, shape), eb = broadcastTo(b, shape);
        Tensor result = new Tensor(shape, DType.FLOAT32);
        long n = result.numel();
        Selection.where(cond.seg(), ea.seg(), eb.seg(), result.seg(), n);
        Reference.reachabilityFence(ea);
        Reference.reachabilityFence(eb);
        int[] as = a.shape, bs = b.shape;
        return Tensor.record(
                result,
                "where",
                (g, need) -> {
                    Tensor ga = null, gb = null;
                    if (need[0]) ga = selected(cond, g, true).sumTo(as);
                    if (need[1]) gb = selected(cond, g, false).sumTo(bs);
                    return new Tensor[] {ga, gb};
                },
                a,
                b);
    }

    /** g where the condition is {@code side}, 0 elsewhere. */
    private static Tensor selected(Tensor cond, Tensor g, boolean side) {
        Tensor out = new Tensor(g.shape, DType.FLOAT32);
        Selection.whereGrad(cond.seg(), g.seg(), side, out.seg(), out.numel());
        Reference.reachabilityFence(cond);
        Reference.reachabilityFence(g);
        return out;
    }

    /** A contiguous copy of {@code t} broadcast to {@code shape} (or {@code t} itself), any dtype, outside the graph. */
    private static Tensor broadcastTo(Tensor t, int[] shape) {
        if (Arrays.equals(t.shape, shape)) return t;
        Tensor asFloat = t.dtype == DType.FLOAT32 ? t : convert(t, DType.FLOAT32);
        Tensor e;
        try (NoGrad ignored = Tensor.noGrad()) {
            e = asFloat.expand(shape);
        }
        return t.dtype == DType.FLOAT32 ? e : convert(e, t.dtype);
    }

    /** {@code clamp(x, min, max)} (either bound may be NaN for none)  |  g where min ≤ x ≤ max, 0 elsewhere. */
    static Tensor clamp(Tensor self, double min, double max) {
        self.requireFloat("clamp");
        if (Double.isNaN(min) && Double.isNaN(max))
            throw new IllegalArgumentException("torch.clamp: At least one of 'min' or 'max' must not be None");
        float lo = Double.isNaN(min) ? Float.NEGATIVE_INFINITY : (float) min;
        float hi = Double.isNaN(max) ? Float.POSITIVE_INFINITY : (float) max;
        long n = self.numel();
        Tensor result = new Tensor(self.shape, DType.FLOAT32);
        Selection.clamp(self.seg(), result.seg(), n, lo, hi);
        Reference.reachabilityFence(self);
        return Tensor.record(
                result,
                "clamp",
                (g, need) -> {
                    Tensor gx = new Tensor(self.shape, DType.FLOAT32);
                    Selection.clampGrad(self.seg(), g.seg(), gx.seg(), n, lo, hi);
                    Reference.reachabilityFence(g);
                    Reference.reachabilityFence(self);
                    return new Tensor[] {gx};
                },
                self);
    }

    /** The comparisons give int32 tensors of 1 (true) and 0 (false), outside the graph. */
    static Tensor compare(Tensor a, Tensor b, Comparison op) {
        String name = op.name().toLowerCase(java.util.Locale.ROOT);
        int[] shape = Shapes.broadcast(a.shape, b.shape, name);
        Tensor x = broadcastTo(a.dtype == DType.FLOAT32 ? a : convert(a, DType.FLOAT32), shape),
                y = broadcastTo(b.dtype == DType.FLOAT32 ? b : convert(b, DType.FLOAT32), shape);
        Tensor out = new Tensor(shape, DType.INT32);
        Selection.compare(op, x.seg(), y.seg(), out.seg(), out.numel());
        Reference.reachabilityFence(x);
        Reference.reachabilityFence(y);
        return out;
    }

    static Tensor compare(Tensor a, double s, Comparison op) {
        Tensor x = a.dtype == DType.FLOAT32 ? a : convert(a, DType.FLOAT32);
        Tensor out = new Tensor(a.shape, DType.INT32);
        Selection.compare(op, x.seg(), (float) s, out.seg(), out.numel());
        Reference.reachabilityFence(x);
        return out;
    }

    // ------------------------------------------------------------------ dtype

    /** A copy in another dtype (int32 → float32 exactly; float32 → int32 rounds toward zero). */
    static Tensor convert(Tensor t, DType dtype) {
        Tensor out = new Tensor(t.shape, dtype);
        long n = t.numel();
        MemorySegment in = t.seg(), o = out.seg();
        if (t.dtype == dtype) MemorySegment.copy(in, 0, o, 0, n * 4);
        else if (dtype == DType.FLOAT32) Selection.intToFloat(in, o, n);
        else Selection.floatToInt(in, o, n);
        Reference.reachabilityFence(t);
        return out;
    }
}
