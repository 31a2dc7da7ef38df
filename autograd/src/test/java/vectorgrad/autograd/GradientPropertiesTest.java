package vectorgrad.autograd;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static vectorgrad.autograd.GradCheck.awayFromZero;
import static vectorgrad.autograd.GradCheck.broadcastPartner;
import static vectorgrad.autograd.GradCheck.distinct;
import static vectorgrad.autograd.GradCheck.property;
import static vectorgrad.autograd.GradCheck.shape;
import static vectorgrad.autograd.GradCheck.uniform;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** Every op's backward rule against central finite differences, over random shapes and values. */
class GradientPropertiesTest {

    /** Two operands that broadcast, in either order. */
    private static Tensor[] broadcastPair(SplittableRandom r, double lo, double hi, double blo, double bhi) {
        int[] s = shape(r, 0, 3, 4);
        int[] p = broadcastPartner(r, s);
        boolean swap = r.nextBoolean();
        return new Tensor[] {uniform(r, swap ? p : s, lo, hi), uniform(r, swap ? s : p, blo, bhi)};
    }

    @Test
    void add() {
        property("add", r -> broadcastPair(r, -2, 2, -2, 2), x -> x[0].add(x[1]));
    }

    @Test
    void sub() {
        property("sub", r -> broadcastPair(r, -2, 2, -2, 2), x -> x[0].sub(x[1]));
    }

    @Test
    void mul() {
        property("mul", r -> broadcastPair(r, -2, 2, -2, 2), x -> x[0].mul(x[1]));
    }
    // divisor kept in [0.5, 2]: away from the pole at 0, where finite differences are meaningless
    @Test
    void div() {
        property("div", r -> broadcastPair(r, -2, 2, 0.5, 2), x -> x[0].div(x[1]));
    }

    @Test
    void scalarForms() {
        property("add scalar", r -> new Tensor[] {uniform(r, shape(r, 0, 3, 4), -2, 2)}, x -> x[0].add(1.5));
        property("sub scalar", r -> new Tensor[] {uniform(r, shape(r, 0, 3, 4), -2, 2)}, x -> x[0].sub(0.5));
        property("rsub scalar", r -> new Tensor[] {uniform(r, shape(r, 0, 3, 4), -2, 2)}, x -> x[0].rsub(3));
        property("mul scalar", r -> new Tensor[] {uniform(r, shape(r, 0, 3, 4), -2, 2)}, x -> x[0].mul(-2.5));
        property("div scalar", r -> new Tensor[] {uniform(r, shape(r, 0, 3, 4), -2, 2)}, x -> x[0].div(4));
    }

    @Test
    void neg() {
        property("neg", r -> new Tensor[] {uniform(r, shape(r, 0, 3, 4), -2, 2)}, x -> x[0].neg());
    }

    @Test
    void pow() {
        property("pow 2", r -> new Tensor[] {uniform(r, shape(r, 0, 3, 4), -2, 2)}, x -> x[0].pow(2));
        property("pow 3", r -> new Tensor[] {uniform(r, shape(r, 0, 3, 4), -1.5, 1.5)}, x -> x[0].pow(3));
        property("pow 0.5", r -> new Tensor[] {uniform(r, shape(r, 0, 3, 4), 0.5, 2)}, x -> x[0].pow(0.5));
        property("pow -1", r -> new Tensor[] {uniform(r, shape(r, 0, 3, 4), 0.5, 2)}, x -> x[0].pow(-1));
        property("pow 1.7", r -> new Tensor[] {uniform(r, shape(r, 0, 3, 4), 0.5, 2)}, x -> x[0].pow(1.7));
    }

    @Test
    void exp() {
        property("exp", r -> new Tensor[] {uniform(r, shape(r, 0, 3, 4), -2, 1.5)}, x -> x[0].exp());
    }

    @Test
    void log() {
        property("log", r -> new Tensor[] {uniform(r, shape(r, 0, 3, 4), 0.5, 3)}, x -> x[0].log());
    }

    @Test
    void sqrt() {
        property("sqrt", r -> new Tensor[] {uniform(r, shape(r, 0, 3, 4), 0.5, 3)}, x -> x[0].sqrt());
    }
    // abs and relu: inputs at least 0.1 from the kink at 0, further than the step h = 0.01
    @Test
    void abs() {
        property("abs", r -> new Tensor[] {awayFromZero(r, shape(r, 0, 3, 4), 0.1, 2)}, x -> x[0].abs());
    }

    @Test
    void relu() {
        property("relu", r -> new Tensor[] {awayFromZero(r, shape(r, 0, 3, 4), 0.1, 2)}, x -> x[0].relu());
    }
    // sign is flat away from 0: its gradient is 0 there, which the differences confirm
    @Test
    void sign() {
        property(
                "sign",
                r -> new Tensor[] {awayFromZero(r, shape(r, 0, 3, 4), 0.1, 2)},
                x -> x[0].sign().mul(x[0]));
    }

    @Test
    void sigmoid() {
        property("sigmoid", r -> new Tensor[] {uniform(r, shape(r, 0, 3, 4), -3, 3)}, x -> x[0].sigmoid());
    }

    @Test
    void tanh() {
        property("tanh", r -> new Tensor[] {uniform(r, shape(r, 0, 3, 4), -2, 2)}, x -> x[0].tanh());
    }

    @Test
    void sumAndMean() {
        property("sum", r -> new Tensor[] {uniform(r, shape(r, 0, 3, 4), -2, 2)}, x -> x[0].sum());
        property("mean", r -> new Tensor[] {uniform(r, shape(r, 0, 3, 4), -2, 2)}, x -> x[0].mean());
        property(
                "sum dim",
                r -> new Tensor[] {uniform(r, shape(r, 1, 3, 4), -2, 2)},
                x -> x[0].sum(x[0].dim() - 1 - (x[0].dim() > 1 ? 1 : 0), x[0].dim() % 2 == 0));
        property(
                "mean dim",
                r -> new Tensor[] {uniform(r, shape(r, 1, 3, 4), -2, 2)},
                x -> x[0].mean(0, x[0].dim() % 2 == 1));
        property("mean dim -1", r -> new Tensor[] {uniform(r, shape(r, 1, 3, 4), -2, 2)}, x -> x[0].mean(-1, false));
    }

    // max: values at least 0.1 apart, so the argmax is unique and does not move under a 0.01 step
    @Test
    void max() {
        property("max", r -> new Tensor[] {distinct(r, shape(r, 1, 3, 4))}, x -> x[0].max());
        property(
                "max dim",
                r -> new Tensor[] {distinct(r, shape(r, 1, 3, 4))},
                x -> x[0].max(0, false).values());
        property(
                "max dim -1 keepdim",
                r -> new Tensor[] {distinct(r, shape(r, 1, 3, 4))},
                x -> x[0].max(-1, true).values());
    }

    @Test
    void matmul() {
        property(
                "matmul",
                r -> {
                    int m = r.nextInt(1, 6), k = r.nextInt(1, 6), n = r.nextInt(1, 6);
                    return new Tensor[] {uniform(r, new int[] {m, k}, -1, 1), uniform(r, new int[] {k, n}, -1, 1)};
                },
                x -> x[0].matmul(x[1]));
        property(
                "batched matmul",
                r -> {
                    int b = r.nextInt(1, 4), m = r.nextInt(1, 5), k = r.nextInt(1, 5), n = r.nextInt(1, 5);
                    return new Tensor[] {uniform(r, new int[] {b, m, k}, -1, 1), uniform(r, new int[] {b, k, n}, -1, 1)
                    };
                },
                x -> x[0].matmul(x[1]));
        property(
                "batched matmul, shared matrix",
                r -> {
                    int b = r.nextInt(1, 4), m = r.nextInt(1, 5), k = r.nextInt(1, 5), n = r.nextInt(1, 5);
                    return new Tensor[] {uniform(r, new int[] {b, m, k}, -1, 1), uniform(r, new int[] {k, n}, -1, 1)};
                },
                x -> x[0].matmul(x[1]));
    }

    @Test
    void shapeOps() {
        property(
                "reshape",
                r -> new Tensor[] {uniform(r, new int[] {2, 3, 2}, -1, 1)},
                x -> x[0].reshape(3, -1).mul(x[0].reshape(3, 4)));
        property(
                "unsqueeze/squeeze",
                r -> new Tensor[] {uniform(r, shape(r, 1, 3, 3), -1, 1)},
                x -> x[0].unsqueeze(0).exp().squeeze(0));
        property(
                "flatten",
                r -> new Tensor[] {uniform(r, shape(r, 2, 3, 3), -1, 1)},
                x -> x[0].flatten(1).tanh());
        property(
                "transpose",
                r -> new Tensor[] {uniform(r, shape(r, 2, 3, 4), -1, 1)},
                x -> x[0].transpose(0, 1).pow(2));
        property(
                "permute",
                r -> new Tensor[] {uniform(r, shape(r, 3, 3, 4), -1, 1)},
                x -> x[0].permute(2, 0, 1).mul(x[0].permute(2, 0, 1).exp()));
        property(
                "expand",
                r -> new Tensor[] {uniform(r, new int[] {3, 1}, -1, 1)},
                x -> x[0].expand(2, 3, 4).pow(2));
        property(
                "clone",
                r -> new Tensor[] {uniform(r, shape(r, 0, 3, 3), -1, 1)},
                x -> x[0].clone().mul(x[0]));
    }

    /** A tensor used twice and a diamond-shaped graph: gradients from both paths must add up. */
    @Test
    void sharedSubexpressions() {
        property("diamond", r -> broadcastPair(r, 0.5, 2, 0.5, 2), x -> {
            Tensor h = x[0].mul(x[1]);
            return h.exp().add(h.log()).mul(x[0]);
        });
    }

    /** The textbook's Gaussian log-likelihood in α, β, σ. */
    @Test
    void linearRegressionLogLikelihood() {
        property(
                "linreg loglik",
                r -> new Tensor[] {
                    uniform(r, new int[0], -1, 1), uniform(r, new int[0], -1, 1), uniform(r, new int[0], 0.5, 2)
                },
                p -> {
                    Tensor x = Tensor.of(new float[] {-1f, 0f, 0.5f, 2f}),
                            y = Tensor.of(new float[] {0.3f, 1f, 1.2f, 2.1f});
                    Tensor pred = p[0].add(p[1].mul(x));
                    Tensor variance = p[2].pow(2);
                    return variance.mul(2 * Math.PI)
                            .log()
                            .mul(-0.5)
                            .sub(y.sub(pred).pow(2).div(variance.mul(2)))
                            .mean();
                });
    }

    /**
     * The property catches a wrong rule: a "square" whose backward forgets the factor 2 (g·x instead of
     * g·2x) must fail the same check every op above passes.
     */
    @Test
    void aWrongRuleIsCaught() {
        AssertionError e = assertThrows(
                AssertionError.class,
                () -> property(
                        "wrong square",
                        r -> new Tensor[] {uniform(r, shape(r, 0, 2, 3), 0.5, 2)},
                        x -> Tensor.record(
                                x[0].detach().mul(x[0].detach()),
                                "wrong_square",
                                (g, need) -> new Tensor[] {g.mul(x[0])},
                                x[0])));
        assertTrue(e.getMessage().contains("finite differences"), e.getMessage());
    }
}
