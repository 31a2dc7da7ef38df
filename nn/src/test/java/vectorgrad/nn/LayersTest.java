package vectorgrad.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;
import vectorgrad.autograd.Tensor;
import vectorgrad.nn.layers.AbstractBatchNorm;
import vectorgrad.nn.layers.BatchNorm1d;
import vectorgrad.nn.layers.BatchNorm2d;
import vectorgrad.nn.layers.Conv2d;
import vectorgrad.nn.layers.Dropout2d;
import vectorgrad.nn.layers.Flatten;
import vectorgrad.nn.layers.Linear;
import vectorgrad.nn.layers.MaxPool2d;
import vectorgrad.nn.layers.ReLU;

/** The MNIST model's layers: shapes as the textbook's comments, names as PyTorch's, default init. */
class LayersTest {
    static Sequential seedModel() {
        return new Sequential(
                new Conv2d(1, 32, 3, 1),
                new ReLU(),
                new Conv2d(32, 64, 3, 1),
                new MaxPool2d(2),
                new Dropout2d(0.25),
                new Flatten(1),
                new Linear(9216, 128),
                new ReLU(),
                new Dropout2d(0.5),
                new Linear(128, 10));
    }

    static final class Classifier extends Module {
        final Sequential f = seedModel();
    }

    /**
     * A Conv2d followed by a ReLU runs fused in a Sequential: the same output and gradients as the layers
     * one after the other; a ReLU subclass (whose forward may differ) is not fused.
     */
    @Test
    void sequentialFusesAConvolutionAndItsReluWithTheSameResults() {
        Sequential f = new Sequential(new Conv2d(3, 8, 3, 1), new ReLU(), new Conv2d(8, 4, 3, 1), new ReLU());
        Tensor x = Tensor.randn(2, 3, 9, 9);
        float[][] outs = new float[2][];
        float[][][] grads = new float[2][][];
        for (int fused = 0; fused < 2; fused++) {
            f.zeroGrad();
            Tensor h = x;
            if (fused == 1) h = f.forward(h);
            else for (int i = 0; i < f.size(); i++) h = f.get(i).forward(h);
            outs[fused] = h.toFloatArray();
            h.sum().backward();
            List<Parameter> ps = f.parameters();
            grads[fused] = new float[ps.size()][];
            for (int k = 0; k < ps.size(); k++)
                grads[fused][k] = ps.get(k).grad().toFloatArray();
        }
        assertArrayEquals(outs[0], outs[1], 0f);
        for (int k = 0; k < grads[0].length; k++) assertArrayEquals(grads[0][k], grads[1][k], 0f, "parameter " + k);

        Sequential negated = new Sequential(new Conv2d(1, 2, 3, 1), new ReLU() {
            @Override
            public Tensor forward(Tensor t) {
                return t.neg().relu();
            }
        });
        // with zero input the convolution gives its bias: the subclass's forward (relu of the negation) ran
        float[] bias = ((Conv2d) negated.get(0)).bias.toFloatArray();
        float[] got = negated.forward(Tensor.zeros(1, 1, 5, 5)).toFloatArray();
        for (int c = 0; c < 2; c++) assertEquals(Math.max(0f, -bias[c]), got[c * 9], 0f, "channel " + c);
    }

    /**
     * A BatchNorm2d or BatchNorm1d followed by a ReLU runs fused in a Sequential: the same outputs, gradients
     * and running statistics as the layers one after the other, in training and in eval mode.
     */
    @Test
    void sequentialFusesABatchNormAndItsReluWithTheSameResults() {
        Sequential conv = new Sequential(new Conv2d(3, 8, 3, 1), new BatchNorm2d(8), new ReLU());
        Sequential mlp = new Sequential(new Linear(6, 5), new BatchNorm1d(5), new ReLU(), new Linear(5, 2));
        Tensor[] inputs = {Tensor.randn(4, 3, 9, 9), Tensor.randn(7, 6)};
        Sequential[] models = {conv, mlp};
        for (int m = 0; m < 2; m++) {
            Sequential f = models[m];
            AbstractBatchNorm bn = (AbstractBatchNorm) f.get(1);
            for (boolean training : new boolean[] {true, false}) {
                f.train(training);
                float[][] outs = new float[2][], stats = new float[2][];
                float[][][] grads = new float[2][][];
                for (int fused = 0; fused < 2; fused++) {
                    if (training) bn.resetRunningStats();
                    f.zeroGrad();
                    Tensor h = inputs[m];
                    if (fused == 1) h = f.forward(h);
                    else for (int i = 0; i < f.size(); i++) h = f.get(i).forward(h);
                    outs[fused] = h.toFloatArray();
                    if (m == 0) assertEquals(fused == 1 ? "batch_norm+relu" : "relu", h.gradFnName());
                    stats[fused] = bn.runningVar().toFloatArray();
                    h.sum().backward();
                    List<Parameter> ps = f.parameters();
                    grads[fused] = new float[ps.size()][];
                    for (int k = 0; k < ps.size(); k++)
                        grads[fused][k] = ps.get(k).grad().toFloatArray();
                }
                String at = "model " + m + ", training " + training;
                assertArrayEquals(outs[0], outs[1], 0f, at);
                assertArrayEquals(stats[0], stats[1], 0f, at + ": running_var");
                for (int k = 0; k < grads[0].length; k++)
                    assertArrayEquals(grads[0][k], grads[1][k], 0f, at + ": parameter " + k);
            }
        }
    }

    /**
     * A batch norm's forwardAddRelu gives the values and gradients of its forward, the add and relu, in
     * training and eval mode, for BatchNorm2d and BatchNorm1d; a null or mismatched residual is refused
     * before the layer counts a batch.
     */
    @Test
    void batchNormForwardAddReluIsTheThreeOps() {
        AbstractBatchNorm[] layers = {new BatchNorm2d(4), new BatchNorm1d(4)};
        int[][] shapes = {{3, 4, 5, 5}, {6, 4}};
        for (int l = 0; l < 2; l++) {
            AbstractBatchNorm bn = layers[l];
            Tensor x = Tensor.randn(shapes[l]), res = Tensor.randn(shapes[l]);
            for (boolean training : new boolean[] {true, false}) {
                bn.train(training);
                float[][] outs = new float[2][], grads = new float[2][], resGrads = new float[2][];
                for (int fused = 0; fused < 2; fused++) {
                    bn.zeroGrad();
                    Tensor xi = x.detach().requiresGrad(true), ri = res.detach().requiresGrad(true);
                    Tensor y = fused == 1
                            ? bn.forwardAddRelu(xi, ri)
                            : bn.forward(xi).add(ri).relu();
                    if (fused == 1) assertEquals("batch_norm+add+relu", y.gradFnName());
                    outs[fused] = y.toFloatArray();
                    y.sum().backward();
                    grads[fused] = xi.grad().toFloatArray();
                    resGrads[fused] = ri.grad().toFloatArray();
                }
                String at = bn.getClass().getSimpleName() + ", training " + training;
                assertArrayEquals(outs[0], outs[1], 0f, at);
                assertArrayEquals(grads[0], grads[1], 0f, at);
                assertArrayEquals(resGrads[0], resGrads[1], 0f, at);
            }
            bn.train(true);
            float counted = bn.getBuffer("num_batches_tracked").item();
            Tensor xs = Tensor.randn(shapes[l]);
            IllegalArgumentException e =
                    assertThrows(IllegalArgumentException.class, () -> bn.forwardAddRelu(xs, null));
            assertTrue(e.getMessage().contains("residual is null"), e.getMessage());
            e = assertThrows(IllegalArgumentException.class, () -> bn.forwardAddRelu(xs, Tensor.randn(2, 4)));
            assertTrue(e.getMessage().contains("does not match input"), e.getMessage());
            assertEquals(counted, bn.getBuffer("num_batches_tracked").item(), 0f, "no batch counted");
        }
    }

    @Test
    void shapesFollowTheTextbooksComments() {
        Sequential f = seedModel();
        Tensor x = Tensor.rand(5, 1, 28, 28);
        Tensor h = x;
        int[][] want = {
            {5, 32, 26, 26},
            {5, 32, 26, 26},
            {5, 64, 24, 24},
            {5, 64, 12, 12},
            {5, 64, 12, 12},
            {5, 9216},
            {5, 128},
            {5, 128},
            {5, 128},
            {5, 10}
        };
        for (int i = 0; i < f.size(); i++) {
            h = f.get(i).forward(h);
            assertArrayEquals(want[i], h.shape(), "after layer " + i);
        }
    }

    @Test
    void parameterNamesAreTorchsStateDictKeys() {
        assertEquals(
                List.of(
                        "f.0.weight",
                        "f.0.bias",
                        "f.2.weight",
                        "f.2.bias",
                        "f.6.weight",
                        "f.6.bias",
                        "f.9.weight",
                        "f.9.bias"),
                List.copyOf(new Classifier().namedParameters().keySet()));
    }

    @Test
    void defaultInitIsUniformWithinOneOverSqrtFanIn() {
        Tensor.manualSeed(1);
        Linear l = new Linear(9216, 128);
        float bound = (float) (1 / Math.sqrt(9216));
        float max = 0, sum = 0;
        for (float v : l.weight.toFloatArray()) {
            max = Math.max(max, Math.abs(v));
            sum += v;
        }
        assertTrue(max <= bound && max > 0.99f * bound, "max |w| " + max + " vs bound " + bound);
        assertEquals(0, sum / l.weight.numel(), bound / 100);
        Conv2d c = new Conv2d(32, 64, 3, 1);
        float cb = (float) (1 / Math.sqrt(32 * 9));
        for (float v : c.bias.toFloatArray()) assertTrue(Math.abs(v) <= cb);
        Tensor.manualSeed(1);
        assertArrayEquals(l.weight.toFloatArray(), new Linear(9216, 128).weight.toFloatArray(), "seeded init repeats");
    }

    @Test
    void evalTurnsDropoutOff() {
        Classifier m = new Classifier();
        Tensor x = Tensor.rand(2, 1, 28, 28);
        m.eval();
        float[] a = m.f.forward(x).toFloatArray(), b = m.f.forward(x).toFloatArray();
        assertArrayEquals(a, b, "eval mode is deterministic");
        m.train(true);
        float[] c = m.f.forward(x).toFloatArray(), d = m.f.forward(x).toFloatArray();
        boolean differs = false;
        for (int i = 0; i < c.length; i++) differs |= c[i] != d[i];
        assertTrue(differs, "training mode drops at random");
        Dropout2d drop = new Dropout2d(0.5);
        drop.eval();
        Tensor y = Tensor.ones(3, 4);
        assertSame(y, drop.forward(y));
    }

    /**
     * The same forward and backward, repeated while the JIT compiles the kernels, gives the same bits
     * every time (this once failed: reduceLanes(ADD) sums in a different order once compiled).
     */
    @Test
    void repeatsBitForBitAcrossJitCompilation() {
        Tensor.manualSeed(3);
        Classifier m = new Classifier();
        m.eval();
        Tensor x = Tensor.rand(3, 1, 28, 28);
        Tensor y = Tensor.ofInts(new int[] {1, 7, 9}, 3);
        float[] first = null;
        for (int run = 0; run < 40; run++) {
            m.zeroGrad();
            Tensor e = Functional.crossEntropy(m.f.forward(x), y);
            e.backward();
            float[] now = concat(e, m);
            if (first == null) first = now;
            else assertArrayEquals(first, now, 0f, "run " + run);
        }
    }

    private static float[] concat(Tensor e, Module m) {
        java.util.List<float[]> parts = new java.util.ArrayList<>();
        parts.add(new float[] {e.item()});
        for (Parameter p : m.parameters()) parts.add(p.grad().toFloatArray());
        int n = 0;
        for (float[] p : parts) n += p.length;
        float[] out = new float[n];
        int o = 0;
        for (float[] p : parts) {
            System.arraycopy(p, 0, out, o, p.length);
            o += p.length;
        }
        return out;
    }

    @Test
    void reprNamesTheLayers() {
        String s = seedModel().toString();
        assertTrue(s.contains("(0): Conv2d(1, 32, kernel_size=(3, 3), stride=(1, 1))"), s);
        assertTrue(s.contains("(6): Linear(in_features=9216, out_features=128, bias=True)"), s);
    }
}
