package vectorgrad.nn.optim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import vectorgrad.autograd.Tensor;
import vectorgrad.nn.Golden;
import vectorgrad.nn.Parameter;
import vectorgrad.nn.utils.ClipGrad;

/** Learning-rate schedules and gradient clipping against PyTorch (golden/schedulers.txt, bench/scripts/scheduler_golden.py). */
class SchedulerParityTest {
    private static final Golden GOLDEN = new Golden("/golden/schedulers.txt");

    private static SGD sgd() {
        return new SGD(List.of(new Parameter(Tensor.zeros(1))), 0.1);
    }

    private static void sameSequence(String key, Function<Optimizer, LRScheduler> make) {
        double[] want = GOLDEN.get(key);
        SGD opt = sgd();
        LRScheduler s = make.apply(opt);
        for (int e = 0; e < want.length; e++) {
            if (e > 0) s.step();
            assertEquals(want[e], opt.getLr(), 1e-9 * Math.abs(want[e]), key + " at epoch " + e);
        }
    }

    @Test
    void schedulesMatchPyTorch() {
        sameSequence("step", o -> new StepLR(o, 7, 0.5));
        sameSequence("multistep", o -> new MultiStepLR(o, new int[] {5, 12, 12, 30}, 0.3));
        sameSequence("exponential", o -> new ExponentialLR(o, 0.9));
        sameSequence("cosine", o -> new CosineAnnealingLR(o, 15, 0.001));
        sameSequence("lambda", o -> new LambdaLR(o, e -> 1.0 / (1 + e)));
        sameSequence("linear", o -> new LinearLR(o, 0.25, 1.0, 10));
        sameSequence("linear_down", o -> new LinearLR(o, 1.0, 0.1, 20));
        sameSequence("sequential", o -> {
            LRScheduler warm = new LinearLR(o, 0.1, 1.0, 8), cos = new CosineAnnealingLR(o, 25, 0.002);
            return new SequentialLR(o, List.of(warm, cos), new int[] {8});
        });
        sameSequence(
                "sequential3",
                o -> new SequentialLR(
                        o,
                        List.of(new LinearLR(o, 0.5, 1.0, 4), new StepLR(o, 5, 0.5), new ExponentialLR(o, 0.8)),
                        new int[] {6, 20}));
    }

    @Test
    void reduceOnPlateauMatchesPyTorch() {
        double[] metrics = GOLDEN.get("plateau.metrics");
        record Case(String key, Function<Optimizer, ReduceLROnPlateau> make) {}
        for (Case c : List.of(
                new Case("plateau", o -> new ReduceLROnPlateau(o, "min", 0.1, 2, 1e-4, "rel", 0, 0, 1e-8)),
                new Case("plateau_max", o -> new ReduceLROnPlateau(o, "max", 0.5, 1, 1e-4, "rel", 2, 0, 1e-8)),
                new Case("plateau_abs", o -> new ReduceLROnPlateau(o, "min", 0.1, 1, 0.05, "abs", 0, 0.002, 1e-8)))) {
            double[] want = GOLDEN.get(c.key());
            SGD opt = sgd();
            ReduceLROnPlateau s = c.make().apply(opt);
            for (int i = 0; i < metrics.length; i++) {
                s.step(metrics[i]);
                assertEquals(want[i], opt.getLr(), 1e-12, c.key() + " after metric " + i);
            }
        }
    }

    @Test
    void stateDictRestoresThePosition() {
        SGD a = sgd(), b = sgd();
        CosineAnnealingLR sa = new CosineAnnealingLR(a, 15, 0.001), sb = new CosineAnnealingLR(b, 15, 0.001);
        for (int i = 0; i < 6; i++) sa.step();
        sb.loadStateDict(sa.stateDict());
        sa.step();
        sb.step();
        assertEquals(a.getLr(), b.getLr(), 0.0);
        assertThrows(IllegalArgumentException.class, () -> new LinearLR(sgd(), 0, 1, 5));
    }

    private static List<Parameter> clipParams() {
        double[] g = GOLDEN.get("clip.grads");
        float[] ga = new float[6], gb = new float[4];
        for (int i = 0; i < 6; i++) ga[i] = (float) g[i];
        for (int i = 0; i < 4; i++) gb[i] = (float) g[6 + i];
        Parameter a = new Parameter(Tensor.zeros(2, 3)), b = new Parameter(Tensor.zeros(4));
        a.setGrad(Tensor.of(ga, 2, 3));
        b.setGrad(Tensor.of(gb, 4));
        return List.of(a, b);
    }

    private static void sameGrads(String key, List<Parameter> ps, int from) {
        double[] want = GOLDEN.get(key);
        float[] a = ps.get(0).grad().toFloatArray(), b = ps.get(1).grad().toFloatArray();
        for (int i = 0; i < 6; i++)
            assertEquals(want[from + i], a[i], 1e-6 * Math.max(1, Math.abs(want[from + i])), key + " a[" + i + "]");
        for (int i = 0; i < 4; i++)
            assertEquals(
                    want[from + 6 + i], b[i], 1e-6 * Math.max(1, Math.abs(want[from + 6 + i])), key + " b[" + i + "]");
    }

    @Test
    void gradientClippingMatchesPyTorch() {
        Object[][] cases = {
            {"clip.norm2", 2.0, 2.0},
            {"clip.norm2_noop", 100.0, 2.0},
            {"clip.norminf", 1.5, Double.POSITIVE_INFINITY},
            {"clip.norm1", 3.0, 1.0}
        };
        for (Object[] c : cases) {
            List<Parameter> ps = clipParams();
            float total = ClipGrad.clipGradNorm_(ps, (double) c[1], (double) c[2]);
            assertEquals(
                    GOLDEN.get((String) c[0])[0], total, 1e-6 * GOLDEN.get((String) c[0])[0], c[0] + " total norm");
            sameGrads((String) c[0], ps, 1);
        }
        List<Parameter> ps = clipParams();
        ClipGrad.clipGradValue_(ps, 1.1);
        sameGrads("clip.value", ps, 0);
    }
}
