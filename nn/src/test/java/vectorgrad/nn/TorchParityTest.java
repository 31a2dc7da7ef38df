package vectorgrad.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import java.util.function.BiFunction;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import vectorgrad.autograd.Tensor;
import vectorgrad.nn.optim.Adam;
import vectorgrad.nn.optim.Optimizer;
import vectorgrad.nn.optim.SGD;

/** Values PyTorch 1.13 computed (bench/scripts/torch_golden.py), matched within 1e-5 relative. */
class TorchParityTest {
    private static final Golden G = new Golden("/golden/torch_golden.txt");

    private void trajectory(String name, Function<Tensor, Optimizer> make) {
        Tensor p = Tensor.of(G.floats(name + "/p0")).requiresGrad(true);
        Optimizer opt = make.apply(p);
        for (int t = 1; t <= 5; t++) {
            p.setGrad(Tensor.of(G.floats(name + "/grad/" + t)));
            opt.step();
            Golden.assertMatches(G.get(name + "/param/" + t), p.toFloatArray(), name + " param after step " + t);
        }
        if (opt instanceof Adam adam) {
            Golden.assertMatches(
                    G.get(name + "/exp_avg/5"), adam.state(p).expAvg.toFloatArray(), name + " exp_avg");
            Golden.assertMatches(
                    G.get(name + "/exp_avg_sq/5"), adam.state(p).expAvgSq.toFloatArray(), name + " exp_avg_sq");
            assertEquals(5, adam.state(p).step);
        }
        if (opt instanceof SGD sgd && sgd.momentumBuffer(p) != null) {
            Golden.assertMatches(
                    G.get(name + "/momentum_buffer/5"),
                    sgd.momentumBuffer(p).toFloatArray(),
                    name + " momentum_buffer");
        }
    }

    private static Adam adam(Tensor p, String name) {
        double[] h = G.get(name + "/hparams"); // lr beta1 beta2 eps weight_decay amsgrad
        return new Adam(List.of(p), h[0], h[1], h[2], h[3], h[4], h[5] != 0);
    }

    private static SGD sgd(Tensor p, String name) {
        double[] h = G.get(name + "/hparams"); // lr momentum dampening weight_decay nesterov
        return new SGD(List.of(p), h[0], h[1], h[2], h[3], h[4] != 0);
    }

    @Test
    void adamDefaults() {
        trajectory("adam_default", p -> new Adam(List.of(p)));
    }

    @Test
    void adamLargeLr() {
        trajectory("adam_lr0.1", p -> adam(p, "adam_lr0.1"));
    }

    @Test
    void adamWeightDecay() {
        trajectory("adam_wd", p -> adam(p, "adam_wd"));
    }

    @Test
    void adamAmsgrad() {
        trajectory("adam_amsgrad", p -> adam(p, "adam_amsgrad"));
    }

    @Test
    void adamBetasEps() {
        trajectory("adam_betas", p -> adam(p, "adam_betas"));
    }

    @Test
    void sgdPlain() {
        trajectory("sgd_plain", p -> sgd(p, "sgd_plain"));
    }

    @Test
    void sgdMomentum() {
        trajectory("sgd_momentum", p -> sgd(p, "sgd_momentum"));
    }

    @Test
    void sgdDampeningWeightDecay() {
        trajectory("sgd_dampening_wd", p -> sgd(p, "sgd_dampening_wd"));
    }

    @Test
    void sgdNesterov() {
        trajectory("sgd_nesterov", p -> sgd(p, "sgd_nesterov"));
    }

    /** The textbook's example 3.3.1 for three Adam steps: loss, gradients and parameters. */
    @Test
    void linearRegressionSteps() {
        Tensor x = Tensor.of(G.floats("linreg/x")), y = Tensor.of(G.floats("linreg/y"));
        TextbookModels.Y model = new TextbookModels.Y();
        assertEquals(
                List.of("sigma", "f.alpha", "f.beta"),
                List.copyOf(model.namedParameters().keySet()));
        Adam optimizer = new Adam(model.parameters());
        for (int k = 0; k < 3; k++) {
            optimizer.zeroGrad();
            Tensor e = model.forward(x, y).mean().neg();
            e.backward();
            Golden.assertMatches(G.get("linreg/loss/" + k), new float[] {e.item()}, "loss at step " + k);
            Golden.assertMatches(
                    G.get("linreg/grad/" + k),
                    new float[] {
                        model.sigma.grad().item(),
                        model.f.alpha.grad().item(),
                        model.f.beta.grad().item()
                    },
                    "grads at step " + k);
            optimizer.step();
            Golden.assertMatches(
                    G.get("linreg/params/" + k),
                    new float[] {model.sigma.item(), model.f.alpha.item(), model.f.beta.item()},
                    "params after step " + k);
        }
    }

    private void op(String name, Function<Tensor, Tensor> f) {
        Tensor a = Tensor.of(G.floats("ops/a")).requiresGrad(true);
        Tensor out = f.apply(a);
        if (out.numel() == 1 && out.dim() == 0) out.backward();
        else out.backward(Tensor.onesLike(out));
        Golden.assertMatches(G.get("ops/" + name + "/out"), out.toFloatArray(), name + " out");
        Golden.assertMatches(G.get("ops/" + name + "/grad_a"), a.grad().toFloatArray(), name + " grad a");
    }

    private void op2(String name, BiFunction<Tensor, Tensor, Tensor> f) {
        Tensor a = Tensor.of(G.floats("ops/a")).requiresGrad(true);
        Tensor b = Tensor.of(G.floats("ops/b")).requiresGrad(true);
        Tensor out = f.apply(a, b);
        out.backward(Tensor.onesLike(out));
        Golden.assertMatches(G.get("ops/" + name + "/out"), out.toFloatArray(), name + " out");
        Golden.assertMatches(G.get("ops/" + name + "/grad_a"), a.grad().toFloatArray(), name + " grad a");
        float[] gb = b.grad() == null ? new float[6] : b.grad().toFloatArray();
        Golden.assertMatches(G.get("ops/" + name + "/grad_b"), gb, name + " grad b");
    }

    @Test
    void singleOps() {
        op2("add", Tensor::add);
        op2("sub", Tensor::sub);
        op2("mul", Tensor::mul);
        op2("div", Tensor::div);
        op("neg", Tensor::neg);
        op("pow2", a -> a.pow(2));
        op("pow3", a -> a.pow(3));
        op("powhalf", a -> a.abs().add(0.5).pow(0.5));
        op("exp", Tensor::exp);
        op("log", a -> a.abs().add(0.1).log());
        op("sqrt", a -> a.abs().add(0.1).sqrt());
        op("abs", Tensor::abs);
        op("relu", Tensor::relu);
        op("sigmoid", Tensor::sigmoid);
        op("tanh", Tensor::tanh);
        op("sum", Tensor::sum);
        op("mean", Tensor::mean);
        op("max", Tensor::max);
        op2("matmul", (a, b) -> a.reshape(2, 3).matmul(b.reshape(3, 2)));
        op("mean_dim", a -> a.reshape(2, 3).mean(1, false));
        op("sum_dim0", a -> a.reshape(2, 3).sum(0, false));
    }

    @Test
    void broadcastAddOfASlice() {
        // PyTorch: a.reshape(2,3) + b[:3]; here b[:3] is b's first three elements through a matmul-free slice
        Tensor a = Tensor.of(G.floats("ops/a")).requiresGrad(true);
        Tensor b = Tensor.of(G.floats("ops/b")).requiresGrad(true);
        Tensor firstThree = b.reshape(2, 3)
                .mul(Tensor.of(new float[] {1, 1, 1, 0, 0, 0}, 2, 3))
                .sum(0, false);
        Tensor out = a.reshape(2, 3).add(firstThree);
        out.backward(Tensor.onesLike(out));
        Golden.assertMatches(G.get("ops/broadcast_add/out"), out.toFloatArray(), "broadcast_add out");
        Golden.assertMatches(G.get("ops/broadcast_add/grad_a"), a.grad().toFloatArray(), "broadcast_add grad a");
        Golden.assertMatches(G.get("ops/broadcast_add/grad_b"), b.grad().toFloatArray(), "broadcast_add grad b");
    }
}
