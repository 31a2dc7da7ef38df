package vectorgrad.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.function.Function;
import org.junit.jupiter.api.Test;
import vectorgrad.autograd.Tensor;
import vectorgrad.nn.layers.AbstractBatchNorm;
import vectorgrad.nn.layers.BatchNorm1d;
import vectorgrad.nn.layers.BatchNorm2d;
import vectorgrad.nn.loss.CrossEntropyLoss;

/**
 * The toolkit's layers and losses against PyTorch 1.13 (golden/toolkit.txt, made by
 * bench/scripts/toolkit_golden.py): each case's output and the gradient of {@code Σ y·wave} with
 * respect to its input and parameters.
 */
class ToolkitParityTest {
    private static final Golden G = new Golden("/golden/toolkit.txt");

    /** {@code s·sin(a·i + b)} over the flat index, rounded to float32, as the script's {@code wave}. */
    static Tensor wave(int[] shape, double a, double b, double s) {
        int n = 1;
        for (int d : shape) n *= d;
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (float) (s * Math.sin(a * i + b));
        return Tensor.of(v, shape);
    }

    private static void check(String key, Tensor got, double rtol, double atol) {
        double[] want = G.get(key);
        float[] g = got.toFloatArray();
        assertEquals(want.length, g.length, key + ": element count");
        for (int i = 0; i < want.length; i++) {
            if (!(Math.abs(want[i] - g[i]) <= atol + rtol * Math.abs(want[i])))
                throw new AssertionError(key + "[" + i + "]: PyTorch " + want[i] + ", vectorgrad " + g[i]);
        }
    }

    /** Runs {@code f}, backpropagates {@code Σ y·wave(0.21, 0.3)}, checks y and dx. Returns nothing: grads stay on the leaves. */
    private static void runCase(String name, Tensor x, Function<Tensor, Tensor> f, double rtol, double atol) {
        Tensor leaf = x.clone().detach().requiresGrad(true);
        Tensor y = f.apply(leaf);
        y.mul(wave(y.shape(), 0.21, 0.3, 1.0)).sum().backward();
        check(name + ".y", y, rtol, atol);
        check(name + ".dx", leaf.grad(), rtol, atol);
    }

    private static void runCase(String name, Tensor x, Function<Tensor, Tensor> f) {
        runCase(name, x, f, 1e-5, 1e-6);
    }

    @Test
    void batchNormTrainingEvalAndRunningStatistics() {
        Object[][] cases = {{"bn2d", new int[] {3, 4, 5, 5}}, {"bn1d", new int[] {6, 3}}, {"bn1d3", new int[] {4, 3, 7}}
        };
        for (Object[] c : cases) {
            String name = (String) c[0];
            int[] shape = (int[]) c[1];
            AbstractBatchNorm bn = shape.length == 4 ? new BatchNorm2d(shape[1]) : new BatchNorm1d(shape[1]);
            try (var ignored = Tensor.noGrad()) {
                bn.weight.copy_(wave(new int[] {shape[1]}, 0.9, 0.4, 0.5).add(1));
                bn.bias.copy_(wave(new int[] {shape[1]}, 0.7, 0.1, 0.3));
            }
            Tensor x = wave(shape, 0.37, 0.1, 2.0).add(0.5);
            runCase(name + ".train", x, bn::forward, 1e-4, 1e-5);
            check(name + ".train.dweight", bn.weight.grad(), 1e-4, 1e-5);
            check(name + ".train.dbias", bn.bias.grad(), 1e-4, 1e-5);
            bn.forward(wave(shape, 0.53, 0.2, 1.5));
            check(name + ".running_mean", bn.runningMean(), 1e-5, 1e-6);
            check(name + ".running_var", bn.runningVar(), 1e-5, 1e-6);
            assertEquals(2f, bn.getBuffer("num_batches_tracked").item());
            bn.zeroGrad();
            bn.eval();
            runCase(name + ".eval", x, bn::forward, 1e-4, 1e-5);
            check(name + ".eval.dweight", bn.weight.grad(), 1e-4, 1e-5);
            check(name + ".eval.dbias", bn.bias.grad(), 1e-4, 1e-5);
        }
    }

    @Test
    void averagePooling() {
        Tensor x = wave(new int[] {2, 3, 9, 8}, 0.41, 0.2, 1.0);
        runCase(
                "avgpool.k3s2p1",
                x,
                t -> Functional.avgPool2d(t, new int[] {3}, new int[] {2}, new int[] {1}, false, true));
        runCase(
                "avgpool.k3s2p1.ceil.exclude",
                x,
                t -> Functional.avgPool2d(t, new int[] {3}, new int[] {2}, new int[] {1}, true, false));
        runCase("avgpool.k2", x, t -> Functional.avgPool2d(t, 2));
        Tensor y = wave(new int[] {2, 3, 7, 5}, 0.29, 0.6, 1.0);
        runCase("adaptive.3x2", y, t -> Functional.adaptiveAvgPool2d(t, 3, 2));
        runCase("adaptive.1", y, t -> Functional.adaptiveAvgPool2d(t, 1));
        runCase(
                "adaptive.unbatched",
                wave(new int[] {3, 7, 5}, 0.29, 0.6, 1.0),
                t -> Functional.adaptiveAvgPool2d(t, 4));
    }

    @Test
    void activations() {
        Tensor x = wave(new int[] {37}, 0.83, 0.0, 4.0);
        runCase("gelu", x, Functional::gelu);
        runCase("gelu.tanh", x, t -> Functional.gelu(t, "tanh"));
        runCase("silu", x, Functional::silu);
        runCase("leaky_relu", x, t -> Functional.leakyRelu(t, 0.2));
        runCase("elu", x, t -> Functional.elu(t, 1.3));
    }

    @Test
    void regressionLosses() {
        Tensor x = wave(new int[] {5, 4}, 0.61, 0.2, 2.0), target = wave(new int[] {5, 4}, 0.47, 0.9, 1.5);
        for (String r : new String[] {"mean", "sum", "none"}) {
            runCase("smooth_l1." + r, x, t -> Functional.smoothL1Loss(t, target, r, 0.5));
            runCase("huber." + r, x, t -> Functional.huberLoss(t, target, r, 0.7));
            runCase("mse." + r, x, t -> Functional.mseLoss(t, target, r));
            runCase("l1." + r, x, t -> Functional.l1Loss(t, target, r));
        }
    }

    @Test
    void binaryLosses() {
        Tensor probs = wave(new int[] {5, 4}, 0.61, 0.2, 2.0).sigmoid();
        float[] l = wave(new int[] {5, 4}, 0.47, 0.9, 1.0).toFloatArray();
        for (int i = 0; i < l.length; i++) l[i] = (l[i] > 0 ? 1f : 0f) * 0.9f + 0.05f;
        Tensor labels = Tensor.of(l, 5, 4);
        Tensor weight = wave(new int[] {4}, 0.5, 0.3, 0.4).add(1),
                posWeight = wave(new int[] {4}, 0.8, 0.1, 0.5).add(1.5);
        Tensor x = wave(new int[] {5, 4}, 0.61, 0.2, 2.0);
        for (String r : new String[] {"mean", "sum", "none"}) {
            runCase("bce." + r, probs, t -> Functional.binaryCrossEntropy(t, labels, weight, r), 1e-5, 1e-5);
            runCase(
                    "bce_logits." + r,
                    x,
                    t -> Functional.binaryCrossEntropyWithLogits(t, labels, weight, posWeight, r));
        }
    }

    @Test
    void classificationLosses() {
        Tensor logits = wave(new int[] {6, 5}, 0.53, 0.4, 2.0);
        Tensor classes = Tensor.ofInts(new int[] {0, 3, -100, 4, 1, 3}, 6);
        Tensor w = wave(new int[] {5}, 0.9, 0.2, 0.5).add(1);
        for (String r : new String[] {"mean", "sum", "none"}) {
            runCase("nll." + r, logits, t -> Functional.nllLoss(Functional.logSoftmax(t, 1), classes, w, -100, r));
            runCase("ce.weight." + r, logits, t -> Functional.crossEntropy(t, classes, w, -100, 0, r));
            runCase("ce.smooth." + r, logits, t -> new CrossEntropyLoss(null, -100, r, 0.1).forward(t, classes));
            runCase("ce.weight.smooth." + r, logits, t -> Functional.crossEntropy(t, classes, w, -100, 0.2, r));
        }
    }

    @Test
    void varianceStdAndLinspace() {
        Tensor x = wave(new int[] {4, 6}, 0.31, 0.5, 2.0);
        runCase("var.unbiased", x, t -> t.var(1, true, false));
        runCase("std.biased", x, t -> t.std(0, false, false));
        check("linspace", Tensor.linspace(-1.3, 2.9, 11), 1e-6, 1e-7);
    }

    @Test
    void layerNormAndEmbedding() {
        var ln = new vectorgrad.nn.layers.LayerNorm(4, 5);
        try (var ignored = Tensor.noGrad()) {
            ln.weight.copy_(wave(new int[] {4, 5}, 0.9, 0.4, 0.5).add(1));
            ln.bias.copy_(wave(new int[] {4, 5}, 0.7, 0.1, 0.3));
        }
        runCase("layernorm.affine", wave(new int[] {3, 4, 5}, 0.37, 0.1, 2.0).add(0.5), ln::forward, 1e-4, 1e-5);
        check("layernorm.affine.dweight", ln.weight.grad(), 1e-4, 1e-5);
        check("layernorm.affine.dbias", ln.bias.grad(), 1e-4, 1e-5);
        runCase(
                "layernorm.plain",
                wave(new int[] {6, 33}, 0.23, 0.4, 3.0),
                t -> Functional.layerNorm(t, new int[] {33}, null, null, 1e-3),
                1e-4,
                1e-5);
        var emb = new vectorgrad.nn.layers.Embedding(10, 4, 3, Tensor.defaultGenerator());
        try (var ignored = Tensor.noGrad()) {
            emb.weight.copy_(wave(new int[] {10, 4}, 0.61, 0.2, 1.0));
        }
        Tensor y = emb.forward(Tensor.ofInts(new int[] {1, 3, 3, 0, 9, 1}, 2, 3));
        y.mul(wave(y.shape(), 0.21, 0.3, 1.0)).sum().backward();
        check("embedding.y", y, 1e-6, 1e-7);
        check("embedding.dweight", emb.weight.grad(), 1e-6, 1e-7);
        assertEquals("Embedding(10, 4, padding_idx=3)", emb.toString());
        assertEquals("LayerNorm((4, 5), eps=1.0E-5, elementwise_affine=True)", ln.toString());
    }

    @Test
    void transposedAndSamePaddedConvolutions() {
        Tensor x = wave(new int[] {2, 3, 5, 4}, 0.41, 0.2, 1.0);
        Object[][] cases = {
            {"convt.s2p1op1", new int[] {3, 4, 3, 3}, new int[] {2, 1, 1, 1, 1}},
            {"convt.d2.groups", new int[] {3, 2, 2, 3}, new int[] {1, 0, 0, 2, 3}
            }, // stride, pad, output pad, dil, groups
        };
        for (Object[] c : cases) {
            String name = (String) c[0];
            int[] ws = (int[]) c[1], g = (int[]) c[2];
            Tensor w = wave(ws, 0.53, 0.7, 0.4).requiresGrad(true);
            Tensor b = wave(new int[] {ws[1] * g[4]}, 0.3, 0.2, 0.5).requiresGrad(true);
            runCase(
                    name,
                    x,
                    t -> Functional.convTranspose2d(
                            t, w, b, new int[] {g[0]}, new int[] {g[1]}, new int[] {g[2]}, g[4], new int[] {g[3]}),
                    1e-4,
                    1e-5);
            check(name + ".dweight", w.grad(), 1e-4, 1e-5);
            check(name + ".dbias", b.grad(), 1e-4, 1e-5);
        }
        Tensor x2 = wave(new int[] {2, 3, 7, 6}, 0.29, 0.6, 1.0);
        Object[][] same = {{"conv.same.k4", 4, 4, 1}, {"conv.same.k3d2", 3, 3, 2}, {"conv.same.k2x5", 2, 5, 1}};
        for (Object[] c : same) {
            String name = (String) c[0];
            int kh = (int) c[1], kw = (int) c[2], dil = (int) c[3];
            Tensor w = wave(new int[] {5, 3, kh, kw}, 0.47, 0.1, 0.4).requiresGrad(true);
            runCase(
                    name,
                    x2,
                    t -> Functional.conv2d(t, w, null, new int[] {1}, "same", new int[] {dil}, 1),
                    1e-4,
                    1e-5);
            check(name + ".dweight", w.grad(), 1e-4, 1e-5);
        }
        var layer = new vectorgrad.nn.layers.Conv2d(
                3, 5, 4, vectorgrad.nn.layers.Conv2d.options().padding("same"));
        assertEquals(
                java.util.List.of(2, 5, 7, 6),
                java.util.Arrays.stream(layer.forward(x2).shape()).boxed().toList());
        var up = new vectorgrad.nn.layers.ConvTranspose2d(
                3,
                8,
                3,
                vectorgrad.nn.layers.ConvTranspose2d.options()
                        .stride(2)
                        .padding(1)
                        .outputPadding(1));
        assertEquals(
                java.util.List.of(2, 8, 10, 8),
                java.util.Arrays.stream(up.forward(x).shape()).boxed().toList());
        assertEquals(
                "ConvTranspose2d(3, 8, kernel_size=(3, 3), stride=(2, 2), padding=(1, 1), output_padding=(1, 1))",
                up.toString());
        var e = org.junit.jupiter.api.Assertions.assertThrows(
                IllegalArgumentException.class,
                () -> new vectorgrad.nn.layers.Conv2d(
                        3, 5, 3, vectorgrad.nn.layers.Conv2d.options().stride(2).padding("same")));
        assertEquals("padding='same' is not supported for strided convolutions", e.getMessage());
    }

    private static void attentionCase(String name, int[][] shapes, Tensor mask, boolean causal) {
        Tensor q = wave(shapes[0], 0.37, 0.1, 1.0).requiresGrad(true),
                k = wave(shapes[1], 0.53, 0.4, 1.0).requiresGrad(true),
                v = wave(shapes[2], 0.29, 0.7, 1.0).requiresGrad(true);
        Tensor y = Functional.scaledDotProductAttention(q, k, v, mask, 0, causal);
        y.mul(wave(y.shape(), 0.21, 0.3, 1.0)).sum().backward();
        check(name + ".y", y, 1e-5, 1e-6);
        check(name + ".dq", q.grad(), 1e-4, 1e-5);
        check(name + ".dk", k.grad(), 1e-4, 1e-5);
        check(name + ".dv", v.grad(), 1e-4, 1e-5);
    }

    @Test
    void scaledDotProductAttentionAndMultiheadAttention() {
        int[] s = {2, 3, 5, 4};
        attentionCase("sdpa.causal", new int[][] {s, s, s}, null, true);
        attentionCase("sdpa.float_mask", new int[][] {s, s, s}, wave(new int[] {5, 5}, 0.91, 0.3, 2.0), false);
        int[] keep = new int[35];
        for (int i = 0; i < 35; i++) keep[i] = i % 3 != 1 ? 1 : 0;
        attentionCase(
                "sdpa.bool_mask", new int[][] {{2, 5, 4}, {2, 7, 4}, {2, 7, 6}}, Tensor.ofInts(keep, 5, 7), false);

        var mha = new vectorgrad.nn.layers.MultiheadAttention(8, 2, 0.0, true, true, Tensor.defaultGenerator());
        try (var ignored = Tensor.noGrad()) {
            mha.in_proj_weight.copy_(wave(new int[] {24, 8}, 0.43, 0.2, 0.4));
            mha.in_proj_bias.copy_(wave(new int[] {24}, 0.71, 0.5, 0.1));
            mha.out_proj.weight.copy_(wave(new int[] {8, 8}, 0.61, 0.9, 0.4));
            mha.out_proj.bias.copy_(wave(new int[] {8}, 0.33, 0.1, 0.1));
        }
        runCase(
                "mha.causal",
                wave(new int[] {2, 5, 8}, 0.37, 0.1, 1.0),
                t -> mha.forward(t, t, t, null, true),
                1e-4,
                1e-5);
        check("mha.causal.din_proj_weight", mha.in_proj_weight.grad(), 1e-4, 1e-5);
        check("mha.causal.dout_proj_weight", mha.out_proj.weight.grad(), 1e-4, 1e-5);
        assertEquals(
                java.util.List.of("in_proj_weight", "in_proj_bias", "out_proj.weight", "out_proj.bias"),
                java.util.List.copyOf(mha.stateDict().keySet()));
    }

    @Test
    void multiheadAttentionWeightsAndKeyPaddingMask() {
        var mha = new vectorgrad.nn.layers.MultiheadAttention(8, 2);
        try (var ignored = Tensor.noGrad()) {
            mha.in_proj_weight.copy_(wave(new int[] {24, 8}, 0.47, 0.3, 0.4));
            mha.in_proj_bias.copy_(wave(new int[] {24}, 0.67, 0.2, 0.1));
            mha.out_proj.weight.copy_(wave(new int[] {8, 8}, 0.59, 0.7, 0.4));
            mha.out_proj.bias.copy_(wave(new int[] {8}, 0.31, 0.4, 0.1));
        }
        Tensor padding = Tensor.ofInts(new int[] {0, 0, 0, 0, 1, 1, 0, 1, 0, 0, 0, 0}, 2, 6);
        for (boolean causal : new boolean[] {false, true}) {
            String name = causal ? "mha.weights.heads.causal" : "mha.weights";
            mha.zeroGrad();
            Tensor q = wave(new int[] {5, 2, 8}, 0.37, 0.1, 1.0).requiresGrad(true);
            Tensor kv = wave(new int[] {6, 2, 8}, 0.23, 0.5, 1.0).requiresGrad(true);
            Tensor mask = causal ? null : wave(new int[] {5, 6}, 0.77, 0.1, 1.0);
            var r = mha.forward(q, kv, kv, padding, true, mask, !causal, causal);
            assertEquals(
                    java.util.Arrays.toString(causal ? new int[] {2, 2, 5, 6} : new int[] {2, 5, 6}),
                    java.util.Arrays.toString(r.weights().shape()));
            r.output()
                    .mul(wave(r.output().shape(), 0.21, 0.3, 1.0))
                    .sum()
                    .add(r.weights()
                            .mul(wave(r.weights().shape(), 0.21, 0.3, 1.0))
                            .sum())
                    .backward();
            check(name + ".y", r.output(), 1e-4, 1e-5);
            check(name + ".weights", r.weights(), 1e-4, 1e-5);
            check(name + ".dquery", q.grad(), 1e-4, 1e-5);
            check(name + ".dkey", kv.grad(), 1e-4, 1e-5);
            check(name + ".din_proj_weight", mha.in_proj_weight.grad(), 1e-4, 1e-5);
        }
        // without weights or padding mask: the blocked kernel's path, the same output as the explicit one
        Tensor x = wave(new int[] {5, 2, 8}, 0.37, 0.1, 1.0);
        float[] fast =
                mha.forward(x, x, x, null, false, null, true, true).output().toFloatArray();
        float[] explicit =
                mha.forward(x, x, x, null, true, null, true, true).output().toFloatArray();
        for (int i = 0; i < fast.length; i++) assertEquals(explicit[i], fast[i], 1e-5, "element " + i);
        var bad = assertThrows(
                IllegalArgumentException.class,
                () -> mha.forward(x, x, x, Tensor.ofInts(new int[5], 1, 5), false, null, true, false));
        assertEquals("MultiheadAttention: key_padding_mask should be [2, 5], got [1, 5]", bad.getMessage());
    }
}
