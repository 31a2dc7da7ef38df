package vectorgrad.autograd.internal;

import java.lang.foreign.MemorySegment;
import vectorgrad.autograd.DType;
import vectorgrad.autograd.Generator;
import vectorgrad.autograd.Tensor;

/**
 * What the ops outside package {@code vectorgrad.autograd} (the neural-network ops here, the optimizers'
 * fused steps, the safetensors reader in {@code vectorgrad.nn}) need from a tensor's internals: its raw
 * memory, fresh uninitialised tensors, and recording in the graph. This package is exported to
 * {@code vectorgrad.nn} only, so none of it is public API. {@code Tensor} installs the implementation when
 * its class initialises (the JDK's own "shared secrets" pattern), which keeps these methods off
 * {@code Tensor}'s public surface.
 */
public final class TensorAccess {
    private TensorAccess() {}

    /** Implemented in package {@code vectorgrad.autograd}. */
    public interface Bridge {
        MemorySegment segment(Tensor t);

        Tensor empty(int[] shape, DType dtype);

        Tensor record(Tensor out, String op, BackwardFn backward, Tensor... inputs);

        boolean records(Tensor... inputs);

        void requireFloat(Tensor t, String op);

        void fillDropoutMask(Generator g, MemorySegment mask, long n, long rows, float p, float scale);

        long dropoutSeed(Generator g);
    }

    private static Bridge bridge;

    static {
        // Initialising Tensor installs the bridge (a no-op when Tensor's own initialisation got us here).
        try {
            Class.forName(Tensor.class.getName(), true, TensorAccess.class.getClassLoader());
        } catch (ClassNotFoundException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    /** Called once, by {@code Tensor}'s class initialiser. */
    public static void install(Bridge b) {
        if (bridge != null) throw new IllegalStateException("TensorAccess is installed once, by Tensor");
        bridge = b;
    }

    /**
     * The memory behind {@code t}: {@code numel()} floats (or ints) from offset 0. Valid while {@code t} is
     * open; callers keep {@code t} reachable until the kernel using the segment returns.
     */
    public static MemorySegment segment(Tensor t) {
        return bridge.segment(t);
    }

    /** A float32 tensor of this shape with uninitialised contents. */
    public static Tensor empty(int[] shape) {
        return bridge.empty(shape, DType.FLOAT32);
    }

    /** A tensor of this shape and dtype with uninitialised contents. */
    public static Tensor empty(int[] shape, DType dtype) {
        return bridge.empty(shape, dtype);
    }

    /** Records {@code out = op(inputs)} with its backward rule when grad mode is on and an input requires grad. */
    public static Tensor record(Tensor out, String op, BackwardFn backward, Tensor... inputs) {
        return bridge.record(out, op, backward, inputs);
    }

    /**
     * Whether {@link #record} will record an op of these inputs (grad mode on, an input requiring grad): for an
     * op whose forward keeps something only its backward needs.
     */
    public static boolean records(Tensor... inputs) {
        return bridge.records(inputs);
    }

    /** Throws an {@link IllegalArgumentException} naming {@code op} unless {@code t} is float32. */
    public static void requireFloat(Tensor t, String op) {
        bridge.requireFloat(t, op);
    }

    /** Fills {@code mask} with {@code scale} (kept, probability 1 - p) or 0, from {@code g}'s stream. */
    public static void fillDropoutMask(Generator g, MemorySegment mask, long n, long rows, float p, float scale) {
        bridge.fillDropoutMask(g, mask, n, rows, p, scale);
    }

    /** One draw of {@code g} (not keyed by sample) for a dropout whose mask is a function of it: see {@code Rng.dropout}. */
    public static long dropoutSeed(Generator g) {
        return bridge.dropoutSeed(g);
    }
}
