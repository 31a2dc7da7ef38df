package vectorgrad.autograd;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static vectorgrad.autograd.GradCheck.distinct;
import static vectorgrad.autograd.GradCheck.property;
import static vectorgrad.autograd.GradCheck.uniform;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import vectorgrad.autograd.internal.MlpOp;
import vectorgrad.autograd.internal.NeuralOps;

/** Gradient properties of the neural-network ops, and their shape errors. */
class NeuralOpsPropertiesTest {
    @Test
    void linear() {
        property(
                "linear",
                r -> {
                    int b = r.nextInt(1, 4), in = r.nextInt(1, 6), out = r.nextInt(1, 6);
                    return new Tensor[] {
                        uniform(r, new int[] {b, in}, -1, 1),
                        uniform(r, new int[] {out, in}, -1, 1),
                        uniform(r, new int[] {out}, -1, 1)
                    };
                },
                x -> NeuralOps.linear(x[0], x[1], x[2]));
    }

    @Test
    void mlp() {
        property(
                "mlp",
                r -> {
                    int b = r.nextInt(1, 4), in = r.nextInt(1, 6), hidden = r.nextInt(1, 7), out = r.nextInt(1, 5);
                    return new Tensor[] {
                        uniform(r, new int[] {b, in}, -1, 1),
                        uniform(r, new int[] {hidden, in}, -1, 1),
                        uniform(r, new int[] {hidden}, -1, 1),
                        uniform(r, new int[] {out, hidden}, -1, 1),
                        uniform(r, new int[] {out}, -1, 1)
                    };
                },
                x -> MlpOp.mlp(x[0], x[1], x[2], x[3], x[4]));
    }

    /**
     * The fused MLP gives the bits of linear, gelu and linear written out, forward and every gradient, where
     * the hidden rows are whole vectors (256 floats) and the products large enough to be packed and, on two
     * threads, split by rows (2^24 flops: sgemm's threshold), with and without biases, [B, T, in] input; the
     * absent biases get no gradient.
     */
    @Test
    void mlpGivesTheBitsOfItsThreeOps() {
        int saved = Threads.getNumThreads();
        try {
            for (int threads = 1; threads <= 2; threads++) {
                Threads.setNumThreads(threads);
                for (boolean biases : new boolean[] {true, false}) {
                    SplittableRandom r = new SplittableRandom(7 + threads);
                    Tensor x = uniform(r, new int[] {4, 128, 64}, -2, 2),
                            w1 = uniform(r, new int[] {256, 64}, -1, 1),
                            b1 = biases ? uniform(r, new int[] {256}, -1, 1) : null,
                            w2 = uniform(r, new int[] {64, 256}, -1, 1),
                            b2 = biases ? uniform(r, new int[] {64}, -1, 1) : null,
                            up = uniform(r, new int[] {4, 128, 64}, -1, 1);
                    Tensor[] params = biases ? new Tensor[] {x, w1, b1, w2, b2} : new Tensor[] {x, w1, w2};
                    float[][] fused = mlpRun(params, () -> MlpOp.mlp(x, w1, b1, w2, b2), up);
                    float[][] composed = mlpRun(
                            params,
                            () -> NeuralOps.linear(NeuralOps.gelu(NeuralOps.linear(x, w1, b1), "none"), w2, b2),
                            up);
                    for (int i = 0; i < fused.length; i++)
                        assertArrayEquals(
                                composed[i],
                                fused[i],
                                0f,
                                "output or gradient " + i + ", biases " + biases + ", " + threads + " threads");
                }
            }
        } finally {
            Threads.setNumThreads(saved);
        }
        assertThrows(
                IllegalArgumentException.class,
                () -> MlpOp.mlp(Tensor.zeros(2, 5), Tensor.zeros(8, 5), null, Tensor.zeros(3, 7), null));
    }

    /** The output and each parameter's gradient after one backward of {@code up}. */
    private static float[][] mlpRun(Tensor[] params, java.util.function.Supplier<Tensor> f, Tensor up) {
        for (Tensor p : params) {
            p.requiresGrad(true);
            p.setGrad(null);
        }
        Tensor y = f.get();
        y.backward(up);
        float[][] out = new float[params.length + 1][];
        out[0] = y.toFloatArray();
        for (int i = 0; i < params.length; i++) out[i + 1] = params[i].grad().toFloatArray();
        return out;
    }

    /** A random convolution geometry: {b, c, h, w, o, k, stride, pad, dil}. */
    private static int[] convCase(SplittableRandom r) {
        int k = r.nextInt(1, 4), d = r.nextInt(1, 3), p = r.nextInt(0, 2), s = r.nextInt(1, 3);
        int min = Math.max(1, d * (k - 1) + 1 - 2 * p);
        return new int[] {
            r.nextInt(1, 3), r.nextInt(1, 3), r.nextInt(min, 7), r.nextInt(min, 7), r.nextInt(1, 4), k, s, p, d
        };
    }

    @Test
    void conv2d() {
        property(
                "conv2d",
                r -> {
                    int[] c = convCase(r);
                    return new Tensor[] {
                        uniform(r, new int[] {c[0], c[1], c[2], c[3]}, -1, 1),
                        uniform(r, new int[] {c[4], c[1], c[5], c[5]}, -1, 1),
                        uniform(r, new int[] {c[4]}, -1, 1),
                        Tensor.ofInts(new int[] {c[6], c[7], c[8]}, 3)
                    };
                },
                x -> {
                    int[] spd = x[3].toIntArray();
                    return NeuralOps.conv2d(
                            x[0], x[1], x[2], new int[] {spd[0], spd[0]}, new int[] {spd[1], spd[1]}, new int[] {
                                spd[2], spd[2]
                            });
                });
    }

    /**
     * The fused convolution and ReLU: cases drawn until every output is at least 0.02 from the kink (a
     * 0.01 step of one input, weight or bias moves an output by at most 0.01 here, so no difference
     * crosses it).
     */
    @Test
    void conv2dRelu() {
        property(
                "conv2d+relu",
                r -> {
                    for (int attempt = 0; ; attempt++) {
                        int[] c = convCase(r);
                        c[0] = 1;
                        Tensor x = uniform(r, new int[] {c[0], c[1], c[2], c[3]}, -1, 1),
                                w = uniform(r, new int[] {c[4], c[1], c[5], c[5]}, -1, 1),
                                b = uniform(r, new int[] {c[4]}, -1, 1);
                        int[] p = {c[6], c[7], c[8]};
                        float[] y = NeuralOps.conv2d(x, w, b, pair(p[0]), pair(p[1]), pair(p[2]))
                                .toFloatArray();
                        boolean clear = true;
                        for (float v : y) clear &= Math.abs(v) >= 0.02f;
                        if (clear || attempt == 500) return new Tensor[] {x, w, b, Tensor.ofInts(p, 3)};
                    }
                },
                x -> {
                    int[] p = x[3].toIntArray();
                    return NeuralOps.conv2d(x[0], x[1], x[2], pair(p[0]), pair(p[1]), pair(p[2]), 1, true);
                });
    }

    private static int[] pair(int v) {
        return new int[] {v, v};
    }

    /** The fused op gives the bits of conv2d then relu, forward and backward, over random geometries. */
    @Test
    void conv2dReluIsConvThenRelu() {
        SplittableRandom r = new SplittableRandom(5);
        for (int t = 0; t < 40; t++) {
            int[] c = convCase(r);
            int groups = r.nextInt(1, 3);
            Tensor x = uniform(r, new int[] {c[0], groups * c[1], c[2], c[3]}, -1, 1),
                    w = uniform(r, new int[] {groups * c[4], c[1], c[5], c[5]}, -1, 1),
                    b = uniform(r, new int[] {groups * c[4]}, -1, 1);
            Tensor[][] grads = new Tensor[2][];
            float[][] outs = new float[2][];
            for (int fused = 0; fused < 2; fused++) {
                Tensor xi = x.detach().requiresGrad(true),
                        wi = w.detach().requiresGrad(true),
                        bi = b.detach().requiresGrad(true);
                Tensor y = fused == 1
                        ? NeuralOps.conv2d(xi, wi, bi, pair(c[6]), pair(c[7]), pair(c[8]), groups, true)
                        : NeuralOps.conv2d(xi, wi, bi, pair(c[6]), pair(c[7]), pair(c[8]), groups)
                                .relu();
                outs[fused] = y.toFloatArray();
                y.mul(uniform(new SplittableRandom(t), y.shape(), -1, 1)).sum().backward();
                grads[fused] = new Tensor[] {xi.grad(), wi.grad(), bi.grad()};
            }
            assertArrayEquals(outs[0], outs[1], 0f, "forward, case " + t);
            for (int k = 0; k < 3; k++)
                assertArrayEquals(
                        grads[0][k].toFloatArray(), grads[1][k].toFloatArray(), 0f, "gradient " + k + ", case " + t);
        }
    }

    /** Groups of 1-3 channels in and out: each output channel sees its own group's inputs only. */
    @Test
    void groupedConv2d() {
        property(
                "conv2d groups",
                r -> {
                    int[] c = convCase(r);
                    int groups = r.nextInt(2, 4), cg = r.nextInt(1, 3), og = r.nextInt(1, 3);
                    return new Tensor[] {
                        uniform(r, new int[] {c[0], groups * cg, c[2], c[3]}, -1, 1),
                        uniform(r, new int[] {groups * og, cg, c[5], c[5]}, -1, 1),
                        uniform(r, new int[] {groups * og}, -1, 1),
                        Tensor.ofInts(new int[] {c[6], c[7], c[8], groups}, 4)
                    };
                },
                x -> {
                    int[] a = x[3].toIntArray();
                    return NeuralOps.conv2d(
                            x[0],
                            x[1],
                            x[2],
                            new int[] {a[0], a[0]},
                            new int[] {a[1], a[1]},
                            new int[] {a[2], a[2]},
                            a[3]);
                });
    }

    // max-pool: distinct values 0.1 apart, so no window's maximum is tied or moved by a 0.01 step
    @Test
    void maxPool2d() {
        property(
                "max_pool2d",
                r -> {
                    int k = r.nextInt(1, 4), s = r.nextInt(1, 3);
                    return new Tensor[] {
                        distinct(r, new int[] {r.nextInt(1, 3), r.nextInt(1, 3), r.nextInt(k, 8), r.nextInt(k, 8)}),
                        Tensor.ofInts(new int[] {k, s, r.nextInt(0, k / 2 + 1), r.nextBoolean() ? 1 : 0}, 4)
                    };
                },
                x -> {
                    int[] a = x[1].toIntArray();
                    return NeuralOps.maxPool2d(
                            x[0],
                            new int[] {a[0], a[0]},
                            new int[] {a[1], a[1]},
                            new int[] {a[2], a[2]},
                            new int[] {1, 1},
                            a[3] == 1);
                });
    }

    @Test
    void softmaxFamily() {
        property(
                "softmax",
                r -> new Tensor[] {uniform(r, GradCheck.shape(r, 1, 3, 4), -2, 2)},
                x -> NeuralOps.softmax(x[0], -1));
        property(
                "softmax dim 0",
                r -> new Tensor[] {uniform(r, GradCheck.shape(r, 2, 3, 4), -2, 2)},
                x -> NeuralOps.softmax(x[0], 0));
        property(
                "log_softmax",
                r -> new Tensor[] {uniform(r, GradCheck.shape(r, 1, 3, 4), -2, 2)},
                x -> NeuralOps.logSoftmax(x[0], -1));
    }

    @Test
    void crossEntropy() {
        for (NeuralOps.Reduction red : NeuralOps.Reduction.values()) {
            property(
                    "cross_entropy " + red,
                    r -> {
                        int b = r.nextInt(1, 5), c = r.nextInt(2, 7);
                        int[] t = new int[b];
                        for (int i = 0; i < b; i++) t[i] = r.nextInt(c);
                        return new Tensor[] {uniform(r, new int[] {b, c}, -3, 3), Tensor.ofInts(t, b)};
                    },
                    x -> NeuralOps.crossEntropy(x[0], x[1], red));
        }
    }

    @Test
    void dropoutIsIdentityInEvalAndScaledInTraining() {
        Generator g = new Generator(3);
        Tensor x = Tensor.ones(1000);
        assertSame(x, NeuralOps.dropout(x, 0.5, false, g));
        float[] y = NeuralOps.dropout(x, 0.25, true, g).toFloatArray();
        int zeros = 0;
        for (float v : y) {
            if (v == 0f) zeros++;
            else assertEquals(1f / 0.75f, v, 1e-6f);
        }
        assertEquals(250, zeros, 60);
        // the gradient uses the same mask as the forward
        Tensor w = Tensor.ones(200).requiresGrad(true);
        Tensor out = NeuralOps.dropout(w, 0.5, true, g);
        out.sum().backward();
        assertArrayEquals(out.toFloatArray(), w.grad().toFloatArray());
    }

    @Test
    void dropout2dDropsWholeChannels() {
        Generator g = new Generator(4);
        float[] y = NeuralOps.dropout2d(Tensor.ones(2, 50, 3, 3), 0.5, true, g).toFloatArray();
        for (int ch = 0; ch < 100; ch++) {
            for (int i = 1; i < 9; i++) assertEquals(y[ch * 9], y[ch * 9 + i], "one value per channel");
        }
        // 2-D input: single elements, as PyTorch (which warns that this is deprecated)
        float[] z = NeuralOps.dropout2d(Tensor.ones(4, 100), 0.5, true, g).toFloatArray();
        boolean mixed = false;
        for (int row = 0; row < 4; row++) for (int i = 1; i < 100; i++) mixed |= z[row * 100] != z[row * 100 + i];
        assertTrue(mixed);
    }

    @Test
    void badShapesAreNamed() {
        Tensor x = Tensor.zeros(2, 3, 8, 8);
        IllegalArgumentException e = assertThrows(
                IllegalArgumentException.class,
                () -> NeuralOps.conv2d(
                        x, Tensor.zeros(4, 2, 3, 3), null, new int[] {1, 1}, new int[] {0, 0}, new int[] {1, 1}));
        assertTrue(e.getMessage().contains("to have 2 channels, but got 3 channels"), e.getMessage());
        e = assertThrows(
                IllegalArgumentException.class,
                () -> NeuralOps.conv2d(
                        Tensor.zeros(8, 8),
                        Tensor.zeros(4, 3, 3, 3),
                        null,
                        new int[] {1, 1},
                        new int[] {0, 0},
                        new int[] {1, 1}));
        assertTrue(e.getMessage().contains("3-D [C, H, W] or 4-D [B, C, H, W] input"), e.getMessage());
        // unbatched [C, H, W] is taken as PyTorch takes it
        assertArrayEquals(
                new int[] {4, 6, 6},
                NeuralOps.conv2d(
                                Tensor.zeros(3, 8, 8),
                                Tensor.zeros(4, 3, 3, 3),
                                null,
                                new int[] {1, 1},
                                new int[] {0, 0},
                                new int[] {1, 1})
                        .shape());
        e = assertThrows(
                IllegalArgumentException.class,
                () -> NeuralOps.conv2d(
                        x, Tensor.zeros(4, 2, 3, 3), null, new int[] {1, 1}, new int[] {0, 0}, new int[] {1, 1}, 2));
        assertTrue(
                e.getMessage()
                        .contains(
                                "groups=2, weight of size [4, 2, 3, 3], expected input [2, 3, 8, 8] to have 4 channels, but got 3"),
                e.getMessage());
        e = assertThrows(
                IllegalArgumentException.class,
                () -> NeuralOps.conv2d(
                        Tensor.zeros(2, 4, 8, 8),
                        Tensor.zeros(3, 2, 3, 3),
                        null,
                        new int[] {1, 1},
                        new int[] {0, 0},
                        new int[] {1, 1},
                        2));
        assertTrue(e.getMessage().contains("divisible by groups"), e.getMessage());
        e = assertThrows(
                IllegalArgumentException.class,
                () -> NeuralOps.linear(Tensor.zeros(5, 9216), Tensor.zeros(10, 128), null));
        assertEquals("mat1 and mat2 shapes cannot be multiplied (5x9216 and 128x10)", e.getMessage());
        e = assertThrows(
                IllegalArgumentException.class,
                () -> NeuralOps.crossEntropy(
                        Tensor.zeros(5, 10), Tensor.ofInts(new int[] {1, 2, 3}, 3), NeuralOps.Reduction.MEAN));
        assertTrue(e.getMessage().contains("[5]") && e.getMessage().contains("[3]"), e.getMessage());
        e = assertThrows(
                IllegalArgumentException.class,
                () -> NeuralOps.crossEntropy(
                        Tensor.zeros(2, 10), Tensor.ofInts(new int[] {1, 12}, 2), NeuralOps.Reduction.MEAN));
        assertTrue(e.getMessage().contains("target 12 at position 1"), e.getMessage());
        e = assertThrows(
                IllegalArgumentException.class,
                () -> NeuralOps.maxPool2d(
                        Tensor.zeros(1, 1, 2, 2),
                        new int[] {3, 3},
                        new int[] {1, 1},
                        new int[] {0, 0},
                        new int[] {1, 1},
                        false));
        assertTrue(e.getMessage().contains("too small"), e.getMessage());
    }
}
