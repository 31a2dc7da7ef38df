package vectorgrad.kernels;

/**
 * Which algorithm serves each pass of a convolution on this machine — the one place that decides, and the
 * home of the tile sizes the channel-blocked algorithms are built around.
 *
 * <p>The choice depends on the geometry and the vector width only (never on the thread count), so one
 * machine always computes a layer the same way and gets the same bits. The class loads no vector class:
 * asking it on a JVM without {@code jdk.incubator.vector} answers {@link Algorithm#IM2COL_GEMM} (or
 * {@link Algorithm#GROUPED}) instead of failing.
 *
 * <table>
 * <caption>Algorithms, in the order they are tried</caption>
 * <tr><th>algorithm</th><th>passes</th><th>serves</th></tr>
 * <tr><td>{@link Algorithm#GROUPED}</td><td>all</td><td>groups &gt; 1: each group by the rules below</td></tr>
 * <tr><td>{@link Algorithm#DIRECT_3X3}</td><td>forward, weight gradient</td>
 *     <td>one input channel, 3x3, stride 1, no dilation (an image model's first layer)</td></tr>
 * <tr><td>{@link Algorithm#WINOGRAD}</td><td>all three</td>
 *     <td>3x3, stride 1, no dilation, vectors of 4, 8 or 16 floats; forward: input channels in 16s, output in 32s;
 *     input gradient: output in 16s, input in 32s; weight gradient: input in 32s, output in 16s</td></tr>
 * <tr><td>{@link Algorithm#LANES}</td><td>all three</td>
 *     <td>stride 1, a patch of at least {@value #SMALL_PATCH} taps, 16-float vectors; forward and weight
 *     gradient: output channels in 64s; input gradient: input channels in 32s</td></tr>
 * <tr><td>{@link Algorithm#IMPLICIT_GEMM}</td><td>all three</td>
 *     <td>a patch of at least {@value #SMALL_PATCH} taps, any stride (strided images split into phases), any
 *     vector width</td></tr>
 * <tr><td>{@link Algorithm#IM2COL_GEMM}</td><td>all three</td><td>everything else</td></tr>
 * </table>
 */
final class ConvPlan {
    private ConvPlan() {}

    /** The ways a convolution pass can run; each names the class that implements it. */
    enum Algorithm {
        /** {@link GroupedConv}: one convolution per group. */
        GROUPED,
        /** {@link DirectConv3x3}: one input channel, 3x3 taps summed directly. */
        DIRECT_3X3,
        /** {@link WinogradConv}: F(2x2, 3x3) or F(4x4, 3x3), 16 multiplications for every 36 or 36 for every 144. */
        WINOGRAD,
        /** {@link LanesConv}: channels in vector lanes, the image broadcast in place. */
        LANES,
        /** {@link ImplicitGemmConv}: the image packed straight into the GEMM micro-kernel's panels. */
        IMPLICIT_GEMM,
        /** {@code Conv}'s im2col + sgemm, image by image. */
        IM2COL_GEMM
    }

    /**
     * The channel block of the channel-blocked layouts: the lanes of a 512-bit vector, which
     * {@link LanesConv}'s tiles need; {@link WinogradConv} keeps the layouts at narrower widths and goes
     * through each block a vector at a time.
     */
    static final int LANES_16 = 16;
    /** Output channels of a forward or weight-gradient tile: four 16-float vectors. */
    static final int BLOCK = 4 * LANES_16;
    /** Input channels of an input-gradient tile: two 16-float vectors. */
    static final int HALF = 2 * LANES_16;
    /** Rows (output positions) of a forward or weight-gradient tile. */
    static final int ROWS = 6;
    /** Rows (positions) of an input-gradient tile. */
    static final int INPUT_ROWS = 12;
    /** Taps per output below which the GEMM-shaped algorithms do not pay (conv1's 9 do not). */
    static final int SMALL_PATCH = 32;

    static Algorithm forward(Conv.Geometry g) {
        if (g.groups() > 1) return Algorithm.GROUPED;
        if (direct3x3(g)) return Algorithm.DIRECT_3X3;
        if (Config.WINOGRAD && winogradShape(g) && g.inC() % LANES_16 == 0 && g.outC() % HALF == 0)
            return Algorithm.WINOGRAD;
        if (gemmShaped(g) && Simd.floatLanes() == LANES_16 && g.outC() % BLOCK == 0) return Algorithm.LANES;
        if (implicitShaped(g)) return Algorithm.IMPLICIT_GEMM;
        return Algorithm.IM2COL_GEMM;
    }

    static Algorithm inputGrad(Conv.Geometry g) {
        if (g.groups() > 1) return Algorithm.GROUPED;
        if (Config.WINOGRAD && winogradShape(g) && g.outC() % LANES_16 == 0 && g.inC() % HALF == 0)
            return Algorithm.WINOGRAD;
        if (gemmShaped(g) && Simd.floatLanes() == LANES_16 && g.inC() % HALF == 0) return Algorithm.LANES;
        if (implicitShaped(g)) return Algorithm.IMPLICIT_GEMM;
        return Algorithm.IM2COL_GEMM;
    }

    static Algorithm weightGrad(Conv.Geometry g) {
        if (g.groups() > 1) return Algorithm.GROUPED;
        if (Config.WINOGRAD && winogradShape(g) && g.inC() % HALF == 0 && g.outC() % LANES_16 == 0)
            return Algorithm.WINOGRAD;
        if (gemmShaped(g) && Simd.floatLanes() == LANES_16 && g.outC() % BLOCK == 0) return Algorithm.LANES;
        if (direct3x3(g)) return Algorithm.DIRECT_3X3;
        if (implicitShaped(g)) return Algorithm.IMPLICIT_GEMM;
        return Algorithm.IM2COL_GEMM;
    }

    /**
     * Winograd's output tile for a pass whose output planes are h x w: 4 (F(4x4, 3x3), 36 products for 16
     * outputs) where its products, the whole tiles' count, are at most three quarters of F(2x2, 3x3)'s
     * (16 for 4 outputs), else 2: square planes of 3, 4, 7, 8 and 11 and up take 4, of 5, 6, 9 and 10 take 2. A plane of 14x14 takes 16 tiles of 4x4 (covering 16x16) against 49 of
     * 2x2: 576 products against 784.
     */
    static int winogradTile(int h, int w) {
        if (Config.WINOGRAD_TILE != 0) return Config.WINOGRAD_TILE;
        long f4 = 36L * ((h + 3) / 4) * ((w + 3) / 4), f2 = 16L * ((h + 1) / 2) * ((w + 1) / 2);
        return 4 * f4 <= 3 * f2 ? 4 : 2;
    }

    /**
     * Winograd's output tile for the weight gradient, whose tiles cover the output plane: as the forward's
     * ({@link #winogradTile}). Its sums over every tile of the batch run in the transformed domain, where
     * F(4x4, 3x3)'s larger coefficients cost precision: 1.1e-5 of the result's RMS against F(2x2, 3x3)'s
     * 1.2e-6 (conv2, batch 16), for 8-25 % less time in the pass and 7-13 % off the MNIST training step
     * (docs/PERFORMANCE.md). Results still do not depend on the thread count or on the batch's cut into
     * work units; they do depend on how a batch is split between data-parallel workers, and Adam turns
     * that rounding into visible differences (two workers drifted 1.3e-3 from one process in 100 steps,
     * under 1e-4 with F(2x2)). {@code -Dvectorgrad.conv.winogradTile=2} keeps F(2x2) for every pass.
     */
    static int winogradGradTile(Conv.Geometry g) {
        return winogradTile(g.outH(), g.outW());
    }

    /** Whether an algorithm runs its passes as the channels-in-lanes work units (Winograd or lanes). */
    static boolean laneUnits(Algorithm a) {
        return a == Algorithm.WINOGRAD || a == Algorithm.LANES;
    }

    /** Stride 1 and {@link #implicitShaped}: the lanes kernels' shapes. */
    static boolean gemmShaped(Conv.Geometry g) {
        return implicitShaped(g) && g.strideH() == 1 && g.strideW() == 1;
    }

    /**
     * A vector machine and a patch wide enough for packed panels: the implicit GEMM's shapes. A strided
     * layer qualifies when its window is at least its stride: then the phases it reads are most of the
     * phase image it splits the input into, and its passes beat im2col's strided copies (a ResNet's
     * stride-2 3x3 layers, 12-29 % faster); a 1x1 stride-2 shortcut reads one phase of four, and was slower
     * that way than by im2col (docs/PERFORMANCE.md, "The ResNet's convolutions at 256 bits").
     */
    static boolean implicitShaped(Conv.Geometry g) {
        return Simd.VECTOR_AVAILABLE
                && g.patch() >= SMALL_PATCH
                && (g.strideH() == 1 || g.kh() >= g.strideH())
                && (g.strideW() == 1 || g.kw() >= g.strideW());
    }

    /** One input channel, 3x3, stride 1, no dilation, rows at least a vector wide, a vector machine. */
    static boolean direct3x3(Conv.Geometry g) {
        return Simd.VECTOR_AVAILABLE
                && g.inC() == 1
                && g.kh() == 3
                && g.kw() == 3
                && g.strideH() == 1
                && g.strideW() == 1
                && g.dilH() == 1
                && g.dilW() == 1
                && g.outW() >= Simd.floatLanes();
    }

    /**
     * Vectors of 4, 8 or 16 floats (128-, 256-, 512-bit): the widths whose lanes divide the layouts' blocks of
     * 16 channels, and for which {@link MicroKernels#transposeBlock16} has a register transpose.
     */
    static boolean blockWidth() {
        int l = Simd.floatLanes();
        return l == 4 || l == 8 || l == LANES_16;
    }

    private static boolean winogradShape(Conv.Geometry g) {
        return Simd.VECTOR_AVAILABLE
                && blockWidth()
                && g.kh() == 3
                && g.kw() == 3
                && g.strideH() == 1
                && g.strideW() == 1
                && g.dilH() == 1
                && g.dilW() == 1
                && g.groups() == 1;
    }
}
