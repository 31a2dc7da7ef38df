package vectorgrad.nn.optim;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import vectorgrad.autograd.Tensor;
import vectorgrad.nn.Parameter;

/** stateDict()/loadStateDict(): a restored optimizer continues exactly where the original would have. */
class OptimizerStateTest {
    private static List<Parameter> params() {
        return List.of(
                new Parameter(Tensor.of(new float[] {1, -2, 3, 0.5f}, 2, 2)),
                new Parameter(Tensor.of(new float[] {0.25f, -1}, 2)));
    }

    private static void step(Optimizer opt, List<Parameter> ps, int k) {
        opt.zeroGrad();
        Tensor loss =
                ps.get(0).mul(ps.get(0)).sum().mul(0.5 + k).add(ps.get(1).pow(3).sum());
        loss.backward();
        opt.step();
    }

    private static void resumesBitForBit(Function<List<Parameter>, Optimizer> make) {
        List<Parameter> a = params(), b = params();
        Optimizer oa = make.apply(a), ob = make.apply(b);
        for (int k = 0; k < 3; k++) {
            step(oa, a, k);
            step(ob, b, k);
        }
        Optimizer.StateDict saved = ob.stateDict();
        List<Parameter> c = params();
        for (int i = 0; i < c.size(); i++) c.get(i).setData(b.get(i));
        Optimizer oc = make.apply(c);
        oc.loadStateDict(saved);
        for (int k = 3; k < 6; k++) {
            step(oa, a, k);
            step(oc, c, k);
        }
        for (int i = 0; i < a.size(); i++)
            assertArrayEquals(a.get(i).toFloatArray(), c.get(i).toFloatArray(), 0f, "parameter " + i);
    }

    @Test
    void adamAndAmsgradResume() {
        resumesBitForBit(ps -> new Adam(ps, 0.05));
        resumesBitForBit(ps -> new Adam(ps, 0.05, 0.8, 0.99, 1e-6, 0.01, true));
    }

    @Test
    void sgdWithMomentumAndNesterovResumes() {
        resumesBitForBit(ps -> new SGD(ps, 0.01, 0.9, 0, 1e-3, true));
        resumesBitForBit(ps -> new SGD(ps, 0.01));
    }

    @Test
    void stateDictUsesPyTorchsNames() {
        List<Parameter> ps = params();
        Adam opt = new Adam(ps, 0.01);
        step(opt, ps, 0);
        Optimizer.StateDict d = opt.stateDict();
        assertEquals(
                List.of("0.step", "0.exp_avg", "0.exp_avg_sq", "1.step", "1.exp_avg", "1.exp_avg_sq"),
                List.copyOf(d.state().keySet()));
        assertEquals("0.01", d.paramGroup().get("lr"));
        assertEquals("(0.9, 0.999)", d.paramGroup().get("betas"));
        assertEquals(1, d.state().get("0.step").toIntArray()[0]);
    }

    @Test
    void mismatchesAreNamed() {
        List<Parameter> ps = params();
        Adam opt = new Adam(ps, 0.01);
        step(opt, ps, 0);
        Optimizer.StateDict d = opt.stateDict();
        IllegalArgumentException e = assertThrows(
                IllegalArgumentException.class,
                () -> new Adam(params(), 0.01, 0.9, 0.99, 1e-8, 0, false).loadStateDict(d));
        assertTrue(e.getMessage().contains("betas"), e.getMessage());
        // beta1 is a schedule's (OneCycleLR moves it): the saved one is taken
        Adam other = new Adam(params(), 0.01, 0.5, 0.999, 1e-8, 0, false);
        other.loadStateDict(d);
        org.junit.jupiter.api.Assertions.assertEquals(0.9, other.beta1());
        List<Parameter> one = List.of(new Parameter(Tensor.zeros(2, 2)));
        e = assertThrows(IllegalArgumentException.class, () -> new Adam(one, 0.01).loadStateDict(d));
        assertTrue(e.getMessage().contains("group 0 holds 1 parameter(s) here but [0, 1]"), e.getMessage());
    }
}
