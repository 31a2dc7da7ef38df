package vectorgrad.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static vectorgrad.kernels.ConvPlan.Algorithm.DIRECT_3X3;
import static vectorgrad.kernels.ConvPlan.Algorithm.GROUPED;
import static vectorgrad.kernels.ConvPlan.Algorithm.IM2COL_GEMM;
import static vectorgrad.kernels.ConvPlan.Algorithm.IMPLICIT_GEMM;
import static vectorgrad.kernels.ConvPlan.Algorithm.LANES;
import static vectorgrad.kernels.ConvPlan.Algorithm.WINOGRAD;

import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Which algorithm serves which geometry, per pass and vector width (512-bit; narrower, 256- and 128-bit;
 * scalar): a loosened or reordered rule in
 * ConvPlan shows up here as a changed expectation. (Each algorithm's numerics are checked against the
 * definition in ConvPoolSoftmaxTest.)
 */
class ConvPlanTest {
    private record Case(
            String name,
            Conv.Geometry g,
            ConvPlan.Algorithm[] at512,
            ConvPlan.Algorithm[] narrower,
            ConvPlan.Algorithm[] scalar) {}

    private static ConvPlan.Algorithm[] p(
            ConvPlan.Algorithm forward, ConvPlan.Algorithm input, ConvPlan.Algorithm weight) {
        return new ConvPlan.Algorithm[] {forward, input, weight};
    }

    private static Conv.Geometry geo(
            int b, int c, int h, int w, int o, int k, int stride, int pad, int dil, int groups) {
        return new Conv.Geometry(b, c, h, w, o, k, k, stride, stride, pad, pad, dil, dil, groups);
    }

    private static final ConvPlan.Algorithm[] IM2COL = p(IM2COL_GEMM, IM2COL_GEMM, IM2COL_GEMM);
    private static final ConvPlan.Algorithm[] IMPLICIT = p(IMPLICIT_GEMM, IMPLICIT_GEMM, IMPLICIT_GEMM);

    private static final List<Case> CASES = List.of(
            new Case(
                    "MNIST conv1",
                    geo(5, 1, 28, 28, 32, 3, 1, 0, 1, 1),
                    p(DIRECT_3X3, IM2COL_GEMM, DIRECT_3X3),
                    p(DIRECT_3X3, IM2COL_GEMM, DIRECT_3X3),
                    IM2COL),
            new Case(
                    "MNIST conv2",
                    geo(5, 32, 26, 26, 64, 3, 1, 0, 1, 1),
                    p(WINOGRAD, WINOGRAD, WINOGRAD),
                    p(WINOGRAD, WINOGRAD, WINOGRAD),
                    IM2COL),
            new Case(
                    "3x3, 16 in, 64 out",
                    geo(2, 16, 9, 11, 64, 3, 1, 1, 1, 1),
                    p(WINOGRAD, IMPLICIT_GEMM, LANES),
                    p(WINOGRAD, IMPLICIT_GEMM, IMPLICIT_GEMM),
                    IM2COL),
            new Case(
                    "3x3, 32 in, 16 out",
                    geo(2, 32, 9, 13, 16, 3, 1, 1, 1, 1),
                    p(IMPLICIT_GEMM, WINOGRAD, WINOGRAD),
                    p(IMPLICIT_GEMM, WINOGRAD, WINOGRAD),
                    IM2COL),
            new Case(
                    "3x3, 32 in, 32 out (a ResNet's first stage)",
                    geo(2, 32, 28, 28, 32, 3, 1, 1, 1, 1),
                    p(WINOGRAD, WINOGRAD, WINOGRAD),
                    p(WINOGRAD, WINOGRAD, WINOGRAD),
                    IM2COL),
            new Case("dilated 3x3", geo(2, 32, 12, 12, 64, 3, 1, 1, 2, 1), p(LANES, LANES, LANES), IMPLICIT, IM2COL),
            new Case("strided 3x3 (phases)", geo(2, 32, 12, 12, 64, 3, 2, 1, 1, 1), IMPLICIT, IMPLICIT, IM2COL),
            new Case("strided 1x1 (one phase of four)", geo(2, 32, 12, 12, 64, 1, 2, 0, 1, 1), IM2COL, IM2COL, IM2COL),
            new Case("1x1, 64 in", geo(2, 64, 7, 7, 128, 1, 1, 0, 1, 1), p(LANES, LANES, LANES), IMPLICIT, IM2COL),
            new Case("1x1, 8 in (small patch)", geo(2, 8, 7, 7, 64, 1, 1, 0, 1, 1), IM2COL, IM2COL, IM2COL),
            new Case("5x5, 3 in, 20 out", geo(2, 3, 16, 16, 20, 5, 1, 2, 1, 1), IMPLICIT, IMPLICIT, IM2COL),
            new Case(
                    "grouped",
                    geo(2, 32, 9, 9, 64, 3, 1, 1, 1, 4),
                    p(GROUPED, GROUPED, GROUPED),
                    p(GROUPED, GROUPED, GROUPED),
                    p(GROUPED, GROUPED, GROUPED)));

    @Test
    void eachGeometryGetsTheAlgorithmItShould() {
        for (Case c : CASES) {
            ConvPlan.Algorithm[] want =
                    !Simd.VECTOR_AVAILABLE ? c.scalar() : Simd.floatLanes() == 16 ? c.at512() : c.narrower();
            ConvPlan.Algorithm[] got = {ConvPlan.forward(c.g()), ConvPlan.inputGrad(c.g()), ConvPlan.weightGrad(c.g())};
            String[] pass = {"forward", "input gradient", "weight gradient"};
            for (int i = 0; i < 3; i++) {
                assertEquals(want[i], got[i], c.name() + " " + pass[i] + " at " + Simd.describe() + ": " + c.g());
            }
        }
    }
}
