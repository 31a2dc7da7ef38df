package vectorgrad.nn.optim;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;
import vectorgrad.autograd.Tensor;
import vectorgrad.nn.Golden;
import vectorgrad.nn.Parameter;

/** AdamW's trajectory against torch.optim.AdamW over 100 steps (golden/schedulers.txt). */
class AdamWParityTest {
    private static final Golden GOLDEN = new Golden("/golden/schedulers.txt");

    @Test
    void matchesPyTorch() {
        OptimizerParityTest.trajectory(GOLDEN, "adamw.default", AdamW::new);
        OptimizerParityTest.trajectory(GOLDEN, "adamw.decay", ps -> new AdamW(ps, 0.01, 0.9, 0.999, 1e-8, 0.1, false));
        OptimizerParityTest.trajectory(GOLDEN, "adamw.amsgrad", ps -> new AdamW(ps, 0.02, 0.8, 0.99, 1e-6, 0.05, true));
    }

    @Test
    void printsAndSavesAsAdamW() {
        AdamW opt = new AdamW(List.of(new Parameter(Tensor.zeros(2))));
        assertTrue(
                opt.toString().startsWith("AdamW(lr=0.001, betas=(0.9, 0.999), eps=1.0E-8, weight_decay=0.01"),
                opt.toString());
    }
}
