package vectorgrad.nn.optim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import vectorgrad.autograd.Tensor;
import vectorgrad.nn.Golden;
import vectorgrad.nn.Parameter;

/** AdamW's trajectory against torch.optim.AdamW over 100 steps (golden/schedulers.txt). */
class AdamWParityTest {
    private static final Golden GOLDEN = new Golden("/golden/schedulers.txt");

    private static void trajectory(String key, Function<List<Parameter>, Optimizer> make) {
        float[] p0 = new float[7];
        for (int i = 0; i < 7; i++) p0[i] = (float) (0.5 - 0.3 * i);
        Parameter p = new Parameter(Tensor.of(p0, 7));
        Optimizer opt = make.apply(List.of(p));
        for (int t = 0; t < 100; t++) {
            float[] g = new float[7];
            for (int i = 0; i < 7; i++) g[i] = (float) (Math.sin(1.3 * t + 0.7 * i) * (1 + 0.5 * i));
            p.setGrad(Tensor.of(g, 7));
            opt.step();
            if (t + 1 == 1 || t + 1 == 100) {
                double[] want = GOLDEN.get(key + "." + (t + 1));
                float[] got = p.toFloatArray();
                for (int i = 0; i < 7; i++) {
                    assertEquals(
                            want[i],
                            got[i],
                            1e-6 * Math.max(1, Math.abs(want[i])),
                            key + " after " + (t + 1) + " steps, p[" + i + "]");
                }
            }
        }
    }

    @Test
    void matchesPyTorch() {
        trajectory("adamw.default", AdamW::new);
        trajectory("adamw.decay", ps -> new AdamW(ps, 0.01, 0.9, 0.999, 1e-8, 0.1, false));
        trajectory("adamw.amsgrad", ps -> new AdamW(ps, 0.02, 0.8, 0.99, 1e-6, 0.05, true));
    }

    @Test
    void printsAndSavesAsAdamW() {
        AdamW opt = new AdamW(List.of(new Parameter(Tensor.zeros(2))));
        assertTrue(
                opt.toString().startsWith("AdamW(lr=0.001, betas=(0.9, 0.999), eps=1.0E-8, weight_decay=0.01"),
                opt.toString());
    }
}
