package vectorgrad.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import vectorgrad.autograd.Tensor;
import vectorgrad.nn.optim.Adam;

/**
 * The textbook's MNIST model against PyTorch 1.13 (bench/scripts/mnist_golden.py): fixed input and
 * weights from closed-form formulas both sides compute, dropout off; the logits, losses, every
 * parameter's gradient (sums and ~100 samples each) and the parameters after one Adam step.
 */
class MnistParityTest {
    private static final Golden G = new Golden("/golden/mnist_golden.txt");
    private static final List<String> NAMES = List.of(
            "f.0.weight", "f.0.bias", "f.2.weight", "f.2.bias", "f.6.weight", "f.6.bias", "f.9.weight", "f.9.bias");
    private static final double[] FAN_IN = {9, 9, 288, 288, 9216, 9216, 128, 128};

    @Test
    void oneStepMatchesPyTorch() {
        LayersTest.Classifier model = new LayersTest.Classifier();
        Map<String, Parameter> params = model.namedParameters();
        assertEquals(NAMES, List.copyOf(params.keySet()));
        for (int l = 0; l < NAMES.size(); l++) {
            Parameter p = params.get(NAMES.get(l));
            float[] v = new float[(int) p.numel()];
            double bound = 1 / Math.sqrt(FAN_IN[l]);
            for (int i = 0; i < v.length; i++) v[i] = (float) (bound * Math.sin(0.7 * i + 1.3 * l));
            p.setData(Tensor.of(v, p.shape()));
        }
        float[] x = new float[5 * 784];
        for (int b = 0; b < 5; b++)
            for (int i = 0; i < 28; i++)
                for (int j = 0; j < 28; j++) {
                    x[b * 784 + i * 28 + j] = (float) (0.5 + 0.5 * Math.sin(0.1 * (b * 784 + i * 28 + j)));
                }
        int[] y = new int[5];
        for (int b = 0; b < 5; b++) y[b] = (3 * b + 1) % 10;
        model.eval();
        Adam optimizer = new Adam(model.parameters());
        optimizer.zeroGrad();
        Tensor logits = model.f.forward(Tensor.of(x, 5, 1, 28, 28));
        Tensor items = Functional.crossEntropy(logits, Tensor.ofInts(y, 5), "none");
        Tensor loss = items.mean();
        loss.backward();
        Golden.assertMatches(G.get("mnist/logits"), logits.toFloatArray(), "logits");
        Golden.assertMatches(G.get("mnist/loss_items"), items.toFloatArray(), "per-item losses");
        Golden.assertMatches(G.get("mnist/loss"), new float[] {loss.item()}, "loss");
        Tensor probs = Functional.softmax(logits.detach().reshape(5, 10), 1);
        float[] p0 = new float[10];
        System.arraycopy(probs.toFloatArray(), 0, p0, 0, 10);
        Golden.assertMatches(G.get("mnist/probs0"), p0, "classify(image 0)");
        for (String name : NAMES) {
            float[] g = params.get(name).grad().toFloatArray();
            int step = (int) G.get("mnist/step/" + name)[0];
            double sum = 0, abs = 0;
            for (float v : g) {
                sum += v;
                abs += Math.abs(v);
            }
            // sums over up to 1.2M float32 terms: compared relative to the sum of magnitudes
            double absWant = G.get("mnist/grad_abssum/" + name)[0];
            assertEquals(absWant, abs, 1e-5 * absWant, name + " gradient |sum|");
            assertEquals(G.get("mnist/grad_sum/" + name)[0], sum, 1e-5 * absWant, name + " gradient sum");
            Golden.assertMatches(G.get("mnist/grad/" + name), sample(g, step), name + " gradient samples");
        }
        optimizer.step();
        for (String name : NAMES) {
            int step = (int) G.get("mnist/step/" + name)[0];
            double[] want = G.get("mnist/param_after/" + name), gradWant = G.get("mnist/grad/" + name);
            float[] got = sample(params.get(name).toFloatArray(), step);
            for (int i = 0; i < want.length; i++) {
                // Adam's first step moves a parameter by lr·g/(|g| + eps): for a gradient that cancels
                // to rounding noise (f.0.bias[27]: 7.1e-8 in PyTorch, against ~1e-3 for its neighbours)
                // the step depends on the noise digits, which no two summation orders share. The
                // gradient itself is checked above (within 1e-6); the step is checked to be at most lr.
                double tol = Math.abs(gradWant[i]) < 1e-6 ? 1e-3 + 1e-6 : 1e-6 + 1e-5 * Math.abs(want[i]);
                if (!(Math.abs(want[i] - got[i]) <= tol)) {
                    throw new AssertionError(name + " after one Adam step[" + i + "]: PyTorch " + want[i]
                            + ", vectorgrad " + got[i] + " (gradient " + gradWant[i] + ")");
                }
            }
        }
    }

    private static float[] sample(float[] v, int step) {
        float[] out = new float[(v.length + step - 1) / step];
        for (int i = 0, j = 0; i < v.length; i += step) out[j++] = v[i];
        return out;
    }
}
