package vectorgrad.kernels;

import java.lang.System.Logger.Level;

/**
 * Every {@code -Dvectorgrad.*} system property, read once, here. The class loads no vector class, so the
 * scalar path can read it on a JVM without {@code jdk.incubator.vector}. docs/DESIGN.md lists the same
 * table for users.
 *
 * <table>
 * <caption>System properties</caption>
 * <tr><th>property</th><th>default</th><th>kind</th><th>meaning</th></tr>
 * <tr><td>vectorgrad.threads</td><td>available processors</td><td>user</td>
 *     <td>kernel threads at start (a program may change it with {@code Threads.setNumThreads})</td></tr>
 * <tr><td>vectorgrad.gcThresholdMB</td><td>64</td><td>user</td>
 *     <td>native bytes held by live (handed-out, not yet released) tensors above which an allocation that
 *     finds no cached block first asks for a collection, so unclosed tensors the program dropped are
 *     reclaimed before the cache grows</td></tr>
 * <tr><td>vectorgrad.scalar</td><td>false</td><td>user, test</td>
 *     <td>run the scalar kernels even where the Vector API is present; {@code gpt sample} sets it for a short
 *     generation when unset (it ends before the vector kernels would be compiled)</td></tr>
 * <tr><td>vectorgrad.vectorBits</td><td>the preferred width</td><td>test</td>
 *     <td>256 or 512: hold the kernels to that vector width</td></tr>
 * <tr><td>vectorgrad.fma</td><td>the JVM's {@code UseFMA}</td><td>test</td>
 *     <td>true or false: fused multiply-add instructions in the vector kernels, or a multiply then an add</td></tr>
 * <tr><td>vectorgrad.coldStart</td><td>true</td><td>user, test</td>
 *     <td>serve a kernel's small calls with its scalar twin until its vector form is compiled (see
 *     {@code ColdStart}); the test suites turn it off</td></tr>
 * <tr><td>vectorgrad.conv.noWinograd</td><td>false</td><td>tuning</td>
 *     <td>serve 3x3 stride-1 convolutions by the direct kernels instead of Winograd (for comparisons)</td></tr>
 * <tr><td>vectorgrad.conv.winogradTile</td><td>unset</td><td>tuning, test</td>
 *     <td>2 or 4: Winograd's output tile for every pass (unset: F(4x4, 3x3) for each pass whose planes are
 *     large enough, see ConvPlan.winogradTile)</td></tr>
 * <tr><td>vectorgrad.spinMicros</td><td>50</td><td>tuning</td>
 *     <td>how long an idle kernel thread spins before it parks</td></tr>
 * <tr><td>vectorgrad.gemm.mr</td><td>6 on 16 lanes, else 4</td><td>tuning</td>
 *     <td>rows of the sgemm micro-tile (4 or 6)</td></tr>
 * <tr><td>vectorgrad.gemm.kc / .mc / .nc</td><td>512 on 16 lanes, else 256 / 96 / 1536</td><td>tuning, test</td>
 *     <td>sgemm cache blocks in elements (k depth, rows of A, columns of B); tests shrink them to cross blocks</td></tr>
 * <tr><td>vectorgrad.gemm.packedMin</td><td>32768</td><td>tuning</td>
 *     <td>m·n·k below which sgemm runs the unpacked loops</td></tr>
 * <tr><td>vectorgrad.gemm.dotMinK / .dotMaxM / .dotKb</td><td>64 / 16 / 16384</td><td>tuning</td>
 *     <td>when x·Wᵀ runs as dot-product tiles (k at least, m at most) and their k block</td></tr>
 * <tr><td>vectorgrad.gemm.streamMaxM / .streamKb</td><td>6 / 16</td><td>tuning</td>
 *     <td>when A·B runs with B streamed from memory unpacked (m at most; 0 turns it off) and its k block</td></tr>
 * <tr><td>vectorgrad.gemm.parallelMinFlops</td><td>16777216</td><td>tuning</td>
 *     <td>2·m·n·k below which sgemm stays on the calling thread (unless its operands reach parallelMinBytes)</td></tr>
 * <tr><td>vectorgrad.gemm.parallelMinBytes</td><td>2097152</td><td>tuning</td>
 *     <td>bytes of A, B and C from which sgemm runs on the pool whatever its flops (it streams memory)</td></tr>
 * <tr><td>vectorgrad.gemm.scalarTransposePack</td><td>false</td><td>test</td>
 *     <td>pack transposed panels without the register transposes (16x16, or 8x8 on 256-bit vectors)</td></tr>
 * </table>
 *
 * <p>A value that does not parse is reported once through {@code System.getLogger("vectorgrad")} and the
 * default is used.
 */
public final class Config {
    private Config() {}

    /** Kernel threads at start; 0 when unset (then: available processors). */
    public static final int THREADS = intProperty("vectorgrad.threads", 0, 1);
    /** Native bytes in live tensors above which an allocation missing the cache asks for a collection first. */
    public static final long GC_THRESHOLD_BYTES = longProperty("vectorgrad.gcThresholdMB", 64, 0) << 20;

    static final boolean SCALAR = Boolean.getBoolean("vectorgrad.scalar");
    /** 256 or 512 when set, 0 for the platform's preferred width. */
    static final int VECTOR_BITS = choice("vectorgrad.vectorBits", 256, 512);

    static final boolean FMA = fma();
    static final boolean SSE_ONLY = sseOnly();
    static final boolean WINOGRAD = !Boolean.getBoolean("vectorgrad.conv.noWinograd");
    /** 2 or 4 when set (Winograd's output tile for every layer), 0 for {@link ConvPlan#winogradTile}'s choice. */
    static final int WINOGRAD_TILE = choice("vectorgrad.conv.winogradTile", 2, 4);

    /**
     * Whether the implicit GEMM's forward takes several small images a product (ImplicitGemmConv.forward;
     * {@code -Dvectorgrad.conv.imageGroups=false}: one image each, the same bits).
     */
    static final boolean IMPLICIT_IMAGE_GROUPS = !"false".equals(System.getProperty("vectorgrad.conv.imageGroups"));

    static final boolean COLD_START = !"false".equals(System.getProperty("vectorgrad.coldStart"));

    static final long SPIN_NANOS = longProperty("vectorgrad.spinMicros", 50, 0) * 1000;

    /** 4 or 6 when set, 0 for the default by vector width. */
    static final int GEMM_MR = choice("vectorgrad.gemm.mr", 4, 6);

    /** The sgemm k block when set, 0 for the default by vector width ({@code PackedGemm.KC}). */
    static final int GEMM_KC = intProperty("vectorgrad.gemm.kc", 0, 1);

    static final int GEMM_MC = intProperty("vectorgrad.gemm.mc", 96, 1);
    static final int GEMM_NC = intProperty("vectorgrad.gemm.nc", 1536, 1);
    static final long GEMM_C_RESIDENT_MAX_BYTES = longProperty("vectorgrad.gemm.cResidentBytes", 512 * 1024, 0);
    static final long GEMM_PACKED_MIN_WORK = longProperty("vectorgrad.gemm.packedMin", 32L * 32 * 32, 0);
    static final int GEMM_DOT_MIN_K = intProperty("vectorgrad.gemm.dotMinK", 64, 1);
    static final int GEMM_DOT_MAX_M = intProperty("vectorgrad.gemm.dotMaxM", 16, 0);
    static final int GEMM_DOT_KB = intProperty("vectorgrad.gemm.dotKb", 16384, 1);
    static final int GEMM_STREAM_MAX_M = Math.min(6, intProperty("vectorgrad.gemm.streamMaxM", 6, 0));
    static final int GEMM_STREAM_KB = intProperty("vectorgrad.gemm.streamKb", 16, 1);
    static final long GEMM_PARALLEL_MIN_FLOPS = longProperty("vectorgrad.gemm.parallelMinFlops", 1L << 24, 0);
    static final long GEMM_PARALLEL_MIN_BYTES = longProperty("vectorgrad.gemm.parallelMinBytes", 1L << 21, 0);
    static final boolean GEMM_K_MAJOR_A = Boolean.parseBoolean(System.getProperty("vectorgrad.gemm.kMajorA", "true"));
    /** Whether a k-major A is packed in panels of four rows below 16 lanes (VectorGemm.K_MAJOR_PANELS). */
    static final boolean GEMM_K_MAJOR_PANELS =
            Boolean.parseBoolean(System.getProperty("vectorgrad.gemm.kMajorPanels", "true"));

    static final boolean GEMM_DIRECT_A = Boolean.parseBoolean(System.getProperty("vectorgrad.gemm.directA", "true"));
    static final boolean GEMM_SCALAR_TRANSPOSE_PACK = Boolean.getBoolean("vectorgrad.gemm.scalarTransposePack");

    /**
     * Whether {@code FloatVector.fma} compiles to an instruction: HotSpot's {@code UseFMA}, which is off
     * without AVX (e.g. {@code -XX:UseAVX=0}, and on CPUs without FMA). Off, the Vector API computes each
     * lane's fma in software: batch norm's forward+backward at 64x32x28x28 took 1,352 ms instead of 1.35 ms.
     */
    private static boolean fma() {
        String v = System.getProperty("vectorgrad.fma");
        if (v != null) {
            if (v.equals("true") || v.equals("false")) return Boolean.parseBoolean(v);
            ignoring("vectorgrad.fma", v, "true or false");
        }
        // not HotSpot: assume the instruction exists, as most 64-bit CPUs have it
        return !"false".equals(hotSpotOption("UseFMA"));
    }

    /** A HotSpot VM option's value, or null where there is no such option (another JVM, another CPU). */
    private static String hotSpotOption(String name) {
        try {
            var bean = java.lang.management.ManagementFactory.getPlatformMXBean(
                    com.sun.management.HotSpotDiagnosticMXBean.class);
            return bean == null ? null : bean.getVMOption(name).getValue();
        } catch (RuntimeException | LinkageError e) {
            return null;
        }
    }

    /**
     * Whether this is HotSpot on x86 held to SSE ({@code -XX:UseAVX=0}): C2 then compiles no float vector
     * compare, min, max or sqrt, no masked load or store and no two-vector select (it implements them with
     * AVX only), and the Vector API runs them in Java, allocating: a 16x16 transpose through 4x4 selects made
     * conv2's passes at batch 64 2.1x slower, max pooling's gathers and compares 3.7x slower than scalar code.
     */
    private static boolean sseOnly() {
        return "0".equals(hotSpotOption("UseAVX")); // null off x86 HotSpot: no such option
    }

    /** The property's value when it is one of {@code allowed}, else 0 (unset, or ignored with a warning). */
    private static int choice(String name, int... allowed) {
        String v = System.getProperty(name);
        if (v == null) return 0;
        StringBuilder wanted = new StringBuilder();
        for (int a : allowed) {
            if (v.trim().equals(Integer.toString(a))) return a;
            wanted.append(wanted.isEmpty() ? "" : " or ").append(a);
        }
        ignoring(name, v, wanted.toString());
        return 0;
    }

    private static int intProperty(String name, int fallback, int min) {
        long v = longProperty(name, fallback, min);
        if (v > Integer.MAX_VALUE) {
            ignoring(name, Long.toString(v), "an integer up to " + Integer.MAX_VALUE);
            return fallback;
        }
        return (int) v;
    }

    private static long longProperty(String name, long fallback, long min) {
        String v = System.getProperty(name);
        if (v == null) return fallback;
        try {
            long parsed = Long.parseLong(v.trim());
            if (parsed >= min) return parsed;
        } catch (NumberFormatException e) {
            // reported below
        }
        ignoring(name, v, "an integer >= " + min);
        return fallback;
    }

    private static void ignoring(String name, String value, String wanted) {
        // the logger only when there is something to say: setting up java.util.logging here and in Simd took
        // 9-11 ms of a program's start
        System.getLogger("vectorgrad").log(Level.WARNING, "ignoring -D{0}={1} (want {2})", name, value, wanted);
    }
}
