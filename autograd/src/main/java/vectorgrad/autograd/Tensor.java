package vectorgrad.autograd;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.ref.Reference;
import java.util.Arrays;
import vectorgrad.autograd.internal.BackwardFn;
import vectorgrad.autograd.internal.Shapes;
import vectorgrad.autograd.internal.TensorAccess;
import vectorgrad.kernels.Elementwise;
import vectorgrad.kernels.Elementwise.Binary;
import vectorgrad.kernels.Elementwise.Unary;
import vectorgrad.kernels.Gemm;
import vectorgrad.kernels.Reduce;

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
 *   <li>Memory: {@link #close()} returns a tensor's memory to the pool at once; otherwise it returns when
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

    private int[] shape;
    private Storage storage;
    private final DType dtype;
    private boolean ownsStorage;          // false for views: the storage came from another tensor
    private volatile boolean closed;
    boolean requiresGrad;
    MemoryScope scope;                    // the scope that will release this tensor, if any
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
    private Tensor(Tensor base, int[] shape) {
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
        Tensor t = empty(new int[0]);
        t.seg().setAtIndex(F, 0, value);
        return t;
    }

    /** A tensor holding {@code data} with the given shape (the data's length must match it). */
    public static Tensor of(float[] data, int... shape) {
        if (Shapes.numel(shape) != data.length) {
            throw new IllegalArgumentException("shape " + Shapes.str(shape) + " is invalid for input of size " + data.length);
        }
        Tensor t = empty(shape);
        MemorySegment.copy(data, 0, t.seg(), F, 0, data.length);
        return t;
    }

    /** A 1-D tensor holding {@code data}. */
    public static Tensor of(float... data) {
        return of(data, data.length);
    }

    /** An int32 tensor, e.g. class labels for cross-entropy. */
    public static Tensor ofInts(int[] data, int... shape) {
        if (Shapes.numel(shape) != data.length) {
            throw new IllegalArgumentException("shape " + Shapes.str(shape) + " is invalid for input of size " + data.length);
        }
        Tensor t = new Tensor(shape, DType.INT32);
        MemorySegment.copy(data, 0, t.seg(), I, 0, data.length);
        return t;
    }

    public static Tensor zeros(int... shape) {
        return full(0f, shape);
    }

    public static Tensor ones(int... shape) {
        return full(1f, shape);
    }

    public static Tensor full(float value, int... shape) {
        Tensor t = empty(shape);
        Elementwise.fill(t.seg(), 0, t.numel(), value);
        return t;
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
        if (step == 0) throw new IllegalArgumentException("arange: step must be nonzero");
        long n = (long) Math.ceil((end - start) / step);
        if (n < 0) throw new IllegalArgumentException("arange: upper bound and larger bound inconsistent with step sign (start " + start + ", end " + end + ", step " + step + ")");
        if (n > Integer.MAX_VALUE) throw new IllegalArgumentException("arange: " + n + " elements is too many");
        Tensor t = empty(new int[] {(int) n});
        for (int i = 0; i < n; i++) t.seg().setAtIndex(F, i, (float) (start + i * step));
        return t;
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
        Tensor t = empty(shape);
        g.fillUniform(t.seg(), t.numel(), low, high);
        return t;
    }

    /** Standard normal from the default generator. */
    public static Tensor randn(int... shape) {
        return randn(DEFAULT_GENERATOR, shape);
    }

    public static Tensor randn(Generator g, int... shape) {
        Tensor t = empty(shape);
        g.fillNormal(t.seg(), t.numel(), 0f, 1f);
        return t;
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
            throw new IllegalStateException("you can only change requires_grad flags of leaf variables (this tensor of shape "
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
            throw new IllegalArgumentException("assigned grad has shape " + Shapes.str(g.shape) + " but the tensor has shape " + Shapes.str(shape));
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
        if (numel() != 1) {
            throw new IllegalStateException("grad can be implicitly created only for scalar outputs (this tensor has shape " + Shapes.str(shape) + ")");
        }
        Autograd.backward(this, null, false);
    }

    /** Back-propagates {@code gradient} (same shape as this) through the graph. */
    public void backward(Tensor gradient) {
        backward(gradient, false);
    }

    /** As {@link #backward(Tensor)}; {@code retainGraph} keeps the graph for another backward. */
    public void backward(Tensor gradient, boolean retainGraph) {
        if (gradient != null && !Arrays.equals(gradient.shape, shape)) {
            throw new IllegalArgumentException("gradient has shape " + Shapes.str(gradient.shape) + " but the output has shape " + Shapes.str(shape));
        }
        if (gradient == null && numel() != 1) {
            throw new IllegalStateException("grad can be implicitly created only for scalar outputs (this tensor has shape " + Shapes.str(shape) + ")");
        }
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
            throw new IllegalArgumentException("copy_: source " + Shapes.str(src.shape) + " " + src.dtype + " into " + Shapes.str(shape) + " " + dtype);
        }
        MemorySegment.copy(src.seg(), 0, seg(), 0, numel() * 4L);
        Reference.reachabilityFence(src);
        return this;
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
            throw new IllegalStateException("a Tensor with " + numel() + " elements cannot be converted to a scalar (shape " + Shapes.str(shape) + ")");
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
        if (i < 0 || i >= numel()) throw new IndexOutOfBoundsException("index " + i + " is out of bounds for a tensor of " + numel() + " elements");
        return dtype == DType.INT32 ? seg().getAtIndex(I, i) : seg().getAtIndex(F, i);
    }

    @Override
    public String toString() {
        if (closed || storage.isFreed()) return "tensor(<released>, shape=" + Shapes.str(shape) + ")";
        return TensorFormat.format(this);
    }

    // ------------------------------------------------------------------ memory

    /** Returns this tensor's memory to the pool now (views of it keep theirs). Idempotent. */
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
            throw new IllegalStateException("tensor of shape " + Shapes.str(shape) + " was released (closed) and cannot be used");
        }
    }

    final void requireFloat(String op) {
        if (dtype != DType.FLOAT32) {
            throw new IllegalArgumentException(op + ": expected a float32 tensor but got " + dtype + " of shape " + Shapes.str(shape));
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
        if (Anomaly.isEnabled()) Anomaly.checkForward(out, op, inputs);
        if (!NoGrad.gradEnabled()) return out;
        boolean any = false;
        for (Tensor t : inputs) any |= t.requiresGrad;
        if (!any) return out;
        out.requiresGrad = true;
        out.gradFn = new Node(op, inputs, backward);
        if (Anomaly.isEnabled()) out.gradFn.createdAt = Anomaly.captureCreation();
        return out;
    }

    // ------------------------------------------------------------------ elementwise: forward | backward

    private Tensor map(Unary op) {
        requireFloat(op.name().toLowerCase());
        Tensor out = empty(shape);
        Elementwise.unary(op, seg(), 0, out.seg(), 0, numel());
        Reference.reachabilityFence(this);
        return out;
    }

    private Tensor affine(float scale, float shift, String op) {
        requireFloat(op);
        Tensor out = empty(shape);
        Elementwise.affine(seg(), 0, scale, shift, out.seg(), 0, numel());
        Reference.reachabilityFence(this);
        return out;
    }

    private Tensor zip(Binary op, Tensor other, String name) {
        requireFloat(name);
        other.requireFloat(name);
        int[] outShape = Arrays.equals(shape, other.shape) ? shape : Shapes.broadcast(shape, other.shape, name);
        Tensor out = empty(outShape);
        Elementwise.binary(op, outShape, seg(), 0, Shapes.broadcastStrides(shape, outShape),
                other.seg(), 0, Shapes.broadcastStrides(other.shape, outShape), out.seg(), 0);
        Reference.reachabilityFence(this);
        Reference.reachabilityFence(other);
        return out;
    }

    /** {@code this + other}  |  d/da = g, d/db = g (each summed over its broadcast dims). */
    public Tensor add(Tensor other) {
        Tensor a = this, b = other;
        return record(zip(Binary.ADD, b, "add"), "add",
                (g, need) -> new Tensor[] {need[0] ? g.sumTo(a.shape) : null, need[1] ? g.sumTo(b.shape) : null}, a, b);
    }

    /** {@code this - other}  |  d/da = g, d/db = -g. */
    public Tensor sub(Tensor other) {
        Tensor a = this, b = other;
        return record(zip(Binary.SUB, b, "sub"), "sub",
                (g, need) -> new Tensor[] {need[0] ? g.sumTo(a.shape) : null, need[1] ? g.neg().sumTo(b.shape) : null}, a, b);
    }

    /** {@code this * other}  |  d/da = g·b, d/db = g·a. */
    public Tensor mul(Tensor other) {
        Tensor a = this, b = other;
        return record(zip(Binary.MUL, b, "mul"), "mul",
                (g, need) -> new Tensor[] {need[0] ? g.mul(b).sumTo(a.shape) : null, need[1] ? g.mul(a).sumTo(b.shape) : null}, a, b);
    }

    /** {@code this / other}  |  d/da = g/b, d/db = -g·(a/b)/b. */
    public Tensor div(Tensor other) {
        Tensor a = this, b = other;
        return record(zip(Binary.DIV, b, "div"), "div",
                (g, need) -> new Tensor[] {
                        need[0] ? g.div(b).sumTo(a.shape) : null,
                        need[1] ? g.neg().mul(a.div(b).div(b)).sumTo(b.shape) : null}, a, b);
    }

    /** {@code this + s}  |  g. */
    public Tensor add(double s) {
        return record(affine(1f, (float) s, "add"), "add", (g, need) -> new Tensor[] {g}, this);
    }

    /** {@code this - s}  |  g. */
    public Tensor sub(double s) {
        return record(affine(1f, (float) -s, "sub"), "sub", (g, need) -> new Tensor[] {g}, this);
    }

    /** {@code s - this} (PyTorch's {@code rsub})  |  -g. */
    public Tensor rsub(double s) {
        return record(affine(-1f, (float) s, "rsub"), "rsub", (g, need) -> new Tensor[] {g.neg()}, this);
    }

    /** {@code this * s}  |  g·s. */
    public Tensor mul(double s) {
        float f = (float) s;
        return record(affine(f, 0f, "mul"), "mul", (g, need) -> new Tensor[] {g.mul(f)}, this);
    }

    /** {@code this / s}  |  g/s. */
    public Tensor div(double s) {
        float f = (float) s;
        Tensor out = empty(shape);
        requireFloat("div");
        // a true division (not a multiply by 1/s), so results round exactly as PyTorch's
        Tensor divisor = scalar(f);
        Elementwise.binary(Binary.DIV, shape, seg(), 0, Shapes.contiguousStrides(shape), divisor.seg(), 0, new long[shape.length], out.seg(), 0);
        divisor.close();
        Reference.reachabilityFence(this);
        return record(out, "div", (g, need) -> new Tensor[] {g.div(f)}, this);
    }

    /** {@code -this}  |  -g. */
    public Tensor neg() {
        return record(map(Unary.NEG), "neg", (g, need) -> new Tensor[] {g.neg()}, this);
    }

    /** {@code this^p}  |  g·p·x^(p-1). */
    public Tensor pow(double p) {
        requireFloat("pow");
        float fp = (float) p;
        Tensor out = empty(shape);
        Elementwise.pow(seg(), 0, fp, out.seg(), 0, numel());
        Tensor x = this;
        return record(out, "pow", (g, need) -> new Tensor[] {
                fp == 2f ? g.mul(x.mul(2f)) : g.mul(x.pow(fp - 1f).mul(fp))}, x);
    }

    /** {@code e^x}  |  g·e^x. */
    public Tensor exp() {
        Tensor out = map(Unary.EXP);
        return record(out, "exp", (g, need) -> new Tensor[] {g.mul(out)}, this);
    }

    /** {@code ln x}  |  g/x. */
    public Tensor log() {
        Tensor x = this;
        return record(map(Unary.LOG), "log", (g, need) -> new Tensor[] {g.div(x)}, x);
    }

    /** {@code √x}  |  g/(2√x). */
    public Tensor sqrt() {
        Tensor out = map(Unary.SQRT);
        return record(out, "sqrt", (g, need) -> new Tensor[] {g.div(out.mul(2f))}, this);
    }

    /** {@code |x|}  |  g·sign(x). */
    public Tensor abs() {
        Tensor x = this;
        return record(map(Unary.ABS), "abs", (g, need) -> new Tensor[] {g.mul(x.map(Unary.SIGN))}, x);
    }

    /** {@code sign(x)}  |  0. */
    public Tensor sign() {
        return record(map(Unary.SIGN), "sign", (g, need) -> new Tensor[] {zerosLike(g)}, this);
    }

    /** {@code max(x, 0)}  |  g where x > 0, else 0. */
    public Tensor relu() {
        Tensor x = this;
        return record(map(Unary.RELU), "relu", (g, need) -> new Tensor[] {g.zip(Binary.RELU_BACKWARD, x, "relu_backward")}, x);
    }

    /** {@code 1/(1+e^-x)}  |  g·(1-s)·s. */
    public Tensor sigmoid() {
        Tensor s = map(Unary.SIGMOID);
        return record(s, "sigmoid", (g, need) -> new Tensor[] {g.mul(s.rsub(1)).mul(s)}, this);
    }

    /** {@code tanh x}  |  g·(1-t²). */
    public Tensor tanh() {
        Tensor t = map(Unary.TANH);
        return record(t, "tanh", (g, need) -> new Tensor[] {g.mul(t.mul(t).rsub(1))}, this);
    }

    // ------------------------------------------------------------------ reductions

    /** Sum of all elements  |  g broadcast back to the input's shape. */
    public Tensor sum() {
        requireFloat("sum");
        Tensor out = empty(new int[0]);
        Elementwise.sumInto(shape, seg(), 0, out.seg(), 0, new long[shape.length], 1);
        Reference.reachabilityFence(this);
        int[] inShape = shape;
        return record(out, "sum", (g, need) -> new Tensor[] {g.expand(inShape)}, this);
    }

    /** Sum over {@code dim}  |  g broadcast back along {@code dim}. */
    public Tensor sum(int dim, boolean keepdim) {
        requireFloat("sum");
        int d = Shapes.dim(dim, shape.length, "sum");
        if (shape.length == 0) return clone();
        int[] kept = shape.clone();
        kept[d] = 1;
        long[] outStrides = Shapes.contiguousStrides(kept);
        outStrides[d] = 0;
        Tensor out = empty(kept);
        Elementwise.sumInto(shape, seg(), 0, out.seg(), 0, outStrides, Shapes.numel(kept));
        Reference.reachabilityFence(this);
        int[] inShape = shape;
        Tensor result = keepdim ? out : out.viewInternal(dropDim(kept, d));
        if (!keepdim) out.close(); // the view holds the memory now
        return record(result, "sum", (g, need) -> new Tensor[] {g.reshape(kept).expand(inShape)}, this);
    }

    /** Mean of all elements  |  g/n broadcast back. */
    public Tensor mean() {
        long n = numel();
        if (n == 0) return scalar(Float.NaN);
        Tensor out;
        try (NoGrad ignored = noGrad(); Tensor s = sum()) {
            out = s.div((double) n);
        }
        int[] inShape = shape;
        return record(out, "mean", (g, need) -> new Tensor[] {g.expand(inShape).div((double) n)}, this);
    }

    /** Mean over {@code dim}  |  g/n broadcast back along {@code dim}. */
    public Tensor mean(int dim, boolean keepdim) {
        int d = Shapes.dim(dim, shape.length, "mean");
        int n = shape.length == 0 ? 1 : shape[d];
        int[] inShape = shape;
        int[] kept = shape.clone();
        if (kept.length > 0) kept[d] = 1;
        Tensor out;
        try (NoGrad ignored = noGrad(); Tensor s = sum(dim, keepdim)) {
            out = s.div((double) n);
        }
        return record(out, "mean", (g, need) -> new Tensor[] {g.reshape(kept).expand(inShape).div((double) n)}, this);
    }

    /** Values and indices of a max over one dimension. */
    public record MaxResult(Tensor values, Tensor indices) {}

    /** Max over {@code dim} with its first argmax  |  g goes to the argmax position, 0 elsewhere. */
    public MaxResult max(int dim, boolean keepdim) {
        requireFloat("max");
        int d = Shapes.dim(dim, shape.length, "max");
        int[] s = shape.length == 0 ? new int[] {1} : shape;
        int outer = 1, inner = 1, n = s[d];
        for (int i = 0; i < d; i++) outer *= s[i];
        for (int i = d + 1; i < s.length; i++) inner *= s[i];
        if (n == 0) throw new IllegalArgumentException("max(): cannot reduce over dimension " + d + " of size 0 (shape " + Shapes.str(shape) + ")");
        int[] kept = s.clone();
        kept[d] = 1;
        int[] outShape = shape.length == 0 ? new int[0] : (keepdim ? kept : dropDim(kept, d));
        Tensor vals = empty(outShape);
        Tensor idx = new Tensor(outShape, DType.INT32);
        Reduce.max(outer, n, inner, seg(), 0, vals.seg(), 0, idx.seg(), 0);
        Reference.reachabilityFence(this);
        int[] inShape = shape;
        int o = outer, nn = n, in = inner;
        record(vals, "max", (g, need) -> {
            Tensor gi = empty(inShape);
            Reduce.scatterMax(o, nn, in, g.seg(), 0, idx.seg(), 0, gi.seg(), 0);
            Reference.reachabilityFence(g);
            return new Tensor[] {gi};
        }, this);
        return new MaxResult(vals, idx);
    }

    /** Max of all elements  |  g goes to the first maximum. */
    public Tensor max() {
        if (numel() == 0) throw new IllegalArgumentException("max(): expected a non-empty tensor");
        return reshape((int) numel()).max(0, false).values();
    }

    /** Index of the max over {@code dim} (int32, no gradient). */
    public Tensor argmax(int dim, boolean keepdim) {
        try (NoGrad ignored = noGrad()) {
            MaxResult r = max(dim, keepdim);
            r.values().close();
            return r.indices();
        }
    }

    /** Flat index of the maximum (int32 scalar). */
    public Tensor argmax() {
        try (NoGrad ignored = noGrad()) {
            Tensor flat = reshape((int) numel());
            Tensor r = flat.argmax(0, false);
            flat.close();
            return r;
        }
    }

    // ------------------------------------------------------------------ matmul

    /**
     * Matrix product  |  dA = g·Bᵀ, dB = Aᵀ·g (transposes are read in place by the kernel, never copied).
     * Shapes: {@code [m,k]·[k,n]}; batched {@code [b,m,k]·[b,k,n]}; and {@code [b,m,k]·[k,n]} (one matrix for
     * every item, its gradient summed over the batch).
     */
    public Tensor matmul(Tensor other) {
        requireFloat("matmul");
        other.requireFloat("matmul");
        int ra = shape.length, rb = other.shape.length;
        boolean ok = (ra == 2 && rb == 2) || (ra == 3 && (rb == 2 || (rb == 3 && other.shape[0] == shape[0])));
        if (!ok) {
            throw new IllegalArgumentException("matmul: expected [m,k]·[k,n], [b,m,k]·[b,k,n] or [b,m,k]·[k,n], got "
                    + Shapes.str(shape) + " and " + Shapes.str(other.shape));
        }
        int batch = ra == 3 ? shape[0] : 1;
        int m = shape[ra - 2], k = shape[ra - 1], n = other.shape[rb - 1];
        if (other.shape[rb - 2] != k) {
            throw new IllegalArgumentException("mat1 and mat2 shapes cannot be multiplied (" + Shapes.x(shape) + " and " + Shapes.x(other.shape) + ")");
        }
        boolean sharedB = rb == 2;
        long sA = (long) m * k, sB = sharedB ? 0 : (long) k * n, sC = (long) m * n;
        int lk = Math.max(1, k), ln = Math.max(1, n), lm = Math.max(1, m);
        Tensor out = empty(ra == 3 ? new int[] {batch, m, n} : new int[] {m, n});
        Gemm.sgemmBatched(false, false, batch, m, n, k, 1f, seg(), 0, sA, lk, other.seg(), 0, sB, ln, 0f, out.seg(), 0, sC, ln);
        Reference.reachabilityFence(this);
        Reference.reachabilityFence(other);
        Tensor a = this, b = other;
        return record(out, "matmul", (g, need) -> {
            Tensor ga = null, gb = null;
            if (need[0]) {
                ga = empty(a.shape);
                Gemm.sgemmBatched(false, true, batch, m, k, n, 1f, g.seg(), 0, sC, ln, b.seg(), 0, sB, ln, 0f, ga.seg(), 0, sA, lk);
            }
            if (need[1]) {
                gb = empty(b.shape);
                if (sharedB) {
                    // one B for every item: its gradient sums Aᵢᵀ·gᵢ over the batch (beta = 1 after the first)
                    for (int i = 0; i < batch; i++) {
                        Gemm.sgemm(true, false, k, n, m, 1f, a.seg(), i * sA, lk, g.seg(), i * sC, ln, i == 0 ? 0f : 1f, gb.seg(), 0, ln);
                    }
                    if (batch == 0) gb.zero_();
                } else {
                    Gemm.sgemmBatched(true, false, batch, k, n, m, 1f, a.seg(), 0, sA, lk, g.seg(), 0, sC, ln, 0f, gb.seg(), 0, sB, ln);
                }
            }
            Reference.reachabilityFence(g);
            return new Tensor[] {ga, gb};
        }, a, b);
    }

    // ------------------------------------------------------------------ shape

    private Tensor viewInternal(int[] newShape) {
        return new Tensor(this, newShape);
    }

    private static int[] dropDim(int[] s, int d) {
        int[] r = new int[s.length - 1];
        for (int i = 0, j = 0; i < s.length; i++) if (i != d) r[j++] = s[i];
        return r;
    }

    /** Same data, another shape (one dimension may be -1)  |  g reshaped back. Shares memory. */
    public Tensor reshape(int... newShape) {
        int[] resolved = resolveShape(newShape);
        if (Arrays.equals(resolved, shape) && !requiresGrad) return new Tensor(this, resolved);
        int[] inShape = shape;
        return record(new Tensor(this, resolved), "reshape", (g, need) -> new Tensor[] {g.reshape(inShape)}, this);
    }

    /** Alias of {@link #reshape(int...)} (every tensor here is contiguous). */
    public Tensor view(int... newShape) {
        return reshape(newShape);
    }

    private int[] resolveShape(int[] newShape) {
        long n = numel();
        int infer = -1;
        long known = 1;
        for (int i = 0; i < newShape.length; i++) {
            if (newShape[i] == -1) {
                if (infer >= 0) throw new IllegalArgumentException("only one dimension can be inferred (shape " + Shapes.str(newShape) + ")");
                infer = i;
            } else if (newShape[i] < 0) {
                throw new IllegalArgumentException("invalid shape dimension " + newShape[i] + " in " + Shapes.str(newShape));
            } else {
                known *= newShape[i];
            }
        }
        int[] r = newShape.clone();
        if (infer >= 0) {
            if (known == 0 || n % known != 0) throw new IllegalArgumentException("shape " + Shapes.str(newShape) + " is invalid for input of size " + n);
            r[infer] = (int) (n / known);
        } else if (known != n) {
            throw new IllegalArgumentException("shape " + Shapes.str(newShape) + " is invalid for input of size " + n);
        }
        return r;
    }

    /** Inserts a dimension of size 1 at {@code dim}. */
    public Tensor unsqueeze(int dim) {
        int d = dim < 0 ? dim + shape.length + 1 : dim;
        if (d < 0 || d > shape.length) {
            throw new IndexOutOfBoundsException("unsqueeze: dimension out of range (expected to be in range of [" + (-shape.length - 1) + ", " + shape.length + "], but got " + dim + ")");
        }
        int[] s = new int[shape.length + 1];
        for (int i = 0, j = 0; i < s.length; i++) s[i] = i == d ? 1 : shape[j++];
        return reshape(s);
    }

    /** Removes every dimension of size 1. */
    public Tensor squeeze() {
        return reshape(Arrays.stream(shape).filter(x -> x != 1).toArray());
    }

    /** Removes {@code dim} if its size is 1 (otherwise returns the same shape, as PyTorch). */
    public Tensor squeeze(int dim) {
        if (shape.length == 0) return reshape();
        int d = Shapes.dim(dim, shape.length, "squeeze");
        return shape[d] == 1 ? reshape(dropDim(shape, d)) : reshape(shape);
    }

    /** Flattens to 1-D. */
    public Tensor flatten() {
        return flatten(0, -1);
    }

    /** Flattens dimensions {@code startDim..end}. */
    public Tensor flatten(int startDim) {
        return flatten(startDim, -1);
    }

    /** Flattens dimensions {@code startDim..endDim} (inclusive) into one. */
    public Tensor flatten(int startDim, int endDim) {
        if (shape.length == 0) return reshape(1);
        int s = Shapes.dim(startDim, shape.length, "flatten"), e = Shapes.dim(endDim, shape.length, "flatten");
        if (s > e) throw new IllegalArgumentException("flatten() has invalid args: start_dim " + startDim + " cannot come after end_dim " + endDim);
        int[] r = new int[shape.length - (e - s)];
        int k = 0;
        for (int i = 0; i < s; i++) r[k++] = shape[i];
        int prod = 1;
        for (int i = s; i <= e; i++) prod *= shape[i];
        r[k++] = prod;
        for (int i = e + 1; i < shape.length; i++) r[k++] = shape[i];
        return reshape(r);
    }

    /** Repeats size-1 dimensions to {@code target}, as {@code expand}  |  g summed back. Copies. */
    public Tensor expand(int... target) {
        requireFloat("expand");
        Shapes.validate(target);
        int[] b = Shapes.broadcast(shape, target, "expand");
        if (!Arrays.equals(b, target)) {
            throw new IllegalArgumentException("expand: the expanded size " + Shapes.str(target) + " must match the existing size " + Shapes.str(shape) + " at non-singleton dimensions");
        }
        Tensor out = empty(target);
        Elementwise.expand(target, seg(), 0, Shapes.broadcastStrides(shape, target), out.seg(), 0);
        Reference.reachabilityFence(this);
        int[] inShape = shape;
        return record(out, "expand", (g, need) -> new Tensor[] {g.sumTo(inShape)}, this);
    }

    /** Sums broadcast dimensions away so the result has {@code target}'s shape (the reverse of expand). */
    public Tensor sumTo(int[] target) {
        if (Arrays.equals(shape, target)) return this;
        int[] check = Shapes.broadcast(target, shape, "sumTo");
        if (!Arrays.equals(check, shape)) {
            throw new IllegalArgumentException("sumTo: shape " + Shapes.str(shape) + " is not a broadcast of " + Shapes.str(target));
        }
        Tensor out = empty(target);
        // strides of the target seen from this shape: 0 where the target had 1 or nothing
        long[] outStrides = Shapes.broadcastStrides(target, shape);
        Elementwise.sumInto(shape, seg(), 0, out.seg(), 0, outStrides, Shapes.numel(target));
        Reference.reachabilityFence(this);
        return record(out, "sum_to", (g, need) -> new Tensor[] {g.expand(shape)}, this);
    }

    /** Swaps two dimensions (a contiguous copy)  |  g swapped back. */
    public Tensor transpose(int dim0, int dim1) {
        int[] perm = new int[shape.length];
        for (int i = 0; i < perm.length; i++) perm[i] = i;
        int a = Shapes.dim(dim0, shape.length, "transpose"), b = Shapes.dim(dim1, shape.length, "transpose");
        if (shape.length == 0) return clone();
        perm[a] = b;
        perm[b] = a;
        return permute(perm);
    }

    /** The 2-D transpose. */
    public Tensor t() {
        if (shape.length > 2) throw new IllegalArgumentException("t() expects a tensor with <= 2 dimensions, but got " + shape.length);
        return shape.length < 2 ? reshape(shape) : transpose(0, 1);
    }

    /** Reorders dimensions (a contiguous copy)  |  g permuted by the inverse. */
    public Tensor permute(int... dims) {
        if (dims.length != shape.length) {
            throw new IllegalArgumentException("permute: number of dims don't match (tensor has " + shape.length + ", got " + dims.length + ")");
        }
        int[] perm = new int[dims.length];
        boolean[] seen = new boolean[dims.length];
        int[] out = new int[dims.length];
        for (int i = 0; i < dims.length; i++) {
            perm[i] = Shapes.dim(dims[i], shape.length, "permute");
            if (seen[perm[i]]) throw new IllegalArgumentException("permute: repeated dim " + dims[i] + " in " + Arrays.toString(dims));
            seen[perm[i]] = true;
            out[i] = shape[perm[i]];
        }
        requireFloat("permute");
        Tensor result = new Tensor(out, dtype);
        Elementwise.permute(shape, perm, seg(), 0, result.seg(), 0);
        Reference.reachabilityFence(this);
        int[] inverse = new int[perm.length];
        for (int i = 0; i < perm.length; i++) inverse[perm[i]] = i;
        return record(result, "permute", (g, need) -> new Tensor[] {g.permute(inverse)}, this);
    }
}
