package vectorgrad.autograd;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.ref.Reference;
import java.util.Arrays;
import vectorgrad.autograd.internal.BackwardFn;
import vectorgrad.autograd.internal.Shapes;
import vectorgrad.autograd.internal.TensorAccess;
import vectorgrad.kernels.Elementwise;
import vectorgrad.kernels.Selection;

/**
 * An n-dimensional float32 (or int32) array in off-heap memory that records the operations made on it,
 * so that {@link #backward()} can compute gradients — PyTorch's {@code torch.Tensor}, for the JVM.
 *
 * <h2>Contract</h2>
 * <ul>
 *   <li>Data is contiguous, row-major, in a 64-byte-aligned block from the native cache (see {@link Memory}).
 *       {@code reshape}/{@code view}/{@code squeeze}/{@code unsqueeze}/{@code flatten}/{@code detach} share
 *       memory with their source; {@code transpose}/{@code permute} return a contiguous copy.</li>
 *   <li>Arithmetic broadcasts as NumPy/PyTorch do. Each op below states its forward and, next to it,
 *       its backward rule.</li>
 *   <li>Memory: {@link #close()} returns a tensor's memory to the native cache at once; otherwise it returns when
 *       the tensor becomes unreachable. A closed tensor throws {@link IllegalStateException} naming its
 *       shape when used. See {@link MemoryScope} for releasing a whole step's intermediates at once.</li>
 *   <li>A tensor is not safe for concurrent mutation; concurrent reads (inference under no-grad) are fine.</li>
 * </ul>
 */
public class Tensor implements AutoCloseable {
    private static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT;
    private static final ValueLayout.OfInt I = ValueLayout.JAVA_INT;
    private static final Generator DEFAULT_GENERATOR = new Generator(0x5EEDL);

    static {
        TensorAccess.install(new InternalAccess());
    }

    int[] shape;
    private Storage storage;
    final DType dtype;
    private boolean ownsStorage; // false for views: the storage came from another tensor
    private volatile boolean closed;
    boolean requiresGrad;
    MemoryScope scope; // the scope that will release this tensor, if any
    Tensor grad;
    Node gradFn;

    // ------------------------------------------------------------------ construction (internal)

    /** Fresh, uninitialised memory. */
    Tensor(int[] shape, DType dtype) {
        Shapes.validate(shape);
        this.shape = shape.clone();
        this.dtype = dtype;
        this.storage = new Storage(Shapes.numel(shape));
        this.ownsStorage = true;
        MemoryScope.track(this);
    }

    /** A view of {@code base}'s memory with another shape of the same size. */
    Tensor(Tensor base, int[] shape) {
        base.checkOpen();
        this.shape = shape.clone();
        this.dtype = base.dtype;
        this.storage = base.storage;
        this.storage.retain();
        this.ownsStorage = false;
        MemoryScope.track(this);
    }

    /**
     * For {@code Parameter}: a leaf sharing {@code data}'s memory that requires grad.
     * {@code data} must be float32.
     */
    protected Tensor(Tensor data) {
        this(data, data.shape);
        data.requireFloat("Parameter");
        this.requiresGrad = true;
    }

    static Tensor empty(int[] shape) {
        return new Tensor(shape, DType.FLOAT32);
    }

    // ------------------------------------------------------------------ creation

    public static Tensor scalar(float value) {
        return Creation.scalar(value);
    }

    /** A tensor holding {@code data} with the given shape (the data's length must match it). */
    public static Tensor of(float[] data, int... shape) {
        return Creation.of(data, shape);
    }

    /** A 1-D tensor holding {@code data}. */
    public static Tensor of(float... data) {
        return of(data, data.length);
    }

    /** An int32 tensor, e.g. class labels for cross-entropy. */
    public static Tensor ofInts(int[] data, int... shape) {
        return Creation.ofInts(data, shape);
    }

    public static Tensor zeros(int... shape) {
        return full(0f, shape);
    }

    public static Tensor ones(int... shape) {
        return full(1f, shape);
    }

    public static Tensor full(float value, int... shape) {
        return Creation.full(value, shape);
    }

    public static Tensor zerosLike(Tensor t) {
        return zeros(t.shape);
    }

    public static Tensor onesLike(Tensor t) {
        return ones(t.shape);
    }

    /** {@code [0, 1, ..., end-1]}. */
    public static Tensor arange(int end) {
        return arange(0, end, 1);
    }

    /** {@code start, start+step, ...} below {@code end} (above, for a negative step). */
    public static Tensor arange(double start, double end, double step) {
        return Creation.arange(start, end, step);
    }
    /** The {@code n × m} identity-like matrix: ones on the diagonal. */
    public static Tensor eye(int n, int m) {
        return Creation.eye(n, m);
    }

    /** The {@code n × n} identity matrix. */
    public static Tensor eye(int n) {
        return Creation.eye(n, n);
    }

    /** {@code steps} evenly spaced values from {@code start} to {@code end}, both included. */
    public static Tensor linspace(double start, double end, int steps) {
        return Creation.linspace(start, end, steps);
    }

    /** Concatenation along {@code dim} (shapes equal elsewhere)  |  each input gets its slice of g. */
    public static Tensor cat(java.util.List<Tensor> tensors, int dim) {
        return IndexingOps.cat(tensors, dim);
    }

    /** Joins tensors of one shape along a new dimension {@code dim}  |  each input gets its slice of g. */
    public static Tensor stack(java.util.List<Tensor> tensors, int dim) {
        return IndexingOps.stack(tensors, dim);
    }

    /**
     * {@code condition ? a : b} elementwise with broadcasting; {@code condition} is an int32 tensor (a
     * comparison's result: nonzero is true)  |  g goes to the side chosen.
     */
    public static Tensor where(Tensor condition, Tensor a, Tensor b) {
        return IndexingOps.where(condition, a, b);
    }

    /** Uniform on [0, 1) from the default generator. */
    public static Tensor rand(int... shape) {
        return rand(DEFAULT_GENERATOR, shape);
    }

    public static Tensor rand(Generator g, int... shape) {
        return uniform(g, 0f, 1f, shape);
    }

    /** Uniform on [low, high). */
    public static Tensor uniform(Generator g, float low, float high, int... shape) {
        return Creation.uniform(g, low, high, shape);
    }

    /** Standard normal from the default generator. */
    public static Tensor randn(int... shape) {
        return randn(DEFAULT_GENERATOR, shape);
    }

    public static Tensor randn(Generator g, int... shape) {
        return Creation.randn(g, shape);
    }

    /** Seeds the default generator, as {@code torch.manual_seed}. */
    public static void manualSeed(long seed) {
        DEFAULT_GENERATOR.manualSeed(seed);
    }

    public static Generator defaultGenerator() {
        return DEFAULT_GENERATOR;
    }

    // ------------------------------------------------------------------ autograd switches

    /** Opens a scope in which no graph is recorded ({@code torch.no_grad()}). */
    public static NoGrad noGrad() {
        return new NoGrad();
    }

    public static boolean isGradEnabled() {
        return NoGrad.gradEnabled();
    }

    public boolean requiresGrad() {
        return requiresGrad;
    }

    /** {@code requires_grad_()}: only on leaves (tensors no op produced). Returns this. */
    public Tensor requiresGrad(boolean flag) {
        if (gradFn != null && !flag) {
            throw new IllegalStateException(
                    "you can only change requires_grad flags of leaf variables (this tensor of shape "
                            + Shapes.str(shape) + " was produced by '" + gradFn.op + "')");
        }
        if (flag) requireFloat("requiresGrad");
        requiresGrad = flag;
        return this;
    }

    /** The accumulated gradient of a leaf after {@link #backward()}, or null. */
    public Tensor grad() {
        return grad;
    }

    /** Sets (or clears, with null) the gradient, as assigning {@code .grad} in PyTorch. */
    public void setGrad(Tensor g) {
        if (g != null && !Arrays.equals(g.shape, shape)) {
            throw new IllegalArgumentException("assigned grad has shape " + Shapes.str(g.shape)
                    + " but the tensor has shape " + Shapes.str(shape));
        }
        grad = g;
    }

    public boolean isLeaf() {
        return gradFn == null;
    }

    /** The name of the op that produced this tensor, or null for a leaf. */
    public String gradFnName() {
        return gradFn == null ? null : gradFn.op;
    }

    /** Back-propagates from this scalar: {@code backward(ones)}. */
    public void backward() {
        Autograd.backward(this, null, false);
    }

    /** Back-propagates {@code gradient} (same shape as this) through the graph. */
    public void backward(Tensor gradient) {
        Autograd.backward(this, gradient, false);
    }

    /** As {@link #backward(Tensor)}; {@code retainGraph} keeps the graph for another backward. */
    public void backward(Tensor gradient, boolean retainGraph) {
        Autograd.backward(this, gradient, retainGraph);
    }

    /** A tensor sharing this one's memory, outside the graph. */
    public Tensor detach() {
        return new Tensor(this, shape);
    }

    /**
     * Replaces this tensor's values ({@code x.data = ...} in PyTorch). With the same shape the values are
     * copied in place, so optimizer state stays attached; another shape rebinds to fresh memory. Not to be
     * done between a forward pass and its backward: the graph may have saved the old values.
     */
    public void setData(Tensor src) {
        checkOpen();
        src.requireFloat("setData");
        requireFloat("setData");
        if (Arrays.equals(src.shape, shape) && ownsStorage) {
            Elementwise.copy(src.seg(), 0, seg(), 0, numel());
        } else {
            Storage fresh = new Storage(src.numel());
            Elementwise.copy(src.seg(), 0, fresh.segment(), 0, src.numel());
            Storage old = storage;
            storage = fresh;
            shape = src.shape.clone();
            ownsStorage = true;
            old.release();
        }
        Reference.reachabilityFence(src);
    }

    /** Sets every element to 0 in place (outside the graph). */
    public Tensor zero_() {
        Elementwise.fill(seg(), 0, numel(), 0f);
        return this;
    }

    /** Copies {@code src}'s values into this tensor in place (same number of elements). */
    public Tensor copy_(Tensor src) {
        if (src.numel() != numel() || src.dtype != dtype) {
            throw new IllegalArgumentException("copy_: source " + Shapes.str(src.shape) + " " + src.dtype + " into "
                    + Shapes.str(shape) + " " + dtype);
        }
        MemorySegment.copy(src.seg(), 0, seg(), 0, numel() * 4L);
        Reference.reachabilityFence(src);
        return this;
    }

    /**
     * Copies {@code numel()} floats from {@code src[offset ...]} into this float tensor in place (not
     * recorded, as {@link #copy_}): how a Java array's values reach an existing tensor without a new one.
     */
    public Tensor copyFrom(float[] src, int offset) {
        checkOpen();
        requireFloat32("copyFrom");
        java.util.Objects.checkFromIndexSize(offset, Math.toIntExact(numel()), src.length);
        MemorySegment.copy(src, offset, seg(), F, 0, Math.toIntExact(numel()));
        return this;
    }

    /** Copies this float tensor's values into {@code dst[offset ...]} (row-major, {@code numel()} of them). */
    public void copyTo(float[] dst, int offset) {
        checkOpen();
        requireFloat32("copyTo");
        java.util.Objects.checkFromIndexSize(offset, Math.toIntExact(numel()), dst.length);
        MemorySegment.copy(seg(), F, 0, dst, offset, Math.toIntExact(numel()));
    }

    private void requireFloat32(String op) {
        if (dtype != DType.FLOAT32)
            throw new IllegalArgumentException(op + ": a float32 tensor is needed, this one is " + dtype);
    }

    /** A copy with its own memory (recorded: gradients flow through). */
    public Tensor clone() {
        Tensor out = new Tensor(shape, dtype);
        MemorySegment.copy(seg(), 0, out.seg(), 0, numel() * 4L);
        return record(out, "clone", (g, need) -> new Tensor[] {g}, this);
    }

    // ------------------------------------------------------------------ readout

    public int[] shape() {
        return shape.clone();
    }

    public int size(int dim) {
        return shape[Shapes.dim(dim, shape.length, "size")];
    }

    public int dim() {
        return shape.length;
    }

    public long numel() {
        return Shapes.numel(shape);
    }

    public DType dtype() {
        return dtype;
    }

    /** The value of a one-element tensor. */
    public float item() {
        if (numel() != 1) {
            throw new IllegalStateException("a Tensor with " + numel()
                    + " elements cannot be converted to a scalar (shape " + Shapes.str(shape) + ")");
        }
        return dtype == DType.INT32 ? seg().getAtIndex(I, 0) : seg().getAtIndex(F, 0);
    }

    public float[] toFloatArray() {
        checkOpen();
        float[] out = new float[Math.toIntExact(numel())];
        if (dtype == DType.FLOAT32) MemorySegment.copy(seg(), F, 0, out, 0, out.length);
        else for (int i = 0; i < out.length; i++) out[i] = seg().getAtIndex(I, i);
        return out;
    }

    public int[] toIntArray() {
        checkOpen();
        int[] out = new int[Math.toIntExact(numel())];
        if (dtype == DType.INT32) MemorySegment.copy(seg(), I, 0, out, 0, out.length);
        else for (int i = 0; i < out.length; i++) out[i] = (int) seg().getAtIndex(F, i);
        return out;
    }

    /** Element at a flat (row-major) index. */
    public float getFlat(long i) {
        if (i < 0 || i >= numel())
            throw new IndexOutOfBoundsException(
                    "index " + i + " is out of bounds for a tensor of " + numel() + " elements");
        return dtype == DType.INT32 ? seg().getAtIndex(I, i) : seg().getAtIndex(F, i);
    }

    @Override
    public String toString() {
        if (closed || storage.isFreed()) return "tensor(<released>, shape=" + Shapes.str(shape) + ")";
        return TensorFormat.format(this);
    }

    // ------------------------------------------------------------------ memory

    /** Returns this tensor's memory to the native cache now (views of it keep theirs). Idempotent. */
    @Override
    public void close() {
        if (closed) return;
        closed = true;
        storage.release();
    }

    public boolean isClosed() {
        return closed || storage.isFreed();
    }

    final MemorySegment seg() {
        checkOpen();
        return storage.segment();
    }

    final void checkOpen() {
        if (closed || storage.isFreed()) {
            throw new IllegalStateException(
                    "tensor of shape " + Shapes.str(shape) + " was released (closed) and cannot be used");
        }
    }

    final void requireFloat(String op) {
        if (dtype != DType.FLOAT32) {
            throw new IllegalArgumentException(
                    op + ": expected a float32 tensor but got " + dtype + " of shape " + Shapes.str(shape));
        }
    }

    boolean ownsStorage() {
        return ownsStorage;
    }

    // ------------------------------------------------------------------ recording

    /**
     * Records {@code out = op(inputs)} in the graph when grad mode is on and an input requires grad.
     * Ops outside this package reach it through {@link vectorgrad.autograd.internal.TensorAccess}.
     */
    static Tensor record(Tensor out, String op, BackwardFn backward, Tensor... inputs) {
        if (Profiler.enabled) Profiler.forward(op, inputs);
        if (Anomaly.isEnabled()) Anomaly.checkForward(out, op, inputs);
        if (!records(inputs)) return out;
        out.requiresGrad = true;
        out.gradFn = new Node(op, inputs, backward);
        if (Anomaly.isEnabled()) out.gradFn.createdAt = Anomaly.captureCreation();
        return out;
    }

    /** Whether {@link #record} records an op of these inputs: grad mode on and an input requiring grad. */
    static boolean records(Tensor... inputs) {
        if (!NoGrad.gradEnabled()) return false;
        for (Tensor t : inputs) if (t.requiresGrad) return true;
        return false;
    }

    // ------------------------------------------------------------------ elementwise: forward | backward
    // Arithmetic on int32 tensors computes in float32 and gives int32 back when both operands are
    // integral (true division gives float32), as PyTorch; exact for magnitudes below 2^24.

    /** {@code this + other}  |  d/da = g, d/db = g (each summed over its broadcast dims). */
    public Tensor add(Tensor other) {
        if (dtype != DType.FLOAT32 || other.dtype != DType.FLOAT32) return ElementwiseOps.promoted(this, other, "add");
        return ElementwiseOps.add(this, other);
    }

    /** {@code this - other}  |  d/da = g, d/db = -g. */
    public Tensor sub(Tensor other) {
        if (dtype != DType.FLOAT32 || other.dtype != DType.FLOAT32) return ElementwiseOps.promoted(this, other, "sub");
        return ElementwiseOps.sub(this, other);
    }

    /** {@code this * other}  |  d/da = g·b, d/db = g·a. */
    public Tensor mul(Tensor other) {
        if (dtype != DType.FLOAT32 || other.dtype != DType.FLOAT32) return ElementwiseOps.promoted(this, other, "mul");
        return ElementwiseOps.mul(this, other);
    }

    /** {@code this / other}  |  d/da = g/b, d/db = -g·(a/b)/b. */
    public Tensor div(Tensor other) {
        if (dtype != DType.FLOAT32 || other.dtype != DType.FLOAT32) return ElementwiseOps.promoted(this, other, "div");
        return ElementwiseOps.div(this, other);
    }

    /** {@code this + s}  |  g. */
    public Tensor add(double s) {
        if (dtype != DType.FLOAT32) return ElementwiseOps.promoted(this, s, "add");
        return ElementwiseOps.add(this, s);
    }

    /** {@code this - s}  |  g. */
    public Tensor sub(double s) {
        if (dtype != DType.FLOAT32) return ElementwiseOps.promoted(this, s, "sub");
        return ElementwiseOps.sub(this, s);
    }

    /** {@code s - this} (PyTorch's {@code rsub})  |  -g. */
    public Tensor rsub(double s) {
        return ElementwiseOps.rsub(this, s);
    }

    /** {@code this * s}  |  g·s. */
    public Tensor mul(double s) {
        if (dtype != DType.FLOAT32) return ElementwiseOps.promoted(this, s, "mul");
        return ElementwiseOps.mul(this, s);
    }

    /** {@code this / s}  |  g/s. */
    public Tensor div(double s) {
        if (dtype != DType.FLOAT32) return ElementwiseOps.promoted(this, s, "div");
        return ElementwiseOps.div(this, s);
    }

    /** {@code -this}  |  -g. */
    public Tensor neg() {
        return ElementwiseOps.neg(this);
    }

    /** {@code this^p}  |  g·p·x^(p-1). */
    public Tensor pow(double p) {
        return ElementwiseOps.pow(this, p);
    }

    /** {@code e^x}  |  g·e^x. */
    public Tensor exp() {
        return ElementwiseOps.exp(this);
    }

    /** {@code ln x}  |  g/x. */
    public Tensor log() {
        return ElementwiseOps.log(this);
    }

    /** {@code √x}  |  g/(2√x). */
    public Tensor sqrt() {
        return ElementwiseOps.sqrt(this);
    }

    /** {@code |x|}  |  g·sign(x). */
    public Tensor abs() {
        return ElementwiseOps.abs(this);
    }

    /** {@code sign(x)}  |  0. */
    public Tensor sign() {
        return ElementwiseOps.sign(this);
    }

    /** {@code max(x, 0)}  |  g where x > 0, else 0. */
    public Tensor relu() {
        return ElementwiseOps.relu(this);
    }

    /** {@code 1/(1+e^-x)}  |  g·(1-s)·s. */
    public Tensor sigmoid() {
        return ElementwiseOps.sigmoid(this);
    }

    /** {@code tanh x}  |  g·(1-t²). */
    public Tensor tanh() {
        return ElementwiseOps.tanh(this);
    }

    // ------------------------------------------------------------------ reductions

    /** Sum of all elements  |  g broadcast back to the input's shape. */
    public Tensor sum() {
        return ReductionOps.sum(this);
    }

    /** Sum over {@code dim}  |  g broadcast back along {@code dim}. */
    public Tensor sum(int dim, boolean keepdim) {
        return ReductionOps.sum(this, dim, keepdim);
    }

    /** Mean of all elements  |  g/n broadcast back. */
    public Tensor mean() {
        return ReductionOps.mean(this);
    }

    /** Mean over {@code dim}  |  g/n broadcast back along {@code dim}. */
    public Tensor mean(int dim, boolean keepdim) {
        return ReductionOps.mean(this, dim, keepdim);
    }

    /** Values and indices of a max over one dimension. */
    public record MaxResult(Tensor values, Tensor indices) {}

    /** Max over {@code dim} with its first argmax  |  g goes to the argmax position, 0 elsewhere. */
    public MaxResult max(int dim, boolean keepdim) {
        return ReductionOps.max(this, dim, keepdim);
    }

    /** Max of all elements  |  g goes to the first maximum. */
    public Tensor max() {
        return ReductionOps.max(this);
    }

    /** Index of the max over {@code dim} (int32, no gradient). */
    public Tensor argmax(int dim, boolean keepdim) {
        return ReductionOps.argmax(this, dim, keepdim);
    }

    /** Flat index of the maximum (int32 scalar). */
    public Tensor argmax() {
        return ReductionOps.argmax(this);
    }

    /** Min over {@code dim} with its first argmin  |  g goes to the argmin position, 0 elsewhere. */
    public MaxResult min(int dim, boolean keepdim) {
        MaxResult r = neg().max(dim, keepdim);
        return new MaxResult(r.values().neg(), r.indices());
    }

    /** Min of all elements  |  g goes to the first minimum. */
    public Tensor min() {
        return neg().max().neg();
    }

    /** Index of the min over {@code dim} (int32, no gradient). */
    public Tensor argmin(int dim, boolean keepdim) {
        try (NoGrad ignored = noGrad()) {
            return neg().argmax(dim, keepdim);
        }
    }

    /** Flat index of the minimum (int32 scalar). */
    public Tensor argmin() {
        try (NoGrad ignored = noGrad()) {
            return neg().argmax();
        }
    }

    /** Variance over {@code dim}, divided by n - 1 when {@code unbiased} (PyTorch's default), else n. */
    public Tensor var(int dim, boolean unbiased, boolean keepdim) {
        return ReductionOps.var(this, dim, unbiased, keepdim);
    }

    /** Variance of all elements (unbiased when asked). */
    public Tensor var(boolean unbiased) {
        return ReductionOps.var(this.reshape(-1), 0, unbiased, false);
    }

    /** Standard deviation over {@code dim}: {@code sqrt(var(dim, unbiased, keepdim))}. */
    public Tensor std(int dim, boolean unbiased, boolean keepdim) {
        return var(dim, unbiased, keepdim).sqrt();
    }

    /** Standard deviation of all elements. */
    public Tensor std(boolean unbiased) {
        return var(unbiased).sqrt();
    }

    // ------------------------------------------------------------------ slicing and indexing (copies)

    /** Elements {@code start .. start+length-1} along {@code dim}, as a copy  |  g placed back. */
    public Tensor narrow(int dim, int start, int length) {
        return IndexingOps.narrow(this, dim, start, length);
    }

    /** Python's {@code x[:, start:end]} along {@code dim} (negative and out-of-range ends as Python), a copy. */
    public Tensor slice(int dim, int start, int end) {
        return IndexingOps.slice(this, dim, start, end, 1);
    }

    /** Python's {@code x[:, start:end:step]} along {@code dim}, a copy. */
    public Tensor slice(int dim, int start, int end, int step) {
        return IndexingOps.slice(this, dim, start, end, step);
    }

    /** Element {@code index} along {@code dim} with that dimension removed ({@code x[:, i]}), a copy. */
    public Tensor select(int dim, int index) {
        return IndexingOps.select(this, dim, index);
    }

    /** Pieces of {@code splitSize} along {@code dim}; the last may be smaller. */
    public java.util.List<Tensor> split(int splitSize, int dim) {
        return IndexingOps.split(this, splitSize, dim);
    }

    /** Pieces of the given sizes along {@code dim}. */
    public java.util.List<Tensor> split(int[] sizes, int dim) {
        return IndexingOps.split(this, sizes, dim);
    }

    /** {@code chunks} pieces of equal size along {@code dim} (the last may be smaller, and there may be fewer). */
    public java.util.List<Tensor> chunk(int chunks, int dim) {
        return IndexingOps.chunk(this, chunks, dim);
    }

    /** The slabs at int32 {@code index} (1-D) along {@code dim}  |  g added back at the indices. */
    public Tensor indexSelect(int dim, Tensor index) {
        return IndexingOps.indexSelect(this, dim, index);
    }

    /** {@code out[i][j] = this[i][index[i][j]]} for dim 1 (and likewise for any dim)  |  g scatter-added. */
    public Tensor gather(int dim, Tensor index) {
        return IndexingOps.gather(this, dim, index);
    }

    /** A copy of this with {@code src} added at int32 {@code index} along {@code dim}  |  g; g gathered for src. */
    public Tensor scatterAdd(int dim, Tensor index, Tensor src) {
        return IndexingOps.scatterAdd(this, dim, index, src);
    }

    /** {@code value} where the int32 {@code mask} (broadcast) is nonzero, this elsewhere  |  g where not filled. */
    public Tensor maskedFill(Tensor mask, double value) {
        try (Tensor v = scalar((float) value)) {
            return IndexingOps.where(mask, v, this);
        }
    }

    /** Each element clamped to {@code [min, max]}  |  g where min ≤ x ≤ max. */
    public Tensor clamp(double min, double max) {
        return IndexingOps.clamp(this, min, max);
    }

    /** {@code max(x, min)} elementwise. */
    public Tensor clampMin(double min) {
        return IndexingOps.clamp(this, min, Double.NaN);
    }

    /** {@code min(x, max)} elementwise. */
    public Tensor clampMax(double max) {
        return IndexingOps.clamp(this, Double.NaN, max);
    }

    // ------------------------------------------------------------------ comparisons: int32 1/0, no gradient

    public Tensor eq(Tensor other) {
        return IndexingOps.compare(this, other, Selection.Comparison.EQ);
    }

    public Tensor ne(Tensor other) {
        return IndexingOps.compare(this, other, Selection.Comparison.NE);
    }

    public Tensor lt(Tensor other) {
        return IndexingOps.compare(this, other, Selection.Comparison.LT);
    }

    public Tensor le(Tensor other) {
        return IndexingOps.compare(this, other, Selection.Comparison.LE);
    }

    public Tensor gt(Tensor other) {
        return IndexingOps.compare(this, other, Selection.Comparison.GT);
    }

    public Tensor ge(Tensor other) {
        return IndexingOps.compare(this, other, Selection.Comparison.GE);
    }

    public Tensor eq(double s) {
        return IndexingOps.compare(this, s, Selection.Comparison.EQ);
    }

    public Tensor ne(double s) {
        return IndexingOps.compare(this, s, Selection.Comparison.NE);
    }

    public Tensor lt(double s) {
        return IndexingOps.compare(this, s, Selection.Comparison.LT);
    }

    public Tensor le(double s) {
        return IndexingOps.compare(this, s, Selection.Comparison.LE);
    }

    public Tensor gt(double s) {
        return IndexingOps.compare(this, s, Selection.Comparison.GT);
    }

    public Tensor ge(double s) {
        return IndexingOps.compare(this, s, Selection.Comparison.GE);
    }

    /** This tensor in {@code dtype}: itself when it already is; otherwise a copy outside the graph. */
    public Tensor to(DType dtype) {
        return this.dtype == dtype ? this : IndexingOps.convert(this, dtype);
    }

    // ------------------------------------------------------------------ in place (outside the graph)

    /** {@code this += other} in place; other broadcasts to this shape. */
    public Tensor add_(Tensor other) {
        return InPlaceOps.apply(this, other, "add_", () -> add(other));
    }

    /** {@code this += s} in place. */
    public Tensor add_(double s) {
        return InPlaceOps.apply(this, null, "add_", () -> add(s));
    }

    /** {@code this -= other} in place. */
    public Tensor sub_(Tensor other) {
        return InPlaceOps.apply(this, other, "sub_", () -> sub(other));
    }

    /** {@code this *= other} in place. */
    public Tensor mul_(Tensor other) {
        return InPlaceOps.apply(this, other, "mul_", () -> mul(other));
    }

    /** {@code this *= s} in place. */
    public Tensor mul_(double s) {
        return InPlaceOps.apply(this, null, "mul_", () -> mul(s));
    }

    /** {@code this /= s} in place. */
    public Tensor div_(double s) {
        return InPlaceOps.apply(this, null, "div_", () -> div(s));
    }

    /** Sets every element to {@code value} in place. */
    public Tensor fill_(double value) {
        return InPlaceOps.fill(this, value);
    }

    // ------------------------------------------------------------------ matmul

    /**
     * Matrix product as {@code torch.matmul}  |  dA = g·Bᵀ, dB = Aᵀ·g (transposes read in place by the
     * kernel). 1-D operands are vectors (a dimension added, then removed); {@code [..., m, k]·[k, n]} is one
     * product over all rows; otherwise the batch dimensions broadcast ({@code [b, 1, m, k]·[h, k, n]}).
     */
    public Tensor matmul(Tensor other) {
        return MatmulOp.matmul(this, other);
    }

    /** Batched matrix product {@code [b, m, k]·[b, k, n]} (no broadcasting; see {@link #matmul}). */
    public Tensor bmm(Tensor other) {
        return MatmulOp.bmm(this, other);
    }

    // ------------------------------------------------------------------ shape

    /** Same data, another shape (one dimension may be -1)  |  g reshaped back. Shares memory. */
    public Tensor reshape(int... newShape) {
        return ShapeOps.reshape(this, newShape);
    }

    /** Alias of {@link #reshape(int...)} (every tensor here is contiguous). */
    public Tensor view(int... newShape) {
        return ShapeOps.view(this, newShape);
    }

    /** Inserts a dimension of size 1 at {@code dim}. */
    public Tensor unsqueeze(int dim) {
        return ShapeOps.unsqueeze(this, dim);
    }

    /** Removes every dimension of size 1. */
    public Tensor squeeze() {
        return ShapeOps.squeeze(this);
    }

    /** Removes {@code dim} if its size is 1 (otherwise returns the same shape, as PyTorch). */
    public Tensor squeeze(int dim) {
        return ShapeOps.squeeze(this, dim);
    }

    /** Flattens to 1-D. */
    public Tensor flatten() {
        return ShapeOps.flatten(this);
    }

    /** Flattens dimensions {@code startDim..end}. */
    public Tensor flatten(int startDim) {
        return ShapeOps.flatten(this, startDim);
    }

    /** Flattens dimensions {@code startDim..endDim} (inclusive) into one. */
    public Tensor flatten(int startDim, int endDim) {
        return ShapeOps.flatten(this, startDim, endDim);
    }

    /** Repeats size-1 dimensions to {@code target}, as {@code expand}  |  g summed back. Copies. */
    public Tensor expand(int... target) {
        return ShapeOps.expand(this, target);
    }

    /** Sums broadcast dimensions away so the result has {@code target}'s shape (the reverse of expand). */
    public Tensor sumTo(int[] target) {
        return ShapeOps.sumTo(this, target);
    }

    /** Swaps two dimensions (a contiguous copy)  |  g swapped back. */
    public Tensor transpose(int dim0, int dim1) {
        return ShapeOps.transpose(this, dim0, dim1);
    }

    /** The 2-D transpose. */
    public Tensor t() {
        return ShapeOps.t(this);
    }

    /** Reorders dimensions (a contiguous copy)  |  g permuted by the inverse. */
    public Tensor permute(int... dims) {
        return ShapeOps.permute(this, dims);
    }
}
