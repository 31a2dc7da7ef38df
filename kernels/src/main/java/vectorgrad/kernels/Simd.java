package vectorgrad.kernels;

/**
 * Whether the Vector API can be used, decided once per JVM.
 *
 * <p>The vector kernels live in classes that are loaded only when {@link #VECTOR_AVAILABLE} is true,
 * so a JVM started without {@code --add-modules jdk.incubator.vector} still runs, on the scalar path,
 * and says so once on stderr rather than being silently slow.
 *
 * <p>System properties: {@code -Dvectorgrad.scalar=true} forces the scalar path (for tests and
 * benchmarks, and for short runs where compiling the vector kernels costs more than they save: a short
 * {@code gpt sample} sets it); {@code -Dvectorgrad.vectorBits=256|512} picks the vector width (default:
 * the CPU's preferred).
 */
public final class Simd {
    private Simd() {}

    public static final boolean VECTOR_AVAILABLE = detect();

    private static boolean detect() {
        // the logger only when there is something to say (see Config.ignoring)
        if (Config.SCALAR) return false; // asked for: nothing to say
        if (ModuleLayer.boot().findModule("jdk.incubator.vector").isEmpty()) {
            System.getLogger("vectorgrad")
                    .log(
                            System.Logger.Level.WARNING,
                            "module jdk.incubator.vector is not available, so vectorgrad runs its scalar "
                                    + "kernels, many times slower: on the class path start java with --add-modules jdk.incubator.vector "
                                    + "(on the module path vectorgrad.kernels requires it and no flag is needed)");
            return false;
        }
        return true;
    }

    /**
     * The Vector API is available and its float compares, min, max, sqrt, masked loads and stores and
     * two-vector selects are instructions: false on x86 held to SSE ({@code -XX:UseAVX=0}, see
     * {@code Config.SSE_ONLY}). There the training step's kernels that need them run their scalar loops (the
     * adaptive optimizers, 2x2 max pooling, the exp-family elementwise maps, the convolutions' 4x4
     * transposes, attention's softmax rows) and ReLU and its gradient use integer arithmetic; the others
     * (selection's compares and clamp, max reductions, masked tails) still take the Vector API's Java
     * fallback, correct but slow.
     */
    public static final boolean FULL_FLOAT_VECTORS = VECTOR_AVAILABLE && !Config.SSE_ONLY;

    /** Lanes of a float vector on the active path (1 on the scalar path). */
    public static int floatLanes() {
        return LANES;
    }

    private static final int LANES = VECTOR_AVAILABLE ? preferredLanes() : 1;

    /**
     * {@link VectorKernels#LANES} without initialising that class (its species and shuffles take tens of
     * milliseconds to set up before C2 has compiled anything, which a cold first call should not wait
     * for): the width {@code -Dvectorgrad.vectorBits} asks for, else the Vector API's preferred shape,
     * the shape of {@code FloatVector.SPECIES_PREFERRED}.
     */
    private static int preferredLanes() {
        int bits = Config.VECTOR_BITS != 0
                ? Config.VECTOR_BITS
                : jdk.incubator.vector.VectorShape.preferredShape().vectorBitSize();
        return bits / Float.SIZE;
    }

    /** A short description for benchmark reports, e.g. "Vector API, 512-bit (16 floats)". */
    public static String describe() {
        return VECTOR_AVAILABLE
                ? "Vector API, " + VectorKernels.LANES * 32 + "-bit (" + VectorKernels.LANES + " floats)"
                : "scalar";
    }
}
