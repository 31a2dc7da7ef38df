package vectorgrad.nn.optim;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import vectorgrad.autograd.Tensor;
import vectorgrad.nn.Golden;
import vectorgrad.nn.Parameter;

/**
 * RMSprop, Adagrad and SGD's momentum variants over 100 steps, and OneCycleLR's learning rate and
 * momentum at every step, against PyTorch 1.13 (golden/toolkit.txt, bench/scripts/toolkit_golden.py).
 */
class OptimizerParityTest {
    private static final Golden G = new Golden("/golden/toolkit.txt");

    /**
     * 100 steps from p0[i] = 0.5 - 0.3·i (i < 7) with gradient sin(1.3·t + 0.7·i)·(1 + 0.5·i) at step t, as the
     * golden scripts run them; the parameter is compared with PyTorch's after 1 and after 100 steps.
     */
    static void trajectory(Golden golden, String name, Function<List<Parameter>, Optimizer> make) {
        float[] p0 = new float[7];
        for (int i = 0; i < 7; i++) p0[i] = (float) (0.5 - 0.3 * i);
        Parameter p = new Parameter(Tensor.of(p0, 7));
        Optimizer opt = make.apply(List.of(p));
        for (int t = 0; t < 100; t++) {
            float[] g = new float[7];
            for (int i = 0; i < 7; i++) g[i] = (float) (Math.sin(1.3 * t + 0.7 * i) * (1 + 0.5 * i));
            p.setGrad(Tensor.of(g, 7));
            opt.step();
            if (t == 0) Golden.assertMatches(golden.get(name + ".1"), p.toFloatArray(), name + " after 1 step");
        }
        Golden.assertMatches(golden.get(name + ".100"), p.toFloatArray(), name + " after 100 steps");
    }

    @Test
    void rmspropAdagradAndSgdTrajectories() {
        trajectory(G, "rmsprop", ps -> new RMSprop(ps, 0.01, 0.99, 1e-8, 0, 0, false));
        trajectory(G, "rmsprop.centered", ps -> new RMSprop(ps, 0.01, 0.9, 1e-6, 0.01, 0.8, true));
        trajectory(G, "adagrad", ps -> new Adagrad(ps, 0.1, 0, 0, 0, 1e-10));
        trajectory(G, "adagrad.decay", ps -> new Adagrad(ps, 0.1, 0.01, 0.02, 0.1, 1e-10));
        trajectory(G, "sgd.nesterov", ps -> new SGD(ps, 0.05, 0.9, 0, 5e-4, true));
        trajectory(G, "sgd.dampening", ps -> new SGD(ps, 0.05, 0.5, 0.3, 0, false));
    }

    private static void oneCycle(String name, Optimizer opt, Function<Optimizer, OneCycleLR> make, int total) {
        OneCycleLR s = make.apply(opt);
        double[] lr = new double[total + 1], mom = new double[total + 1];
        lr[0] = opt.getLr();
        mom[0] = s.getLastMomentum();
        for (int i = 1; i <= total; i++) {
            s.step();
            lr[i] = opt.getLr();
            mom[i] = s.getLastMomentum();
        }
        double[] wantLr = G.get(name + ".lr"), wantMom = G.get(name + ".momentum");
        for (int i = 0; i <= total; i++) {
            assertTrue(
                    Math.abs(wantLr[i] - lr[i]) <= 1e-12 + 1e-9 * Math.abs(wantLr[i]),
                    name + " lr at step " + i + ": PyTorch " + wantLr[i] + ", here " + lr[i]);
            assertTrue(
                    Math.abs(wantMom[i] - mom[i]) <= 1e-12,
                    name + " momentum at step " + i + ": PyTorch " + wantMom[i] + ", here " + mom[i]);
        }
        assertThrows(IllegalStateException.class, s::step, "a step past total_steps");
    }

    @Test
    void oneCycleLrMatchesPyTorch() {
        Parameter p = new Parameter(Tensor.zeros(1));
        oneCycle("onecycle.sgd", new SGD(List.of(p), 0.1, 0.9, 0, 0, false), o -> new OneCycleLR(o, 0.5, 30), 30);
        oneCycle(
                "onecycle.adam.linear",
                new Adam(List.of(p), 0.1),
                o -> new OneCycleLR(o, 0.01, 25, 0.4, "linear", true, 0.85, 0.95, 10, 100, false),
                25);
        oneCycle(
                "onecycle.three_phase",
                new SGD(List.of(p), 0.1, 0.9, 0, 0, false),
                o -> new OneCycleLR(o, 1.0, 20, 0.3, "cos", true, 0.85, 0.95, 25, 1e4, true),
                20);
    }

    @Test
    void rmspropStateRoundTrips() {
        Parameter p = new Parameter(Tensor.of(1f, 2f, 3f));
        RMSprop a = new RMSprop(List.of(p), 0.01, 0.9, 1e-8, 0, 0.5, true);
        p.setGrad(Tensor.of(0.1f, -0.2f, 0.3f));
        a.step();
        Parameter q = new Parameter(Tensor.of(1f, 2f, 3f));
        q.setData(p);
        RMSprop b = new RMSprop(List.of(q), 0.01, 0.9, 1e-8, 0, 0.5, true);
        b.loadStateDict(a.stateDict());
        p.setGrad(Tensor.of(0.3f, 0.2f, -0.1f));
        q.setGrad(Tensor.of(0.3f, 0.2f, -0.1f));
        a.step();
        b.step();
        org.junit.jupiter.api.Assertions.assertArrayEquals(p.toFloatArray(), q.toFloatArray());
    }

    /** Two groups, one parameter each (p0's first 4 values and last 3), stepped with a schedule. */
    private static void groupTrajectory(
            String name,
            java.util.function.BiFunction<Parameter, Parameter, Optimizer> make,
            Function<Optimizer, LRScheduler> schedule) {
        float[] p0 = new float[7];
        for (int i = 0; i < 7; i++) p0[i] = (float) (0.5 - 0.3 * i);
        Parameter a = new Parameter(Tensor.of(java.util.Arrays.copyOfRange(p0, 0, 4), 4));
        Parameter b = new Parameter(Tensor.of(java.util.Arrays.copyOfRange(p0, 4, 7), 3));
        Optimizer opt = make.apply(a, b);
        LRScheduler sched = schedule.apply(opt);
        double[] lrs = new double[200], want = G.get(name + ".lrs");
        for (int t = 0; t < 100; t++) {
            float[] g = new float[7];
            for (int i = 0; i < 7; i++) g[i] = (float) (Math.sin(1.3 * t + 0.7 * i) * (1 + 0.5 * i));
            a.setGrad(Tensor.of(java.util.Arrays.copyOfRange(g, 0, 4), 4));
            b.setGrad(Tensor.of(java.util.Arrays.copyOfRange(g, 4, 7), 3));
            opt.step();
            if (t < 99) sched.step(); // PyTorch's OneCycleLR raises at step 101; its last lr is not compared
            double[] now = sched.getLastLrs();
            lrs[2 * t] = now[0];
            lrs[2 * t + 1] = now[1];
        }
        for (int i = 0; i < 198; i++) {
            assertTrue(
                    Math.abs(want[i] - lrs[i]) <= 1e-12 + 1e-9 * Math.abs(want[i]),
                    name + " lr " + i + ": PyTorch " + want[i] + ", here " + lrs[i]);
        }
        float[] both = new float[7];
        System.arraycopy(a.toFloatArray(), 0, both, 0, 4);
        System.arraycopy(b.toFloatArray(), 0, both, 4, 3);
        Golden.assertMatches(G.get(name + ".100"), both, name + " after 100 steps");
    }

    @Test
    void parameterGroupsKeepTheirOwnLearningRateAndWeightDecayUnderSchedules() {
        groupTrajectory(
                "groups.adamw.cosine",
                (a, b) -> new AdamW(
                        ParamGroups.of(
                                ParamGroup.of(a).lr(0.01).weightDecay(0.1),
                                ParamGroup.of(b).weightDecay(0)),
                        0.003),
                o -> new CosineAnnealingLR(o, 100, 1e-4));
        groupTrajectory(
                "groups.sgd.onecycle",
                (a, b) -> new SGD(
                        ParamGroups.of(ParamGroup.of(a), ParamGroup.of(b).weightDecay(5e-4)), 0.1, 0.9, 0, 0, true),
                o -> new OneCycleLR(o, new double[] {0.05, 0.2}, 100, 0.3, "cos", true, 0.85, 0.95, 25, 1e4, false));
    }

    @Test
    void parameterGroupsAreCheckedAndSavedPerGroup() {
        Parameter a = new Parameter(Tensor.zeros(2)), b = new Parameter(Tensor.zeros(3));
        IllegalArgumentException twice = assertThrows(
                IllegalArgumentException.class,
                () -> new SGD(ParamGroups.of(ParamGroup.of(a), ParamGroup.of(a, b)), 0.1));
        assertTrue(twice.getMessage().contains("more than one parameter group"), twice.getMessage());
        Adam opt = new Adam(
                ParamGroups.of(ParamGroup.of(a).lr(0.5), ParamGroup.of(b).weightDecay(0.2)), 0.1);
        a.setGrad(Tensor.ones(2));
        b.setGrad(Tensor.ones(3));
        opt.step();
        Optimizer.StateDict d = opt.stateDict();
        org.junit.jupiter.api.Assertions.assertEquals(2, d.paramGroups().size());
        org.junit.jupiter.api.Assertions.assertEquals(
                "0.5", d.paramGroups().get(0).get("lr"));
        org.junit.jupiter.api.Assertions.assertEquals(
                "[1]", d.paramGroups().get(1).get("params"));
        org.junit.jupiter.api.Assertions.assertEquals(
                "0.2", d.paramGroups().get(1).get("weight_decay"));
        Adam fresh = new Adam(ParamGroups.of(ParamGroup.of(a), ParamGroup.of(b)), 0.1);
        fresh.loadStateDict(d);
        org.junit.jupiter.api.Assertions.assertEquals(
                0.5, fresh.paramGroups().get(0).lr());
        org.junit.jupiter.api.Assertions.assertEquals(
                0.2, fresh.paramGroups().get(1).weightDecay());
        Adam oneGroup = new Adam(List.of(a, b), 0.1);
        IllegalArgumentException count = assertThrows(IllegalArgumentException.class, () -> oneGroup.loadStateDict(d));
        assertTrue(count.getMessage().contains("2 parameter groups"), count.getMessage());
        d.state().values().forEach(Tensor::close);
    }
}
