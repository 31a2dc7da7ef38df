package vectorgrad.kernels;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.MemorySegment;
import java.util.EnumSet;
import java.util.Set;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The convolution with its ReLU fused ({@link Conv#forward} with relu, {@link Conv#backwardRelu}) against the
 * two ops one after the other, bit for bit, for every algorithm the geometries reach on this width: the
 * forward against forward then ReLU, each gradient against the plain backward at {@code dy·(y > 0)}, with
 * and without the input gradient.
 */
class ConvReluTest {
    private final SplittableRandom rnd = new SplittableRandom(11);

    private static void assertSameBits(float[] want, float[] got, String what) {
        for (int i = 0; i < want.length; i++) {
            if (Float.floatToRawIntBits(want[i]) != Float.floatToRawIntBits(got[i]))
                throw new AssertionError(what + ": element " + i + " expected " + want[i] + " got " + got[i]);
        }
    }

    @Test
    void fusedReluMatchesTheTwoOps() {
        int[][] shapes = { // batch, inC, h, w, outC, k, stride, pad, groups
            {2, 1, 28, 28, 32, 3, 1, 0, 1}, // direct 3x3 (one input channel)
            {1, 1, 9, 40, 3, 3, 1, 1, 1},
            {2, 32, 10, 12, 64, 3, 1, 0, 1}, // Winograd
            {2, 16, 7, 9, 32, 3, 1, 1, 1},
            {26, 160, 7, 7, 160, 3, 1, 1, 1}, // Winograd, three images a unit (WinogradConv.imagesPerUnit)
            {2, 24, 8, 8, 48, 1, 1, 0, 1}, // 1x1: lanes or implicit GEMM
            {2, 8, 9, 9, 16, 5, 1, 2, 1},
            {2, 3, 11, 11, 8, 3, 2, 1, 1}, // strided: im2col
            {2, 4, 8, 8, 6, 3, 1, 1, 2} // grouped
        };
        Set<ConvPlan.Algorithm> seen = EnumSet.noneOf(ConvPlan.Algorithm.class);
        for (int[] s : shapes) {
            Conv.Geometry g =
                    new Conv.Geometry(s[0], s[1], s[2], s[3], s[4], s[5], s[5], s[6], s[6], s[7], s[7], 1, 1, s[8]);
            seen.add(ConvPlan.forward(g));
            seen.add(ConvPlan.weightGrad(g));
            int out = (int) g.outputSize(), in = (int) g.inputSize(), ws = (int) g.weightSize();
            float[] xv = Mem.random(rnd, in, -1, 1);
            for (int i = 0; i < in; i += 17) xv[i] = 0f;
            MemorySegment x = Mem.of(xv),
                    w = Mem.of(Mem.random(rnd, ws, -0.5, 0.5)),
                    b = Mem.of(Mem.random(rnd, g.outC(), -0.2, 0.2));
            String what = g.toString();

            MemorySegment y = Mem.zeros(out), fused = Mem.zeros(out);
            Conv.forward(g, x, w, b, y);
            Elementwise.unary(Elementwise.Unary.RELU, y, 0, y, 0, out);
            Conv.forward(g, x, w, b, fused, true);
            assertSameBits(Mem.read(y, out), Mem.read(fused, out), "forward " + what);

            float[] dyv = Mem.random(rnd, out, -1, 1);
            for (int i = 0; i < out; i += 13) dyv[i] = -0f;
            MemorySegment dy = Mem.of(dyv), masked = Mem.zeros(out);
            Elementwise.binary(
                    Elementwise.Binary.RELU_BACKWARD,
                    new int[] {out},
                    dy,
                    0,
                    new long[] {1},
                    y,
                    0,
                    new long[] {1},
                    masked,
                    0);
            MemorySegment dx = Mem.zeros(in), dw = Mem.zeros(ws), db = Mem.zeros(g.outC());
            Conv.backward(g, x, masked, w, dx, dw, db);
            float[] wantDx = Mem.read(dx, in), wantDw = Mem.read(dw, ws), wantDb = Mem.read(db, g.outC());

            // the three ways the fused backward runs: both gradients, the weight's alone, the input's alone
            MemorySegment fdx = Mem.zeros(in), fdw = Mem.zeros(ws), fdb = Mem.zeros(g.outC());
            Conv.backwardRelu(g, x, dy, y, w, fdx, fdw, fdb);
            assertSameBits(wantDx, Mem.read(fdx, in), "dx " + what);
            assertSameBits(wantDw, Mem.read(fdw, ws), "dW " + what);
            assertSameBits(wantDb, Mem.read(fdb, g.outC()), "db " + what);
            MemorySegment odw = Mem.zeros(ws), odb = Mem.zeros(g.outC());
            Conv.backwardRelu(g, x, dy, y, w, null, odw, odb);
            assertSameBits(wantDw, Mem.read(odw, ws), "dW alone " + what);
            assertSameBits(wantDb, Mem.read(odb, g.outC()), "db alone " + what);
            MemorySegment odx = Mem.zeros(in);
            Conv.backwardRelu(g, x, dy, y, w, odx, null, null);
            assertSameBits(wantDx, Mem.read(odx, in), "dx alone " + what);
        }
        if (Simd.VECTOR_AVAILABLE && Simd.floatLanes() == 16) {
            assertTrue(
                    seen.containsAll(EnumSet.of(
                            ConvPlan.Algorithm.DIRECT_3X3,
                            ConvPlan.Algorithm.WINOGRAD,
                            ConvPlan.Algorithm.IM2COL_GEMM,
                            ConvPlan.Algorithm.GROUPED)),
                    "algorithms reached: " + seen);
        }
    }

    @Test
    void aBiasGradientNeedsTheWeightGradient() {
        Conv.Geometry g = new Conv.Geometry(1, 1, 5, 5, 2, 3, 3, 1, 1, 0, 0, 1, 1, 1);
        MemorySegment x = Mem.zeros((int) g.inputSize()), dy = Mem.zeros((int) g.outputSize());
        assertThrows(
                IllegalArgumentException.class,
                () -> Conv.backwardRelu(g, x, dy, dy, Mem.zeros(18), null, null, Mem.zeros(2)));
    }
}
