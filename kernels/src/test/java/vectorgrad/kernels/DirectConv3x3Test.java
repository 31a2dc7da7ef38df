package vectorgrad.kernels;

import java.lang.foreign.MemorySegment;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The direct 3x3 kernels' two forms, two output channels a pass (16 lanes) and one (fewer, where the
 * two-channel loops do not fit the registers; {@link DirectConv3x3#PAIRS}): the same bits at the width
 * this JVM runs, whichever form it uses — forward (with and without the ReLU, padded and not, rows that
 * end in a partial vector, an odd channel count) and the weight gradient's per-lane sums.
 */
class DirectConv3x3Test {
    private final SplittableRandom rnd = new SplittableRandom(11);

    private static final int L = VectorKernels.LANES;

    /** Geometries: h, w, outC, pad. */
    private static final int[][] SHAPES = {{28, 28, 5, 0}, {9, 40, 3, 1}, {6, 11, 2, 1}, {12, 8, 1, 0}};

    /** The zero-padded image as the kernels read it, with 2L zeros after it. */
    private float[] padded(int h, int w, int pad) {
        int wp = w + 2 * pad;
        float[] img = new float[(h + 2 * pad) * wp + 2 * L];
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++) img[(y + pad) * wp + x + pad] = (float) rnd.nextDouble(-2, 2);
        for (int i = 0; i < img.length - 2 * L; i += 13) img[i] = img[i] == 0f ? 0f : -img[i]; // both signs
        return img;
    }

    @Test
    void forwardFormsGiveTheSameBits() {
        if (!Simd.VECTOR_AVAILABLE) return;
        for (int[] s : SHAPES) {
            int h = s[0], w = s[1], outC = s[2], pad = s[3];
            Conv.Geometry g = new Conv.Geometry(1, 1, h, w, outC, 3, 3, 1, 1, pad, pad, 1, 1);
            if (g.outW() < L) continue; // the direct kernels need rows of at least a vector
            float[] img = padded(h, w, pad), wt = Mem.random(rnd, outC * 9, -1, 1), bias = Mem.random(rnd, outC, -1, 1);
            int n = (int) g.outputSize();
            for (boolean relu : new boolean[] {false, true}) {
                MemorySegment pairs = Mem.zeros(n), one = Mem.zeros(n);
                DirectConv3x3.forwardPairs(g, img, wt, bias, pairs, 0, 0, g.outH(), relu);
                DirectConv3x3.forwardOne(g, img, wt, bias, one, 0, 0, g.outH(), relu);
                assertSameBits(Mem.read(pairs, n), Mem.read(one, n), "forward " + g + (relu ? " + relu" : ""));
            }
        }
    }

    @Test
    void weightGradientFormsGiveTheSameBits() {
        if (!Simd.VECTOR_AVAILABLE) return;
        for (int[] s : SHAPES) {
            int h = s[0], w = s[1], pad = s[3];
            Conv.Geometry g = new Conv.Geometry(1, 1, h, w, 2, 3, 3, 1, 1, pad, pad, 1, 1);
            int ow = g.outW(), oh = g.outH(), pos = oh * ow, wp = w + 2 * pad;
            float[] img = padded(h, w, pad), gy = new float[2 * pos + L];
            for (int i = 0; i < 2 * pos; i++) gy[i] = (float) rnd.nextDouble(-1, 1);
            for (boolean two : new boolean[] {true, false}) {
                float[] pairs = Mem.random(rnd, 18 * L, -1, 1), one = pairs.clone();
                DirectConv3x3.weightPair(img, gy, 0, two ? pos : 0, two, ow, oh, wp, pairs, 0);
                DirectConv3x3.weightOne(img, gy, 0, ow, oh, wp, one, 0);
                if (two) DirectConv3x3.weightOne(img, gy, pos, ow, oh, wp, one, 9 * L);
                int used = two ? 18 * L : 9 * L; // one channel: the second nine sums are not read
                assertSameBits(
                        java.util.Arrays.copyOf(pairs, used),
                        java.util.Arrays.copyOf(one, used),
                        "weight gradient " + g + (two ? ", two channels" : ", one"));
            }
        }
    }

    private static void assertSameBits(float[] want, float[] got, String what) {
        for (int i = 0; i < want.length; i++)
            if (Float.floatToRawIntBits(want[i]) != Float.floatToRawIntBits(got[i]))
                throw new AssertionError(what + ": element " + i + " " + want[i] + " against " + got[i]);
    }
}
