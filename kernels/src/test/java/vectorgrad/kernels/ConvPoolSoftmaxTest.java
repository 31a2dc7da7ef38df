package vectorgrad.kernels;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** Convolution (both backward passes), max pooling and the softmax family against direct scalar loops. */
class ConvPoolSoftmaxTest {
    private final SplittableRandom rnd = new SplittableRandom(5);

    /** Direct convolution in double: the definition. */
    static double[] refConv(Conv.Geometry g, float[] x, float[] w, float[] bias) {
        int oh = g.outH(), ow = g.outW();
        double[] out = new double[g.batch() * g.outC() * oh * ow];
        for (int b = 0; b < g.batch(); b++)
            for (int o = 0; o < g.outC(); o++)
                for (int y = 0; y < oh; y++)
                    for (int z = 0; z < ow; z++) {
                        double s = bias == null ? 0 : bias[o];
                        int cg = g.inC() / g.groups(),
                                c0 = o / (g.outC() / g.groups()) * cg; // output channel o sees its group's cg channels
                        for (int c = c0; c < c0 + cg; c++)
                            for (int i = 0; i < g.kh(); i++)
                                for (int j = 0; j < g.kw(); j++) {
                                    int iy = y * g.strideH() - g.padH() + i * g.dilH(),
                                            ix = z * g.strideW() - g.padW() + j * g.dilW();
                                    if (iy < 0 || iy >= g.h() || ix < 0 || ix >= g.w()) continue;
                                    s += (double) x[((b * g.inC() + c) * g.h() + iy) * g.w() + ix]
                                            * w[((o * cg + c - c0) * g.kh() + i) * g.kw() + j];
                                }
                        out[((b * g.outC() + o) * oh + y) * ow + z] = s;
                    }
        return out;
    }

    @Test
    void convolutionAndItsGradientsMatchTheDefinition() {
        for (int t = 0; t < 40; t++) {
            int k = rnd.nextInt(1, 4), s = rnd.nextInt(1, 3), p = rnd.nextInt(0, 2), d = rnd.nextInt(1, 3);
            int h = rnd.nextInt(d * (k - 1) + 1, 12), w = rnd.nextInt(d * (k - 1) + 1, 12);
            checkAgainstDefinition(new Conv.Geometry(
                    rnd.nextInt(1, 4), rnd.nextInt(1, 4), h, w, rnd.nextInt(1, 5), k, k, s, s, p, p, d, d));
        }
    }

    /**
     * Stride 1 with 32 taps or more: the implicit GEMM (ImplicitGemmConv). Odd sizes, padding, dilation, output
     * channels that leave 1-5 rows in the last micro-tile (and 64: the 4-row kernel), patches longer
     * than a block of k (288 taps), images whose wide positions span several blocks, batches cut finer.
     */
    @Test
    void implicitConvolutionMatchesTheDefinition() {
        for (int t = 0; t < 30; t++) {
            int k = rnd.nextInt(2, 4), p = rnd.nextInt(0, 3), d = rnd.nextInt(1, 3);
            int inC = rnd.nextInt((32 + k * k - 1) / (k * k), 9);
            int h = rnd.nextInt(d * (k - 1) + 1, 15), w = rnd.nextInt(d * (k - 1) + 1, 21);
            int outC = t % 5 == 0 ? 64 : rnd.nextInt(1, 14);
            checkAgainstDefinition(new Conv.Geometry(rnd.nextInt(1, 10), inC, h, w, outC, k, k, 1, 1, p, p, d, d));
        }
        checkAgainstDefinition(new Conv.Geometry(2, 32, 26, 26, 64, 3, 3, 1, 1, 0, 0, 1, 1)); // the MNIST model's conv2
        checkAgainstDefinition(new Conv.Geometry(1, 33, 9, 11, 7, 3, 3, 1, 1, 1, 1, 1, 1));
        // 3-wide kernels whose weight gradient reads shifted rows: taller kernels, dilation in H only
        checkAgainstDefinition(new Conv.Geometry(3, 7, 12, 10, 9, 5, 3, 1, 1, 2, 1, 1, 1));
        checkAgainstDefinition(new Conv.Geometry(2, 6, 13, 9, 5, 3, 3, 1, 1, 1, 0, 2, 1));
        checkAgainstDefinition(new Conv.Geometry(2, 4, 9, 9, 7, 2, 3, 1, 1, 0, 1, 3, 1));
    }

    /**
     * The stride-2 phase split and join against their scalar definition, every length up to past four
     * vectors (whole steps and masked tails), at offsets; the floats past each run stay untouched (they are
     * another phase's padding in the phase image).
     */
    @Test
    void stride2SplitAndJoinMatchTheirDefinition() {
        if (!Simd.VECTOR_AVAILABLE) return; // vector code only: the scalar machine never takes the implicit path
        for (int n = 0; n <= 4 * Simd.floatLanes() + 3; n++) {
            float[] src = Mem.random(rnd, n + 7, -1, 1);
            float[] even = new float[n + 9], odd = new float[n + 9];
            java.util.Arrays.fill(even, 42f);
            java.util.Arrays.fill(odd, 43f);
            VectorConv.deinterleave(src, 3, n, even, 2, odd, 1);
            for (int k = 0; k < even.length; k++) {
                float want = k >= 2 && k - 2 < (n + 1) / 2 ? src[3 + 2 * (k - 2)] : 42f;
                assertEquals(want, even[k], "deinterleave even, n = " + n + ", k = " + k);
            }
            for (int k = 0; k < odd.length; k++) {
                float want = k >= 1 && k - 1 < n / 2 ? src[3 + 2 * (k - 1) + 1] : 43f;
                assertEquals(want, odd[k], "deinterleave odd, n = " + n + ", k = " + k);
            }
            float[] dst = new float[n + 9];
            java.util.Arrays.fill(dst, 44f);
            VectorConv.interleave(even, 2, odd, 1, n, dst, 4);
            for (int k = 0; k < dst.length; k++) {
                float want = k >= 4 && k - 4 < n ? src[3 + k - 4] : 44f;
                assertEquals(want, dst[k], "interleave, n = " + n + ", k = " + k);
            }
        }
    }

    /**
     * Strided layers with 32 taps or more and a window at least the stride: the implicit GEMM over the image's
     * phases. Strides 2 and 3, unequal strides, padding on either side, dilation, kh != kw, rows narrower and
     * wider than two vectors (the stride-2 split's vector steps and masked tails), output channels that leave
     * short micro-tiles, a ResNet's downsampling shapes.
     */
    @Test
    void stridedImplicitConvolutionMatchesTheDefinition() {
        for (int t = 0; t < 30; t++) {
            int sh = rnd.nextInt(1, 4), sw = rnd.nextInt(2, 4), kh = rnd.nextInt(sh, 5), kw = rnd.nextInt(sw, 5);
            int dh = rnd.nextInt(1, 3), dw = rnd.nextInt(1, 3);
            int least = (32 + kh * kw - 1) / (kh * kw), inC = rnd.nextInt(least, least + 4);
            int h = rnd.nextInt(dh * (kh - 1) + 1, 16), w = rnd.nextInt(dw * (kw - 1) + 1, 40);
            int outC = t % 5 == 0 ? 64 : rnd.nextInt(1, 14);
            checkAgainstDefinition(new Conv.Geometry(
                    rnd.nextInt(1, 6), inC, h, w, outC, kh, kw, sh, sw, rnd.nextInt(0, 3), rnd.nextInt(0, 3), dh, dw));
        }
        checkAgainstDefinition(new Conv.Geometry(2, 32, 28, 28, 64, 3, 3, 2, 2, 1, 1, 1, 1));
        checkAgainstDefinition(new Conv.Geometry(3, 64, 14, 14, 128, 3, 3, 2, 2, 1, 1, 1, 1));
        checkAgainstDefinition(new Conv.Geometry(2, 16, 17, 33, 24, 3, 3, 2, 2, 1, 1, 1, 1));
    }

    /**
     * The implicit GEMM's forward over several whole images a product (batches of 16 and more, small planes:
     * ImplicitGemmConv.forwardImagesPerUnit) gives each image the bits it gets alone: strided and stride-1
     * layers, with and without a bias, a batch whose last unit is short, products whose columns end inside an
     * image and tiles that straddle two; and the definition within float rounding. (Without the Vector API
     * these layers take im2col and sgemm.)
     */
    @Test
    void implicitImageGroupsGiveEachImageItsOwnBits() {
        Conv.Geometry[] shapes = {
            new Conv.Geometry(19, 16, 14, 14, 24, 3, 3, 2, 2, 1, 1, 1, 1), // 7x7 planes, two images a unit, one left
            new Conv.Geometry(40, 8, 9, 9, 10, 3, 3, 2, 2, 1, 1, 1, 1), // 5x5 planes, five a unit
            new Conv.Geometry(16, 2, 6, 7, 24, 5, 5, 1, 1, 2, 2, 1, 1), // stride 1, 6x7 planes
            new Conv.Geometry(17, 64, 14, 14, 16, 3, 3, 2, 2, 1, 1, 1, 1), // a ResNet's downsampling, 17 images
        };
        if (!Simd.VECTOR_AVAILABLE) return; // the implicit GEMM is a vector path
        for (Conv.Geometry g : shapes) {
            assertEquals(ConvPlan.Algorithm.IMPLICIT_GEMM, ConvPlan.forward(g), g.toString());
            if (Config.IMPLICIT_IMAGE_GROUPS)
                assertTrue(ImplicitGemmConv.forwardImagesPerUnit(g) > 1, "no image groups for " + g);
            Conv.Geometry one = new Conv.Geometry(
                    1,
                    g.inC(),
                    g.h(),
                    g.w(),
                    g.outC(),
                    g.kh(),
                    g.kw(),
                    g.strideH(),
                    g.strideW(),
                    g.padH(),
                    g.padW(),
                    g.dilH(),
                    g.dilW());
            int in = (int) one.inputSize(), outN = (int) one.outputSize();
            float[] x = Mem.random(rnd, (int) g.inputSize(), -1, 1), wt = Mem.random(rnd, (int) g.weightSize(), -1, 1);
            float[] bias = Mem.random(rnd, g.outC(), -1, 1);
            for (boolean withBias : new boolean[] {true, false}) {
                MemorySegment out = Mem.zeros((int) g.outputSize());
                Conv.forward(g, Mem.of(x), Mem.of(wt), withBias ? Mem.of(bias) : null, out);
                float[] all = Mem.read(out, (int) g.outputSize());
                for (int b = 0; b < g.batch(); b++) {
                    float[] xb = java.util.Arrays.copyOfRange(x, b * in, (b + 1) * in);
                    MemorySegment ob = Mem.zeros(outN);
                    Conv.forward(one, Mem.of(xb), Mem.of(wt), withBias ? Mem.of(bias) : null, ob);
                    assertArrayEquals(
                            Mem.read(ob, outN),
                            java.util.Arrays.copyOfRange(all, b * outN, (b + 1) * outN),
                            "image " + b + " of " + g + (withBias ? ", bias" : ", no bias"));
                }
            }
        }
        checkAgainstDefinition(shapes[0]);
    }

    /**
     * Channels in vector lanes (LanesConv, with 512-bit vectors; with narrower ones these geometries take
     * the other paths): forward and weight gradient for output channels in blocks of 64, input gradient for
     * input channels in blocks of 32. Rows that leave a short last tile (11 = 6 + 5 wide, 12-wide dy tiles
     * over 7 or 19 columns) and rows that do not (12 wide: dy read in place), images narrower than a 16-wide
     * transpose and wider, padding (also more than the kernel reaches, one image cut into bands: bands of
     * padding only), dilation in either direction, kh != kw, two blocks of channels, one path without the
     * other, batches cut into bands, no images.
     */
    @Test
    void lanesConvolutionMatchesTheDefinition() {
        checkAgainstDefinition(new Conv.Geometry(1, 32, 5, 5, 64, 3, 3, 1, 1, 5, 5, 1, 1));
        checkAgainstDefinition(new Conv.Geometry(2, 32, 14, 14, 64, 3, 3, 1, 1, 0, 0, 1, 1));
        checkAgainstDefinition(new Conv.Geometry(0, 32, 6, 6, 64, 3, 3, 1, 1, 1, 1, 1, 1));
        checkAgainstDefinition(new Conv.Geometry(3, 32, 9, 11, 64, 3, 3, 1, 1, 1, 1, 1, 1));
        checkAgainstDefinition(new Conv.Geometry(1, 32, 20, 19, 128, 3, 2, 1, 1, 2, 1, 1, 2));
        checkAgainstDefinition(new Conv.Geometry(2, 64, 7, 30, 64, 2, 3, 1, 1, 0, 0, 2, 1));
        checkAgainstDefinition(new Conv.Geometry(9, 32, 5, 5, 64, 3, 3, 1, 1, 3, 3, 1, 1));
        checkAgainstDefinition(new Conv.Geometry(2, 5, 8, 13, 64, 3, 3, 1, 1, 1, 1, 1, 1)); // forward and dW only
        checkAgainstDefinition(new Conv.Geometry(2, 32, 6, 17, 7, 3, 3, 1, 1, 0, 0, 1, 1)); // dx only
        // 3x3 undilated layers above run Winograd; dilated copies keep the lanes kernels on the same cases
        checkAgainstDefinition(new Conv.Geometry(1, 32, 5, 5, 64, 3, 3, 1, 1, 5, 5, 2, 2));
        checkAgainstDefinition(new Conv.Geometry(2, 32, 14, 14, 64, 3, 3, 1, 1, 0, 0, 1, 2));
        checkAgainstDefinition(new Conv.Geometry(3, 32, 9, 11, 64, 3, 3, 1, 1, 1, 1, 2, 1));
        checkAgainstDefinition(new Conv.Geometry(9, 32, 5, 5, 64, 3, 3, 1, 1, 3, 3, 2, 2));
    }

    /**
     * Winograd (3x3, stride 1, undilated, with vectors of 4, 8 or 16 floats; the forward for input channels in 16s and
     * output channels in 32s (64s: six-tile products; else twelve), the input gradient for 32s and 16s, the weight gradient for 32s and 16s):
     * odd output widths and heights (a last tile half outside), rows narrower than a 16-wide transpose,
     * padding beyond the kernel's reach, two blocks of input channels (64) and of output channels (128:
     * the weight gradient's products then have junk rows), 16 output channels (input gradient only),
     * images cut into bands (batches under 8) at whole tiles, several chunks of tiles in one unit (batch 8 at
     * 16x30: 32 tiles of 4x4, 12 + 12 + 8 forward and 24 + 8 weight-gradient tiles; with F(2x2) 120 weight-gradient
     * tiles, 48 + 48 + 24, over one image a unit), one chunk of eighteen rows for a 14x14 image's 16 tiles; F(4x4, 3x3) for the forward and input gradient of most of
     * these planes, F(2x2, 3x3) for the others (9x9, 5x42 and 9x13 outputs, and everywhere in the winograd-2x2
     * test run). Checked to fail:
     * a sign flipped in the output transform, a chunk of tile rows skipped (forward); the filters not
     * rotated, a column window shifted by one (input gradient); a sign flipped in dy's transform, an odd
     * band's extra row not zeroed (weight gradient: caught by the thread-count test below).
     */
    @Test
    void winogradConvolutionMatchesTheDefinition() {
        winograd(new Conv.Geometry(2, 32, 26, 26, 64, 3, 3, 1, 1, 0, 0, 1, 1), true, true, true); // conv2's shape
        winograd(new Conv.Geometry(3, 32, 9, 11, 64, 3, 3, 1, 1, 1, 1, 1, 1), true, true, true);
        winograd(new Conv.Geometry(3, 16, 9, 11, 64, 3, 3, 1, 1, 1, 1, 1, 1), true, false, false);
        winograd(new Conv.Geometry(1, 48, 7, 40, 128, 3, 3, 1, 1, 0, 2, 1, 1), true, false, false);
        winograd(new Conv.Geometry(5, 32, 12, 19, 64, 3, 3, 1, 1, 1, 0, 1, 1), true, true, true);
        winograd(new Conv.Geometry(1, 32, 3, 3, 64, 3, 3, 1, 1, 4, 4, 1, 1), true, true, true);
        winograd(new Conv.Geometry(7, 32, 13, 17, 64, 3, 3, 1, 1, 0, 0, 1, 1), true, true, true);
        winograd(new Conv.Geometry(8, 32, 16, 30, 64, 3, 3, 1, 1, 1, 1, 1, 1), true, true, true);
        winograd(new Conv.Geometry(2, 64, 9, 11, 128, 3, 3, 1, 1, 1, 1, 1, 1), true, true, true);
        winograd(new Conv.Geometry(3, 32, 9, 13, 16, 3, 3, 1, 1, 1, 1, 1, 1), false, true, true);
        // output channels in 32s, not 64s: the forward's twelve-tile products
        winograd(new Conv.Geometry(3, 32, 9, 11, 32, 3, 3, 1, 1, 1, 1, 1, 1), true, true, true);
        winograd(new Conv.Geometry(5, 64, 7, 7, 48, 3, 3, 1, 1, 1, 1, 1, 1), false, true, true);
        winograd(new Conv.Geometry(2, 16, 28, 28, 96, 3, 3, 1, 1, 1, 1, 1, 1), true, false, false);
        // a ResNet's last stage: 4 tiles of 4x4 an image (16 of 2x2), short last products
        winograd(new Conv.Geometry(2, 128, 7, 7, 128, 3, 3, 1, 1, 1, 1, 1, 1), true, true, true);
        // its middle stage: 16 tiles of 4x4 an image, batch 8 so that a unit is a whole image: the forward in one
        // chunk of eighteen rows (the input gradient too, below 16 lanes)
        winograd(new Conv.Geometry(8, 64, 14, 14, 64, 3, 3, 1, 1, 1, 1, 1, 1), true, true, true);
    }

    /** Where Winograd runs, asserts which passes of g run it (these tests are about it); then checks g. */
    private void winograd(Conv.Geometry g, boolean forward, boolean input, boolean weight) {
        if (Simd.VECTOR_AVAILABLE && ConvPlan.blockWidth()) {
            assertEquals(forward, ConvPlan.forward(g) == ConvPlan.Algorithm.WINOGRAD, "forward by Winograd: " + g);
            assertEquals(
                    input, ConvPlan.inputGrad(g) == ConvPlan.Algorithm.WINOGRAD, "input gradient by Winograd: " + g);
            assertEquals(
                    weight, ConvPlan.weightGrad(g) == ConvPlan.Algorithm.WINOGRAD, "weight gradient by Winograd: " + g);
        }
        checkAgainstDefinition(g);
    }

    /**
     * An image's Winograd forward and input gradient do not depend on how its rows were cut into bands:
     * image 0 alone (cut into bands) gives the same bits as in a batch of 9 (one band) — for a 10x13 plane
     * (F(2x2, 3x3) by default), a 12x13 one (F(4x4, 3x3)) and a 14x13 one (F(4x4), 16 tiles an image: a
     * whole image in one chunk of eighteen rows, its bands in chunks of six; for the input gradient below 16
     * lanes, whose wide products are twelve rows).
     */
    @Test
    void winogradResultsDoNotDependOnTheBatch() {
        winogradBatchIndependence(10);
        winogradBatchIndependence(12);
        winogradBatchIndependence(14);
    }

    /**
     * A call of one image reuses the weights' transform while the weights are unchanged (WinogradConv's
     * weight cache): weights changed in place, at the same address, give the new weights' result, the same
     * bits as those weights at another address (a transform of their own).
     */
    @Test
    void winogradSeesWeightsChangedInPlace() {
        Conv.Geometry g = new Conv.Geometry(1, 32, 12, 12, 64, 3, 3, 1, 1, 1, 1, 1, 1);
        org.junit.jupiter.api.Assumptions.assumeTrue(
                ConvPlan.forward(g) == ConvPlan.Algorithm.WINOGRAD, "Winograd needs vectors of 4, 8 or 16 floats");
        int n = (int) g.outputSize();
        float[] x = Mem.random(rnd, (int) g.inputSize(), -1, 1);
        float[] w1 = Mem.random(rnd, (int) g.weightSize(), -1, 1), w2 = w1.clone();
        w2[w2.length - 1] += 0.5f; // one tap of the last filter: a difference the compare must reach
        MemorySegment xs = Mem.of(x), w = Mem.of(w1), out = Mem.zeros(n), fresh = Mem.zeros(n);
        Conv.forward(g, xs, w, null, out);
        float[] first = Mem.read(out, n);
        Conv.forward(g, xs, w, null, out);
        assertArrayEquals(first, Mem.read(out, n), 0f, "the same weights again");
        MemorySegment.copy(w2, 0, w, ValueLayout.JAVA_FLOAT, 0, w2.length);
        Conv.forward(g, xs, w, null, out);
        Conv.forward(g, xs, Mem.of(w2), null, fresh);
        float[] changed = Mem.read(out, n);
        assertArrayEquals(Mem.read(fresh, n), changed, 0f, "weights changed in place");
        assertTrue(!java.util.Arrays.equals(first, changed), "the change shows in the output");
        // more layers than the cache holds, in turn twice: each gives its own result both times
        int layers = WinogradConv.WeightCache.ENTRIES + 2;
        MemorySegment[] ws = new MemorySegment[layers];
        float[][] outs = new float[layers][];
        for (int round = 0; round < 2; round++) {
            for (int l = 0; l < layers; l++) {
                if (round == 0) ws[l] = Mem.of(Mem.random(rnd, (int) g.weightSize(), -1, 1));
                Conv.forward(g, xs, ws[l], null, out);
                if (round == 0) outs[l] = Mem.read(out, n);
                else assertArrayEquals(outs[l], Mem.read(out, n), 0f, "layer " + l + " again");
            }
        }
    }

    private void winogradBatchIndependence(int h) {
        Conv.Geometry one = new Conv.Geometry(1, 32, h, 13, 64, 3, 3, 1, 1, 1, 1, 1, 1),
                nine = new Conv.Geometry(9, 32, h, 13, 64, 3, 3, 1, 1, 1, 1, 1, 1);
        // a promise of Winograd's only (the other paths' bands may round differently)
        org.junit.jupiter.api.Assumptions.assumeTrue(
                ConvPlan.forward(one) == ConvPlan.Algorithm.WINOGRAD
                        && ConvPlan.inputGrad(one) == ConvPlan.Algorithm.WINOGRAD,
                "Winograd needs vectors of 4, 8 or 16 floats");
        float[] x = Mem.random(rnd, (int) nine.inputSize(), -1, 1), w = Mem.random(rnd, (int) nine.weightSize(), -1, 1);
        float[] dy = Mem.random(rnd, (int) nine.outputSize(), -1, 1);
        MemorySegment out1 = Mem.zeros((int) one.outputSize()), out9 = Mem.zeros((int) nine.outputSize());
        MemorySegment dx1 = Mem.zeros((int) one.inputSize()), dx9 = Mem.zeros((int) nine.inputSize());
        Conv.forward(one, Mem.of(x), Mem.of(w), null, out1);
        Conv.forward(nine, Mem.of(x), Mem.of(w), null, out9);
        Conv.backwardInput(one, Mem.of(dy), Mem.of(w), dx1);
        Conv.backwardInput(nine, Mem.of(dy), Mem.of(w), dx9);
        assertArrayEquals(
                Mem.read(out1, (int) one.outputSize()),
                java.util.Arrays.copyOf(Mem.read(out9, (int) nine.outputSize()), (int) one.outputSize()),
                0f);
        assertArrayEquals(
                Mem.read(dx1, (int) one.inputSize()),
                java.util.Arrays.copyOf(Mem.read(dx9, (int) nine.inputSize()), (int) one.inputSize()),
                0f);
    }

    /**
     * Winograd's forward and input gradient over units of several images (7x7 planes of 160 channels, where
     * each image has fewer tiles than a chunk; {@link WinogradConv#imagesPerUnit}): each image gives the
     * bits it gives alone, the last, shorter group's too (26 images: eight groups of three and one of two;
     * the one-image path is held to the definition by the tests above). 160 channels: a block of U is over
     * 256 KiB at every vector width and tile (at 16 lanes and F(2x2) a block is 32 channels: 96 would give 192 KiB, 128 exactly 256 KiB).
     */
    @Test
    void winogradUnitsOfSeveralImagesGiveEachImagesBits() {
        Conv.Geometry g = new Conv.Geometry(26, 160, 7, 7, 160, 3, 3, 1, 1, 1, 1, 1, 1),
                one = new Conv.Geometry(1, 160, 7, 7, 160, 3, 3, 1, 1, 1, 1, 1, 1);
        org.junit.jupiter.api.Assumptions.assumeTrue(
                ConvPlan.forward(g) == ConvPlan.Algorithm.WINOGRAD
                        && ConvPlan.inputGrad(g) == ConvPlan.Algorithm.WINOGRAD,
                "Winograd needs vectors of 4, 8 or 16 floats");
        assertTrue(WinogradConv.forwardImagesPerUnit(g) > 1, "the forward's units hold several images");
        assertTrue(WinogradConv.inputImagesPerUnit(g) > 1, "the input gradient's units hold several images");
        float[] x = Mem.random(rnd, (int) g.inputSize(), -1, 1), w = Mem.random(rnd, (int) g.weightSize(), -1, 1);
        float[] dy = Mem.random(rnd, (int) g.outputSize(), -1, 1);
        MemorySegment out = Mem.zeros((int) g.outputSize()), dx = Mem.zeros((int) g.inputSize());
        Conv.forward(g, Mem.of(x), Mem.of(w), null, out);
        Conv.backwardInput(g, Mem.of(dy), Mem.of(w), dx);
        float[] outAll = Mem.read(out, (int) g.outputSize()), dxAll = Mem.read(dx, (int) g.inputSize());
        int in = (int) one.inputSize(), o = (int) one.outputSize();
        for (int b : new int[] {0, 1, 2, 3, 23, 24, 25}) {
            MemorySegment out1 = Mem.zeros(o), dx1 = Mem.zeros(in);
            Conv.forward(one, Mem.of(java.util.Arrays.copyOfRange(x, b * in, (b + 1) * in)), Mem.of(w), null, out1);
            Conv.backwardInput(one, Mem.of(java.util.Arrays.copyOfRange(dy, b * o, (b + 1) * o)), Mem.of(w), dx1);
            assertArrayEquals(
                    Mem.read(out1, o),
                    java.util.Arrays.copyOfRange(outAll, b * o, (b + 1) * o),
                    0f,
                    "forward, image " + b);
            assertArrayEquals(
                    Mem.read(dx1, in),
                    java.util.Arrays.copyOfRange(dxAll, b * in, (b + 1) * in),
                    0f,
                    "input gradient, image " + b);
        }
    }

    /**
     * The lanes (dilated) and Winograd paths without a bias: the forward as with a zero bias, the weight
     * gradient as with one. (Winograd's forward adds a zero vector for no bias: there the forward half
     * only checks that nothing throws; its weight-gradient half is a real check.)
     */
    @Test
    void lanesAndWinogradConvolutionWithoutBias() {
        withoutBias(new Conv.Geometry(3, 32, 9, 11, 64, 3, 3, 1, 1, 1, 1, 2, 1));
        withoutBias(new Conv.Geometry(3, 32, 9, 11, 64, 3, 3, 1, 1, 1, 1, 1, 1));
    }

    private void withoutBias(Conv.Geometry g) {
        MemorySegment x = Mem.of(Mem.random(rnd, (int) g.inputSize(), -1, 1)),
                w = Mem.of(Mem.random(rnd, (int) g.weightSize(), -1, 1));
        MemorySegment dy = Mem.of(Mem.random(rnd, (int) g.outputSize(), -1, 1));
        MemorySegment none = Mem.zeros((int) g.outputSize()), zero = Mem.zeros((int) g.outputSize());
        Conv.forward(g, x, w, null, none);
        Conv.forward(g, x, w, Mem.zeros(g.outC()), zero);
        assertArrayEquals(Mem.read(zero, (int) g.outputSize()), Mem.read(none, (int) g.outputSize()), 0f);
        MemorySegment dwAlone = Mem.zeros((int) g.weightSize()), dw = Mem.zeros((int) g.weightSize());
        Conv.backwardWeight(g, x, dy, dwAlone, null);
        Conv.backwardWeight(g, x, dy, dw, Mem.zeros(g.outC()));
        assertArrayEquals(Mem.read(dw, (int) g.weightSize()), Mem.read(dwAlone, (int) g.weightSize()), 0f);
        MemorySegment dwBoth = Mem.zeros((int) g.weightSize());
        Conv.backward(g, x, dy, w, Mem.zeros((int) g.inputSize()), dwBoth, null);
        assertArrayEquals(Mem.read(dw, (int) g.weightSize()), Mem.read(dwBoth, (int) g.weightSize()), 0f);
    }

    /**
     * One-channel 3x3, stride 1: the direct kernel (DirectConv3x3). Output widths that are whole vectors
     * (16, 32) and not (an overlapping or masked last block), odd output channel counts (a lone
     * channel), padding, batches cut into bands.
     */
    @Test
    void directConvolutionMatchesTheDefinition() {
        int[] widths = {18, 34, 17, 19, 28, 41};
        for (int t = 0; t < 24; t++) {
            int p = rnd.nextInt(0, 3), w = widths[t % widths.length] - 2 * p, h = rnd.nextInt(3, 12);
            checkAgainstDefinition(
                    new Conv.Geometry(rnd.nextInt(1, 11), 1, h, w, rnd.nextInt(1, 8), 3, 3, 1, 1, p, p, 1, 1));
        }
        checkAgainstDefinition(new Conv.Geometry(3, 1, 28, 28, 32, 3, 3, 1, 1, 0, 0, 1, 1)); // the MNIST model's conv1
    }

    /**
     * Groups: each group through whichever path its own shape takes — im2col (small patches), the
     * implicit GEMM (stride 1, 32+ taps per group), the direct kernel (depthwise 3x3: one channel a group).
     */
    @Test
    void groupedConvolutionMatchesTheDefinition() {
        for (int t = 0; t < 24; t++) {
            int groups = rnd.nextInt(2, 5), k = rnd.nextInt(1, 4), s = t % 3 == 0 ? 2 : 1, p = rnd.nextInt(0, 2);
            int cg = t % 4 == 0 ? 1 : rnd.nextInt(1, 6), og = rnd.nextInt(1, 4);
            int h = rnd.nextInt(k, 12), w = rnd.nextInt(k, 20);
            checkAgainstDefinition(new Conv.Geometry(
                    rnd.nextInt(1, 6), groups * cg, h, w, groups * og, k, k, s, s, p, p, 1, 1, groups));
        }
        checkAgainstDefinition(
                new Conv.Geometry(3, 8, 20, 20, 8, 3, 3, 1, 1, 1, 1, 1, 1, 8)); // depthwise: DirectConv3x3 per group
        checkAgainstDefinition(
                new Conv.Geometry(2, 8, 9, 13, 6, 3, 3, 1, 1, 0, 0, 1, 1, 2)); // 36 taps a group: ImplicitGemmConv
        checkAgainstDefinition(new Conv.Geometry(0, 4, 5, 5, 4, 3, 3, 1, 1, 0, 0, 1, 1, 2)); // no images
    }

    /**
     * Winograd F(4x4, 3x3)'s error bound in these tests, as a fraction of the exact result's RMS: its
     * transforms' coefficients (up to 8 and 1/24) round more than F(2x2, 3x3)'s; measured up to 3.5e-5 of
     * the RMS on these random data (F(2x2, 3x3) and the direct sums 1-2e-6). A wrong index or sign is off
     * by the RMS itself.
     */
    private static final double F4_TOLERANCE = 1e-4;

    private static double rms(double[] a) {
        double s = 0;
        for (double v : a) s += v * v;
        return a.length == 0 ? 0 : Math.sqrt(s / a.length);
    }

    private void checkAgainstDefinition(Conv.Geometry g) {
        int h = g.h(), w = g.w(), kh = g.kh(), kw = g.kw();
        float[] x = Mem.random(rnd, (int) g.inputSize(), -1, 1), wt = Mem.random(rnd, (int) g.weightSize(), -1, 1);
        float[] bias = Mem.random(rnd, g.outC(), -1, 1);
        MemorySegment out = Mem.zeros((int) g.outputSize());
        Conv.forward(g, Mem.of(x), Mem.of(wt), Mem.of(bias), out);
        double[] want = refConv(g, x, wt, bias);
        float[] got = Mem.read(out, want.length);
        // float sums of k products drift like sqrt(k): the tolerances grow so above conv2's 288 (Winograd's
        // transforms add to it; a wrong index or sign is off by far more)
        double atolOut = 1e-5 * Math.max(1, Math.sqrt(g.inC() / g.groups() * kh * kw / 288.0));
        double atolIn = 1e-5 * Math.max(1, Math.sqrt(g.outC() / g.groups() * kh * kw / 288.0));
        boolean f4Out =
                ConvPlan.forward(g) == ConvPlan.Algorithm.WINOGRAD && ConvPlan.winogradTile(g.outH(), g.outW()) == 4;
        atolOut = f4Out ? Math.max(atolOut, F4_TOLERANCE * rms(want)) : atolOut;
        for (int i = 0; i < want.length; i++) Mem.assertClose(want[i], got[i], 1e-5, atolOut, "conv forward " + g);

        // gradients by the definition: d/dx and d/dW of sum(out * dy)
        float[] dy = Mem.random(rnd, want.length, -1, 1);
        double[] wantDx = new double[x.length], wantDw = new double[wt.length], wantDb = new double[g.outC()];
        int oh = g.outH(), ow = g.outW();
        for (int b = 0; b < g.batch(); b++)
            for (int o = 0; o < g.outC(); o++)
                for (int y = 0; y < oh; y++)
                    for (int z = 0; z < ow; z++) {
                        double gy = dy[((b * g.outC() + o) * oh + y) * ow + z];
                        wantDb[o] += gy;
                        int cg = g.inC() / g.groups(), c0 = o / (g.outC() / g.groups()) * cg;
                        for (int c = c0; c < c0 + cg; c++)
                            for (int i = 0; i < kh; i++)
                                for (int j = 0; j < kw; j++) {
                                    int iy = y * g.strideH() - g.padH() + i * g.dilH(),
                                            ix = z * g.strideW() - g.padW() + j * g.dilW();
                                    if (iy < 0 || iy >= h || ix < 0 || ix >= w) continue;
                                    int xi = ((b * g.inC() + c) * h + iy) * w + ix,
                                            wi = ((o * cg + c - c0) * kh + i) * kw + j;
                                    wantDx[xi] += gy * wt[wi];
                                    wantDw[wi] += gy * x[xi];
                                }
                    }
        MemorySegment dx = Mem.of(Mem.random(rnd, x.length, 5, 6)),
                dw = Mem.of(Mem.random(rnd, wt.length, 5, 6)),
                db = Mem.zeros(g.outC());
        Conv.backwardInput(g, Mem.of(dy), Mem.of(wt), dx);
        Conv.backwardWeight(g, Mem.of(x), Mem.of(dy), dw, db);
        float[] gx = Mem.read(dx, x.length), gw = Mem.read(dw, wt.length), gb = Mem.read(db, g.outC());
        if (ConvPlan.inputGrad(g) == ConvPlan.Algorithm.WINOGRAD && ConvPlan.winogradTile(h, w) == 4)
            atolIn = Math.max(atolIn, F4_TOLERANCE * rms(wantDx));
        double atolW = ConvPlan.weightGrad(g) == ConvPlan.Algorithm.WINOGRAD && ConvPlan.winogradGradTile(g) == 4
                ? Math.max(1e-4, F4_TOLERANCE * rms(wantDw))
                : 1e-4;
        for (int i = 0; i < x.length; i++) Mem.assertClose(wantDx[i], gx[i], 1e-5, atolIn, "conv dx " + g);
        for (int i = 0; i < wt.length; i++) Mem.assertClose(wantDw[i], gw[i], 1e-5, atolW, "conv dW " + g);
        for (int i = 0; i < gb.length; i++) Mem.assertClose(wantDb[i], gb[i], 1e-5, 1e-4, "conv db " + g);
    }

    @Test
    void convolutionRejectsBadGeometry() {
        IllegalArgumentException e = assertThrows(
                IllegalArgumentException.class, () -> new Conv.Geometry(1, 1, 2, 2, 1, 3, 3, 1, 1, 0, 0, 1, 1));
        assertTrue(e.getMessage().contains("greater than the padded input"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new Conv.Geometry(1, 1, 5, 5, 1, 3, 3, 0, 1, 0, 0, 1, 1));
        e = assertThrows(
                IllegalArgumentException.class, () -> new Conv.Geometry(1, 6, 5, 5, 4, 3, 3, 1, 1, 0, 0, 1, 1, 4));
        assertTrue(
                e.getMessage().contains("in_channels (6) and out_channels (4) must both be divisible by groups (4)"),
                e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new Conv.Geometry(1, 6, 5, 5, 4, 3, 3, 1, 1, 0, 0, 1, 1, 0));
    }

    /** All three passes, bit for bit on 1, 2 and 3 threads — also for small batches, cut into finer work units. */
    @Test
    void convolutionResultDoesNotDependOnThreadCount() {
        // batch 9: the backward passes' units differ in number (9 images, 8 chunks), so Conv.backward takes a trip for
        // each
        // 10x13 planes: F(2x2, 3x3) by default; 12x13: F(4x4, 3x3) for the forward and input gradient
        for (int batch : new int[] {9, 5, 2, 1})
            for (int h : new int[] {10, 12})
                sameOnOneTwoThreeThreads(
                        new Conv.Geometry(batch, 32, h, 13, 64, 3, 3, 1, 1, 1, 1, 1, 1),
                        "winograd " + h + "x13, batch " + batch);
        // the ResNet's last stage, F(4x4, 3x3): eight weight-gradient slots of 608K floats, added on the pool
        sameOnOneTwoThreeThreads(new Conv.Geometry(8, 128, 7, 7, 128, 3, 3, 1, 1, 1, 1, 1, 1), "winograd 7x7, batch 8");
        for (int batch : new int[] {9, 3})
            sameOnOneTwoThreeThreads(
                    new Conv.Geometry(batch, 32, 10, 13, 64, 3, 3, 1, 1, 1, 1, 2, 1),
                    "lanes (dilated), batch " + batch);
        for (int batch : new int[] {9, 5, 2, 1, -9, -5, -2, 109, 105, 101}) {
            // negative: the same batch through the implicit GEMM (36 taps); past 100: the direct kernel
            Conv.Geometry g = batch > 100
                    ? new Conv.Geometry(batch - 100, 1, 20, 21, 5, 3, 3, 1, 1, 0, 0, 1, 1)
                    : batch > 0
                            ? new Conv.Geometry(batch, 3, 10, 10, 4, 3, 3, 1, 1, 1, 1, 1, 1)
                            : new Conv.Geometry(-batch, 4, 11, 10, 8, 3, 3, 1, 1, 1, 1, 1, 1);
            sameOnOneTwoThreeThreads(g, "batch " + batch);
        }
    }

    /**
     * Grouped convolutions, bit for bit on 1, 2 and 3 threads: small groups side by side on the pool
     * (depthwise through DirectConv3x3, 36-tap groups through ImplicitGemmConv), large ones in turn, tiny passes inline.
     */
    @Test
    void groupedConvolutionDoesNotDependOnThreadCount() {
        Conv.Geometry[] cases = {
            new Conv.Geometry(8, 64, 32, 32, 64, 3, 3, 1, 1, 1, 1, 1, 1, 64), // depthwise: on the pool
            new Conv.Geometry(8, 16, 24, 24, 16, 3, 3, 1, 1, 1, 1, 1, 1, 4), // 1.3 MFLOP groups of 36 taps: on the pool
            new Conv.Geometry(5, 6, 9, 11, 6, 3, 3, 2, 2, 1, 1, 1, 1, 3), // tiny: inline
            new Conv.Geometry(16, 16, 20, 20, 16, 3, 3, 1, 1, 1, 1, 1, 1, 2)
        }; // 7 MFLOP a group: in turn
        for (Conv.Geometry g : cases) {
            sameOnOneTwoThreeThreads(g, g.toString());
        }
    }

    /** All three passes (and the bias gradient) on 1, 2 and 3 threads give the same bits. */
    private void sameOnOneTwoThreeThreads(Conv.Geometry g, String what) {
        float[] x = Mem.random(rnd, (int) g.inputSize(), -1, 1), wt = Mem.random(rnd, (int) g.weightSize(), -1, 1);
        float[] dy = Mem.random(rnd, (int) g.outputSize(), -1, 1), bias = Mem.random(rnd, g.outC(), -1, 1);
        int saved = Parallel.getNumThreads();
        float[][][] r = new float[3][][];
        try {
            for (int t = 1; t <= 3; t++) {
                Parallel.setNumThreads(t);
                MemorySegment out = Mem.zeros((int) g.outputSize()),
                        dx = Mem.zeros((int) g.inputSize()),
                        dw = Mem.zeros((int) g.weightSize());
                MemorySegment db = Mem.zeros(g.outC());
                Conv.forward(g, Mem.of(x), Mem.of(wt), Mem.of(bias), out);
                Conv.backwardInput(g, Mem.of(dy), Mem.of(wt), dx);
                Conv.backwardWeight(g, Mem.of(x), Mem.of(dy), dw, db);
                // both gradients in one call: the same bits as the two passes
                MemorySegment dx2 = Mem.zeros((int) g.inputSize()),
                        dw2 = Mem.zeros((int) g.weightSize()),
                        db2 = Mem.zeros(g.outC());
                Conv.backward(g, Mem.of(x), Mem.of(dy), Mem.of(wt), dx2, dw2, db2);
                r[t - 1] = new float[][] {
                    Mem.read(out, (int) g.outputSize()),
                    Mem.read(dx, (int) g.inputSize()),
                    Mem.read(dw, (int) g.weightSize()),
                    Mem.read(db, g.outC()),
                    Mem.read(dx2, (int) g.inputSize()),
                    Mem.read(dw2, (int) g.weightSize()),
                    Mem.read(db2, g.outC())
                };
            }
        } finally {
            Parallel.setNumThreads(saved);
        }
        for (int t = 0; t < 3; t++)
            for (int i = 1; i < 4; i++)
                assertArrayEquals(r[t][i], r[t][i + 3], 0f, what + ", " + (t + 1) + " threads, backward(), pass " + i);
        for (int t = 1; t < 3; t++)
            for (int i = 0; i < 4; i++)
                assertArrayEquals(r[0][i], r[t][i], 0f, what + ", " + (t + 1) + " threads, pass " + i);
    }

    @Test
    void maxPoolMatchesTheDefinitionAndRoutesGradients() {
        for (int t = 0; t < 40; t++) {
            int k = rnd.nextInt(1, 4), s = rnd.nextInt(1, 4), p = rnd.nextInt(0, k / 2 + 1), d = rnd.nextInt(1, 3);
            boolean ceil = rnd.nextBoolean();
            int h = rnd.nextInt(d * (k - 1) + 1, 11), w = rnd.nextInt(d * (k - 1) + 1, 11);
            MaxPool.Geometry g;
            try {
                g = new MaxPool.Geometry(rnd.nextInt(1, 4), h, w, k, k, s, s, p, p, d, d, ceil);
            } catch (IllegalArgumentException tooSmall) {
                continue;
            }
            int oh = g.outH(), ow = g.outW();
            float[] x = Mem.random(rnd, g.planes() * h * w, -1, 1);
            MemorySegment out = Mem.zeros(g.planes() * oh * ow), idx = Mem.zeros(g.planes() * oh * ow);
            MaxPool.maxForward(g, Mem.of(x), out, idx);
            float[] got = Mem.read(out, g.planes() * oh * ow);
            for (int pl = 0; pl < g.planes(); pl++)
                for (int y = 0; y < oh; y++)
                    for (int z = 0; z < ow; z++) {
                        float best = Float.NEGATIVE_INFINITY;
                        for (int i = 0; i < k; i++)
                            for (int j = 0; j < k; j++) {
                                int iy = y * s - p + i * d, ix = z * s - p + j * d;
                                if (iy >= 0 && iy < h && ix >= 0 && ix < w)
                                    best = Math.max(best, x[(pl * h + iy) * w + ix]);
                            }
                        assertEquals(best, got[(pl * oh + y) * ow + z], "max_pool " + g);
                    }
            float[] dy = Mem.random(rnd, g.planes() * oh * ow, 1, 2);
            MemorySegment dx = Mem.zeros(x.length);
            MaxPool.maxBackward(g, Mem.of(dy), idx, dx);
            float[] gx = Mem.read(dx, x.length);
            double total = 0, want = 0;
            for (float v : gx) total += v;
            for (float v : dy) want += v;
            assertEquals(want, total, 1e-3, "every output's gradient lands somewhere");
            for (int i = 0; i < x.length; i++) {
                if (gx[i] != 0f) {
                    boolean isAMax = false;
                    for (float v : got) isAMax |= v == x[i];
                    assertTrue(isAMax, "gradient routed to a non-maximum");
                }
            }
        }
    }

    /** The MNIST model's 2x2 pooling (the vector path): ties keep the first in row order, a NaN wins. */
    @Test
    void pool2x2KeepsTheScalarRuleForTiesAndNaN() {
        int planes = 3, h = 24, w = 24;
        MaxPool.Geometry g = new MaxPool.Geometry(planes, h, w, 2, 2, 2, 2, 0, 0, 1, 1, false);
        float[] x = new float[planes * h * w];
        for (int i = 0; i < x.length; i++) x[i] = rnd.nextInt(3); // many ties
        for (int i = 0; i < 20; i++) x[rnd.nextInt(x.length)] = Float.NaN;
        MemorySegment out = Mem.zeros(planes * 144), idx = Mem.zeros(planes * 144);
        MaxPool.maxForward(g, Mem.of(x), out, idx);
        float[] got = Mem.read(out, planes * 144);
        int[] gi = new int[planes * 144];
        MemorySegment.copy(idx, ValueLayout.JAVA_INT, 0, gi, 0, gi.length);
        for (int pl = 0; pl < planes; pl++)
            for (int oy = 0; oy < 12; oy++)
                for (int ox = 0; ox < 12; ox++) {
                    float best = Float.NEGATIVE_INFINITY;
                    int bi = -1;
                    for (int i = 0; i < 2; i++)
                        for (int j = 0; j < 2; j++) {
                            int at = (2 * oy + i) * w + 2 * ox + j;
                            float v = x[pl * h * w + at];
                            if (bi < 0 || v > best || (v != v && best == best)) {
                                best = v;
                                bi = at;
                            }
                        }
                    int o = (pl * 12 + oy) * 12 + ox;
                    assertEquals(bi, gi[o], "index of window " + o);
                    assertEquals(Float.floatToIntBits(best), Float.floatToIntBits(got[o]), "value of window " + o);
                }
    }

    /**
     * The 2x2 pooling without indices (a forward that records no graph) gives the bits of the pooling with
     * them: ties of +0 and -0 in every order (the first in row order wins), NaN and infinities of both
     * signs, rows of windows shorter and longer than a vector, a row and a column past the windows, the
     * segment's last rows (read by the scalar rule); on 1, 2 and 3 threads.
     */
    @Test
    void pool2x2WithoutIndicesGivesTheSameValues() {
        int before = Parallel.getNumThreads();
        try {
            int[][] shapes = {{3, 24, 24}, {2, 5, 7}, {1, 2, 3}, {2, 41, 40}, {5, 12, 70}, {64, 24, 24}, {1, 2, 34}};
            float[] pool = {0f, -0f, 1f, -1f};
            for (int[] s : shapes) {
                int planes = s[0], h = s[1], w = s[2];
                MaxPool.Geometry g = new MaxPool.Geometry(planes, h, w, 2, 2, 2, 2, 0, 0, 1, 1, false);
                int outN = planes * g.outH() * g.outW(), inN = planes * h * w;
                float[] x = new float[inN];
                for (int i = 0; i < inN; i++) x[i] = pool[rnd.nextInt(pool.length)];
                for (int i = 0; i < inN / 50; i++) {
                    x[rnd.nextInt(inN)] = Float.NaN;
                    x[rnd.nextInt(inN)] = Float.POSITIVE_INFINITY;
                    x[rnd.nextInt(inN)] = Float.NEGATIVE_INFINITY;
                }
                MemorySegment in = Mem.of(x), want = Mem.zeros(outN);
                MaxPool.maxForward(g, in, want, Mem.zeros(outN));
                for (int threads = 1; threads <= 3; threads++) {
                    Parallel.setNumThreads(threads);
                    MemorySegment got = Mem.of(Mem.random(rnd, outN, 5, 6));
                    MaxPool.maxForward(g, in, got, null);
                    for (int o = 0; o < outN; o++)
                        assertEquals(
                                Float.floatToRawIntBits(want.getAtIndex(ValueLayout.JAVA_FLOAT, o)),
                                Float.floatToRawIntBits(got.getAtIndex(ValueLayout.JAVA_FLOAT, o)),
                                planes + "x" + h + "x" + w + ", window " + o + ", " + threads + " threads");
                }
            }
        } finally {
            Parallel.setNumThreads(before);
        }
    }

    /**
     * The 2x2 pooling's backward against the definition, a scatter-add into zeros, bit for bit, over
     * indices from the forward (whichever form served it): shapes with a row and a column past the
     * windows, rows of windows shorter and longer than a vector, gradients of -0 and ties, dx overwritten;
     * on 1, 2 and 3 threads.
     */
    @Test
    void pool2x2BackwardIsTheScatterOfItsGradients() {
        int before = Parallel.getNumThreads();
        try {
            int[][] shapes = {{3, 24, 24}, {2, 5, 7}, {1, 2, 3}, {2, 41, 40}, {5, 12, 70}};
            for (int[] s : shapes) {
                int planes = s[0], h = s[1], w = s[2];
                MaxPool.Geometry g = new MaxPool.Geometry(planes, h, w, 2, 2, 2, 2, 0, 0, 1, 1, false);
                int outN = planes * g.outH() * g.outW(), inN = planes * h * w;
                float[] x = new float[inN];
                for (int i = 0; i < inN; i++) x[i] = rnd.nextInt(4) - 1; // many ties
                MemorySegment idx = Mem.zeros(outN);
                MaxPool.maxForward(g, Mem.of(x), Mem.zeros(outN), idx);
                int[] at = new int[outN];
                MemorySegment.copy(idx, ValueLayout.JAVA_INT, 0, at, 0, outN);
                float[] dy = Mem.random(rnd, outN, -1, 1);
                for (int i = 0; i < outN; i += 5) dy[i] = -0f;
                float[] want = new float[inN];
                for (int o = 0; o < outN; o++) {
                    int plane = o / (g.outH() * g.outW());
                    want[plane * h * w + at[o]] += dy[o];
                }
                for (int threads = 1; threads <= 3; threads++) {
                    Parallel.setNumThreads(threads);
                    MemorySegment dx = Mem.of(Mem.random(rnd, inN, 5, 6)); // overwritten, not added to
                    MaxPool.maxBackward(g, Mem.of(dy), idx, dx);
                    float[] got = Mem.read(dx, inN);
                    for (int i = 0; i < inN; i++)
                        assertEquals(
                                Float.floatToRawIntBits(want[i]),
                                Float.floatToRawIntBits(got[i]),
                                planes + "x" + h + "x" + w + ", element " + i + ", " + threads + " threads");
                }
            }
        } finally {
            Parallel.setNumThreads(before);
        }
    }

    @Test
    void poolOutputSizeFollowsPyTorch() {
        assertEquals(12, new MaxPool.Geometry(1, 24, 24, 2, 2, 2, 2, 0, 0, 1, 1, false).outH());
        assertEquals(3, new MaxPool.Geometry(1, 7, 7, 2, 2, 2, 2, 0, 0, 1, 1, false).outH());
        assertEquals(4, new MaxPool.Geometry(1, 7, 7, 2, 2, 2, 2, 0, 0, 1, 1, true).outH());
        assertEquals(4, new MaxPool.Geometry(1, 6, 6, 2, 2, 2, 2, 1, 1, 1, 1, false).outH()); // (6 + 2 - 2) / 2 + 1
    }

    /**
     * Rows of whole vectors and tails (the vector path for contiguous rows, the scalar one for inner > 1):
     * softmax and log-softmax forward and backward, cross-entropy forward and backward, against double
     * references; and the same bits on one, two and three threads (rows split across threads).
     */
    @Test
    void softmaxRowsOfEveryLengthAndThreadCount() {
        int before = Parallel.getNumThreads();
        try {
            for (int n : new int[] {1, 7, 16, 33, 113, 300}) {
                for (int inner : new int[] {1, 2}) {
                    // enough rows that three threads each get a share (16 K floats a share)
                    int outer = Math.max(70, 3 * (1 << 14) / n + 1), len = outer * n * inner;
                    float[] x = Mem.random(rnd, len, -8, 8), dy = Mem.random(rnd, len, -1, 1);
                    int[] target = new int[outer];
                    for (int o = 0; o < outer; o++) target[o] = rnd.nextInt(n);
                    MemorySegment tseg = Mem.zeros(outer);
                    MemorySegment.copy(target, 0, tseg, ValueLayout.JAVA_INT, 0, outer);
                    float[][] first = null;
                    for (int threads : new int[] {1, 2, 3}) {
                        Parallel.setNumThreads(threads);
                        MemorySegment sm = Mem.zeros(len),
                                lsm = Mem.zeros(len),
                                dsm = Mem.zeros(len),
                                dlsm = Mem.zeros(len);
                        Softmax.forward(outer, n, inner, Mem.of(x), sm, false);
                        Softmax.forward(outer, n, inner, Mem.of(x), lsm, true);
                        Softmax.backward(outer, n, inner, sm, Mem.of(dy), dsm, false);
                        Softmax.backward(outer, n, inner, lsm, Mem.of(dy), dlsm, true);
                        float[][] got = {
                            Mem.read(sm, len),
                            Mem.read(lsm, len),
                            Mem.read(dsm, len),
                            Mem.read(dlsm, len),
                            null,
                            null,
                            null,
                            null
                        };
                        if (inner == 1) {
                            MemorySegment loss = Mem.zeros(outer), grad = Mem.zeros(len);
                            Softmax.crossEntropy(outer, n, Mem.of(x), tseg, loss);
                            Softmax.crossEntropyBackward(outer, n, Mem.of(x), tseg, Mem.of(dy), grad);
                            got[4] = Mem.read(loss, outer);
                            got[5] = Mem.read(grad, len);
                            // the same from the forward's log-sum-exps
                            MemorySegment loss2 = Mem.zeros(outer), lse = Mem.zeros(outer), grad2 = Mem.zeros(len);
                            Softmax.crossEntropy(outer, n, Mem.of(x), tseg, loss2, lse);
                            Softmax.crossEntropyBackward(outer, n, Mem.of(x), tseg, lse, Mem.of(dy), grad2);
                            got[6] = Mem.read(loss2, outer);
                            got[7] = Mem.read(grad2, len);
                        }
                        if (first == null) first = got;
                        else
                            for (int i = 0; i < got.length; i++)
                                if (got[i] != null)
                                    assertArrayEquals(first[i], got[i], "n=" + n + " threads=" + threads);
                    }
                    for (int o = 0; o < outer; o++)
                        for (int i = 0; i < inner; i++) {
                            double max = Double.NEGATIVE_INFINITY, sum = 0, sdy = 0, sdyp = 0;
                            for (int k = 0; k < n; k++) max = Math.max(max, x[(o * n + k) * inner + i]);
                            for (int k = 0; k < n; k++) sum += Math.exp(x[(o * n + k) * inner + i] - max);
                            for (int k = 0; k < n; k++) {
                                int at = (o * n + k) * inner + i;
                                sdy += dy[at];
                                sdyp += dy[at] * Math.exp(x[at] - max) / sum;
                            }
                            for (int k = 0; k < n; k++) {
                                int at = (o * n + k) * inner + i;
                                double p = Math.exp(x[at] - max) / sum;
                                String where = "n=" + n + " inner=" + inner + " row " + o + " k=" + k;
                                Mem.assertClose(p, first[0][at], 1e-5, 1e-7, "softmax " + where);
                                Mem.assertClose(
                                        x[at] - max - Math.log(sum), first[1][at], 1e-5, 1e-5, "log_softmax " + where);
                                Mem.assertClose(p * (dy[at] - sdyp), first[2][at], 1e-4, 1e-6, "softmax grad " + where);
                                Mem.assertClose(
                                        dy[at] - p * sdy, first[3][at], 1e-4, 1e-5, "log_softmax grad " + where);
                                if (inner == 1)
                                    for (int form : new int[] {5, 7})
                                        Mem.assertClose(
                                                dy[o] * (p - (k == target[o] ? 1 : 0)),
                                                first[form][at],
                                                1e-4,
                                                1e-6,
                                                "cross_entropy grad " + (form == 7 ? "(from lse) " : "") + where);
                            }
                            if (inner == 1)
                                for (int form : new int[] {4, 6})
                                    Mem.assertClose(
                                            max + Math.log(sum) - x[o * n + target[o]],
                                            first[form][o],
                                            1e-5,
                                            1e-5,
                                            "cross_entropy n=" + n);
                        }
                }
            }
        } finally {
            Parallel.setNumThreads(before);
        }
    }

    @Test
    void softmaxFamilyAndCrossEntropy() {
        for (int inner : new int[] {1, 3}) {
            int outer = 4, n = 7;
            float[] x = Mem.random(rnd, outer * n * inner, -30, 30); // large: must not overflow
            MemorySegment sm = Mem.zeros(x.length), lsm = Mem.zeros(x.length);
            Softmax.forward(outer, n, inner, Mem.of(x), sm, false);
            Softmax.forward(outer, n, inner, Mem.of(x), lsm, true);
            float[] p = Mem.read(sm, x.length), lp = Mem.read(lsm, x.length);
            for (int o = 0; o < outer; o++)
                for (int i = 0; i < inner; i++) {
                    double max = Double.NEGATIVE_INFINITY, sum = 0, total = 0;
                    for (int k = 0; k < n; k++) max = Math.max(max, x[(o * n + k) * inner + i]);
                    for (int k = 0; k < n; k++) sum += Math.exp(x[(o * n + k) * inner + i] - max);
                    for (int k = 0; k < n; k++) {
                        int at = (o * n + k) * inner + i;
                        Mem.assertClose(Math.exp(x[at] - max) / sum, p[at], 1e-5, 1e-7, "softmax");
                        Mem.assertClose(x[at] - max - Math.log(sum), lp[at], 1e-5, 1e-5, "log_softmax");
                        total += p[at];
                    }
                    assertEquals(1.0, total, 1e-5);
                }
        }
        int batch = 6, classes = 10;
        float[] logits = Mem.random(rnd, batch * classes, -5, 5);
        int[] target = {0, 9, 3, 3, 7, 1};
        MemorySegment t = Mem.zeros(batch);
        MemorySegment.copy(target, 0, t, ValueLayout.JAVA_INT, 0, batch);
        MemorySegment loss = Mem.zeros(batch), grad = Mem.zeros(batch * classes);
        Softmax.crossEntropy(batch, classes, Mem.of(logits), t, loss);
        float[] dl = {1f, 0.5f, -1f, 2f, 0f, 1f};
        Softmax.crossEntropyBackward(batch, classes, Mem.of(logits), t, Mem.of(dl), grad);
        float[] l = Mem.read(loss, batch), g = Mem.read(grad, batch * classes);
        for (int b = 0; b < batch; b++) {
            double sum = 0;
            for (int k = 0; k < classes; k++) sum += Math.exp(logits[b * classes + k]);
            Mem.assertClose(Math.log(sum) - logits[b * classes + target[b]], l[b], 1e-5, 1e-6, "cross_entropy");
            for (int k = 0; k < classes; k++) {
                double want = dl[b] * (Math.exp(logits[b * classes + k]) / sum - (k == target[b] ? 1 : 0));
                Mem.assertClose(want, g[b * classes + k], 1e-5, 1e-6, "cross_entropy grad");
            }
        }
        MemorySegment bad = Mem.zeros(batch);
        MemorySegment.copy(new int[] {0, 1, 2, 10, 0, 0}, 0, bad, ValueLayout.JAVA_INT, 0, batch);
        IllegalArgumentException e = assertThrows(
                IllegalArgumentException.class, () -> Softmax.crossEntropy(batch, classes, Mem.of(logits), bad, loss));
        assertTrue(e.getMessage().contains("target 10 at position 3"), e.getMessage());
    }
}
