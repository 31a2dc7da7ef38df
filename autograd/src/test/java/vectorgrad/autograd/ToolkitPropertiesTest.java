package vectorgrad.autograd;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static vectorgrad.autograd.GradCheck.awayFromZero;
import static vectorgrad.autograd.GradCheck.property;
import static vectorgrad.autograd.GradCheck.shape;
import static vectorgrad.autograd.GradCheck.uniform;

import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import vectorgrad.autograd.internal.NeuralOps;
import vectorgrad.autograd.internal.Normalization;
import vectorgrad.autograd.internal.Pooling;

/** Gradient properties of the toolkit's ops (normalisation, pooling, activations, indexing, joining), and their errors. */
class ToolkitPropertiesTest {

    private static Tensor ints(SplittableRandom r, int[] shape, int bound) {
        int[] v = new int[(int) vectorgrad.autograd.internal.Shapes.numel(shape)];
        for (int i = 0; i < v.length; i++) v[i] = r.nextInt(bound);
        return Tensor.ofInts(v, shape);
    }

    @Test
    void batchNormTrainingAndEval() {
        property(
                "batch_norm training",
                // at least 4 values per channel: with 2 the normalised values are ±1 and finite differences
                // across that near-step are meaningless
                r -> {
                    int n = r.nextInt(4, 6), c = r.nextInt(1, 4);
                    int[] s = r.nextBoolean() ? new int[] {n, c} : new int[] {n, c, r.nextInt(1, 4), r.nextInt(1, 4)};
                    return new Tensor[] {
                        uniform(r, s, -2, 2), uniform(r, new int[] {c}, 0.5, 1.5), uniform(r, new int[] {c}, -1, 1)
                    };
                },
                x -> Normalization.batchNorm(x[0], null, null, x[1], x[2], true, 0.1, 1e-5));
        property(
                "batch_norm eval",
                r -> {
                    int c = r.nextInt(1, 4);
                    return new Tensor[] {
                        uniform(r, new int[] {r.nextInt(1, 4), c, 3}, -2, 2),
                        uniform(r, new int[] {c}, 0.5, 1.5),
                        uniform(r, new int[] {c}, -1, 1)
                    };
                },
                x -> {
                    int c = x[1].shape()[0];
                    Tensor rm = Tensor.full(0.3f, c), rv = Tensor.full(1.7f, c);
                    return Normalization.batchNorm(x[0], rm, rv, x[1], x[2], false, 0.1, 1e-5);
                });
    }

    /**
     * Batch norm with its ReLU fused, and with a residual added before the ReLU, training and eval: inputs
     * drawn again until every input of the ReLU is at least 0.05 from zero, where it bends (a 0.01 step of
     * one input moves one by less than that here).
     */
    @Test
    void batchNormRelu() {
        for (int variant = 0; variant < 4; variant++) {
            boolean training = variant % 2 == 0, residual = variant >= 2;
            property(
                    "batch_norm+" + (residual ? "add+" : "") + "relu " + (training ? "training" : "eval"),
                    r -> {
                        for (int attempt = 0; ; attempt++) {
                            int n = r.nextInt(4, 6), c = r.nextInt(1, 4);
                            int[] s = r.nextBoolean()
                                    ? new int[] {n, c}
                                    : new int[] {n, c, r.nextInt(1, 4), r.nextInt(1, 4)};
                            Tensor x = uniform(r, s, -2, 2), w = uniform(r, new int[] {c}, 0.5, 1.5);
                            Tensor b = uniform(r, new int[] {c}, -1, 1);
                            Tensor[] in =
                                    residual ? new Tensor[] {x, w, b, uniform(r, s, -1, 1)} : new Tensor[] {x, w, b};
                            boolean clear = true;
                            Tensor pre = batchNorm(in, training, false);
                            if (residual) pre = pre.add(in[3]);
                            for (float v : pre.toFloatArray()) clear &= Math.abs(v) >= 0.05f;
                            if (clear) return in;
                            if (attempt == 500)
                                throw new AssertionError("no inputs with every ReLU input 0.05 from zero in 500 draws");
                        }
                    },
                    x -> fused(x, training));
        }
    }

    /** Batch norm of x[0] with weight x[1] and bias x[2], plus x[3] when given, then relu, as separate ops. */
    private static Tensor unfused(Tensor[] x, boolean training) {
        Tensor y = batchNorm(x, training, false);
        return (x.length > 3 ? y.add(x[3]) : y).relu();
    }

    /** {@link #unfused} as one op. */
    private static Tensor fused(Tensor[] x, boolean training) {
        if (x.length == 3) return batchNorm(x, training, true);
        int c = x[1].shape()[0];
        Tensor rm = training ? null : Tensor.full(0.3f, c), rv = training ? null : Tensor.full(1.7f, c);
        return Normalization.batchNormAddRelu(x[0], x[3], rm, rv, x[1], x[2], training, 0.1, 1e-5);
    }

    private static Tensor batchNorm(Tensor[] x, boolean training, boolean relu) {
        int c = x[1].shape()[0];
        Tensor rm = training ? null : Tensor.full(0.3f, c), rv = training ? null : Tensor.full(1.7f, c);
        return Normalization.batchNorm(x[0], rm, rv, x[1], x[2], training, 0.1, 1e-5, relu);
    }

    /**
     * The fused ops give the bits of batch norm (plus a residual) then relu, forward and every gradient, also
     * when the input's or the residual's gradient is not wanted (the kernel still gets a buffer for the
     * masked gradient).
     */
    @Test
    void batchNormReluIsBatchNormThenRelu() {
        SplittableRandom r = new SplittableRandom(11);
        for (int t = 0; t < 32; t++) {
            int c = r.nextInt(1, 5);
            int[] s = {r.nextInt(2, 6), c, r.nextInt(1, 9), r.nextInt(1, 9)};
            Tensor x = uniform(r, s, -2, 2),
                    w = uniform(r, new int[] {c}, 0.5, 1.5),
                    b = uniform(r, new int[] {c}, -1, 1);
            Tensor res = uniform(r, s, -1, 1), up = uniform(r, s, -1, 1);
            boolean training = t % 2 == 0, inputGrad = t % 4 < 2, residual = t % 8 >= 4, residualGrad = t % 16 < 8;
            float[][] outs = new float[2][];
            Tensor[][] grads = new Tensor[2][];
            for (int fused = 0; fused < 2; fused++) {
                Tensor xi = x.detach().requiresGrad(inputGrad), wi = w.detach().requiresGrad(true);
                Tensor bi = b.detach().requiresGrad(true), ri = res.detach().requiresGrad(residualGrad);
                Tensor[] in = residual ? new Tensor[] {xi, wi, bi, ri} : new Tensor[] {xi, wi, bi};
                Tensor y = fused == 1 ? fused(in, training) : unfused(in, training);
                outs[fused] = y.toFloatArray();
                y.mul(up).sum().backward();
                grads[fused] = new Tensor[] {
                    inputGrad ? xi.grad() : null, wi.grad(), bi.grad(), residual && residualGrad ? ri.grad() : null
                };
            }
            assertArrayEquals(outs[0], outs[1], 0f, "forward, case " + t);
            for (int k = 0; k < 4; k++) {
                if (grads[0][k] == null) continue;
                assertArrayEquals(
                        grads[0][k].toFloatArray(), grads[1][k].toFloatArray(), 0f, "gradient " + k + ", case " + t);
            }
        }
        Tensor x = Tensor.zeros(2, 3, 4);
        IllegalArgumentException e = assertThrows(
                IllegalArgumentException.class,
                () -> Normalization.batchNormAddRelu(
                        x, Tensor.zeros(2, 3, 5), null, null, null, null, true, 0.1, 1e-5));
        assertTrue(
                e.getMessage().contains("residual of shape [2, 3, 5] does not match input [2, 3, 4]"), e.getMessage());
    }

    @Test
    void layerNormEmbeddingAndTransposedConvolution() {
        property(
                "layer_norm",
                // at least 4 values per slab, as for batch norm
                r -> {
                    int d = r.nextInt(4, 9);
                    int[] xs = r.nextBoolean() ? new int[] {r.nextInt(1, 4), d} : new int[] {2, r.nextInt(1, 3), d};
                    return new Tensor[] {
                        uniform(r, xs, -2, 2), uniform(r, new int[] {d}, 0.5, 1.5), uniform(r, new int[] {d}, -1, 1)
                    };
                },
                x -> Normalization.layerNorm(
                        x[0], new int[] {x[0].shape()[x[0].shape().length - 1]}, x[1], x[2], 1e-5));
        property(
                "layer_norm over two dimensions, no affine",
                r -> new Tensor[] {uniform(r, new int[] {r.nextInt(1, 3), 2, r.nextInt(2, 4)}, -2, 2)},
                x -> Normalization.layerNorm(x[0], new int[] {2, x[0].shape()[2]}, null, null, 1e-5));
        property(
                "embedding",
                r -> {
                    int num = r.nextInt(2, 6);
                    return new Tensor[] {
                        uniform(r, new int[] {num, r.nextInt(1, 5)}, -1, 1),
                        ints(r, new int[] {r.nextInt(1, 4), r.nextInt(1, 4)}, num)
                    };
                },
                x -> NeuralOps.embedding(
                        x[1], x[0],
                        -1)); // a padding row's zero gradient is by design, not the derivative: golden-tested
        property(
                "conv_transpose2d",
                r -> {
                    int groups = r.nextInt(1, 3), cin = groups * r.nextInt(1, 3), coutPer = r.nextInt(1, 3);
                    int[] geo = {r.nextInt(1, 4), r.nextInt(1, 3), r.nextInt(0, 2), r.nextInt(1, 3), groups
                    }; // k, stride, pad, dil
                    geo[2] = Math.min(geo[2], (geo[0] - 1) * geo[3] / 2); // output not emptied by padding
                    return new Tensor[] {
                        uniform(r, new int[] {r.nextInt(1, 3), cin, r.nextInt(1, 4), r.nextInt(1, 4)}, -1, 1),
                        uniform(r, new int[] {cin, coutPer, geo[0], geo[0]}, -1, 1),
                        uniform(r, new int[] {coutPer * groups}, -1, 1),
                        Tensor.ofInts(geo, 5),
                        Tensor.ofInts(new int[] {r.nextInt(0, geo[1])}, 1)
                    };
                },
                x -> {
                    int[] g = x[3].toIntArray();
                    int op = x[4].toIntArray()[0];
                    return NeuralOps.convTranspose2d(
                            x[0],
                            x[1],
                            x[2],
                            new int[] {g[1], g[1]},
                            new int[] {g[2], g[2]},
                            new int[] {op, op},
                            g[4],
                            new int[] {g[3], g[3]});
                });
    }

    @Test
    void scaledDotProductAttention() {
        property(
                "scaled_dot_product_attention",
                r -> {
                    int b = r.nextInt(1, 3),
                            t = r.nextInt(1, 5),
                            s = r.nextInt(1, 5),
                            d = r.nextInt(1, 4),
                            dv = r.nextInt(1, 4);
                    return new Tensor[] {
                        uniform(r, new int[] {b, t, d}, -1, 1),
                        uniform(r, new int[] {b, s, d}, -1, 1),
                        uniform(r, new int[] {b, s, dv}, -1, 1),
                        ints(
                                r,
                                new int[] {t, s},
                                5) // an additive mask of -1..1.5: a constant (int32 inputs get no gradient)
                    };
                },
                x -> vectorgrad.autograd.internal.AttentionOps.scaledDotProductAttention(
                        x[0],
                        x[1],
                        x[2],
                        x[3].to(DType.FLOAT32).mul(0.625).sub(1),
                        0,
                        false,
                        null,
                        Tensor.defaultGenerator()));
        property(
                "scaled_dot_product_attention, causal",
                r -> {
                    int t = r.nextInt(1, 6), d = r.nextInt(1, 4);
                    return new Tensor[] {
                        uniform(r, new int[] {2, t, d}, -1, 1),
                        uniform(r, new int[] {2, t, d}, -1, 1),
                        uniform(r, new int[] {2, t, d}, -1, 1)
                    };
                },
                x -> vectorgrad.autograd.internal.AttentionOps.scaledDotProductAttention(
                        x[0], x[1], x[2], null, 0, true, 0.7, Tensor.defaultGenerator()));
        property(
                "multi-head attention, heads read in place",
                r -> {
                    int h = r.nextInt(1, 4), t = r.nextInt(1, 5), d = r.nextInt(1, 3);
                    return new Tensor[] {
                        uniform(r, new int[] {2, t, h * d}, -1, 1), uniform(r, new int[] {2, t, h * d}, -1, 1),
                        uniform(r, new int[] {2, t, h * (d + 1)}, -1, 1), Tensor.ofInts(new int[] {h}, 1)
                    };
                },
                x -> vectorgrad.autograd.internal.AttentionOps.multiHead(
                        x[0], x[1], x[2], x[3].toIntArray()[0], null, 0, true, null, Tensor.defaultGenerator()));
        property(
                "multi-head self-attention, q, k and v packed in one tensor",
                r -> {
                    int h = r.nextInt(1, 4), t = r.nextInt(1, 5), d = r.nextInt(1, 3);
                    return new Tensor[] {uniform(r, new int[] {2, t, 3 * h * d}, -1, 1), Tensor.ofInts(new int[] {h}, 1)
                    };
                },
                x -> vectorgrad.autograd.internal.AttentionOps.multiHeadPacked(
                        x[0], x[1].toIntArray()[0], null, 0, true, null, Tensor.defaultGenerator()));
    }

    /**
     * The packed op is the unpacked one on its three column blocks: output and gradient, with dropout (the
     * same generator state draws the same seed), causal or under a mask.
     */
    @Test
    void packedAttentionIsTheUnpackedOneOnItsColumnBlocks() {
        for (boolean causal : new boolean[] {true, false}) {
            int b = 2, t = 37, h = 3, d = 8, e = h * d;
            Generator init = new Generator(5);
            Tensor qkv = Tensor.uniform(init, -1, 1, b, t, 3 * e), g = Tensor.uniform(init, -1, 1, b, t, e);
            Tensor mask = causal ? null : Tensor.uniform(init, -1, 0, t, t);
            Tensor a = qkv.detach().requiresGrad(true);
            Tensor packed = vectorgrad.autograd.internal.AttentionOps.multiHeadPacked(
                    a, h, mask, 0.2, causal, null, new Generator(9));
            packed.backward(g);
            Tensor q = qkv.narrow(2, 0, e).detach().requiresGrad(true),
                    k = qkv.narrow(2, e, e).detach().requiresGrad(true),
                    v = qkv.narrow(2, 2 * e, e).detach().requiresGrad(true);
            Tensor plain = vectorgrad.autograd.internal.AttentionOps.multiHead(
                    q, k, v, h, mask, 0.2, causal, null, new Generator(9));
            plain.backward(g);
            assertArrayEquals(plain.toFloatArray(), packed.toFloatArray(), 1e-6f, "output, causal=" + causal);
            Tensor joined = Tensor.cat(java.util.List.of(q.grad(), k.grad(), v.grad()), 2);
            assertArrayEquals(joined.toFloatArray(), a.grad().toFloatArray(), 1e-6f, "gradient, causal=" + causal);
        }
    }

    @Test
    void averagePooling() {
        property(
                "avg_pool2d",
                r -> new Tensor[] {
                    uniform(r, new int[] {r.nextInt(1, 3), r.nextInt(1, 3), r.nextInt(3, 8), r.nextInt(3, 8)}, -1, 1),
                    Tensor.ofInts(
                            new int[] {
                                r.nextInt(1, 4), r.nextInt(1, 3), r.nextInt(0, 2), r.nextInt(0, 2), r.nextInt(0, 2)
                            },
                            5)
                },
                x -> {
                    int[] c = x[1].toIntArray(); // kernel, stride, padding (≤ kernel/2), ceil, include pad
                    int k = c[0], p = Math.min(c[2], k / 2);
                    return Pooling.avgPool2d(
                            x[0], new int[] {k, k}, new int[] {c[1], c[1]}, new int[] {p, p}, c[3] == 1, c[4] == 1);
                });
        property(
                "adaptive_avg_pool2d",
                r -> new Tensor[] {
                    uniform(r, new int[] {r.nextInt(1, 3), r.nextInt(1, 7), r.nextInt(1, 7)}, -1, 1),
                    Tensor.ofInts(new int[] {r.nextInt(1, 5), r.nextInt(1, 5)}, 2)
                },
                x -> Pooling.adaptiveAvgPool2d(x[0], x[1].toIntArray()));
    }

    @Test
    void activations() {
        property("gelu", r -> new Tensor[] {uniform(r, shape(r, 1, 2, 9), -3, 3)}, x -> NeuralOps.gelu(x[0], "none"));
        property(
                "gelu tanh",
                r -> new Tensor[] {uniform(r, shape(r, 1, 2, 9), -3, 3)},
                x -> NeuralOps.gelu(x[0], "tanh"));
        property("silu", r -> new Tensor[] {uniform(r, shape(r, 1, 2, 9), -4, 4)}, x -> NeuralOps.silu(x[0]));
        property(
                "leaky_relu",
                r -> new Tensor[] {awayFromZero(r, shape(r, 1, 2, 9), 0.05, 2)},
                x -> NeuralOps.leakyRelu(x[0], 0.1));
        property("elu", r -> new Tensor[] {awayFromZero(r, shape(r, 1, 2, 9), 0.05, 2)}, x -> NeuralOps.elu(x[0], 1.3));
    }

    @Test
    void joiningAndSlicing() {
        property(
                "cat",
                r -> {
                    int[] s = shape(r, 1, 3, 3);
                    int d = r.nextInt(s.length);
                    int[] t = s.clone();
                    t[d] = r.nextInt(1, 4);
                    return new Tensor[] {uniform(r, s, -1, 1), uniform(r, t, -1, 1), Tensor.ofInts(new int[] {d}, 1)};
                },
                x -> Tensor.cat(List.of(x[0], x[1]), x[2].toIntArray()[0]));
        property(
                "stack",
                r -> {
                    int[] s = shape(r, 0, 2, 3);
                    return new Tensor[] {
                        uniform(r, s, -1, 1),
                        uniform(r, s, -1, 1),
                        Tensor.ofInts(new int[] {r.nextInt(s.length + 1)}, 1)
                    };
                },
                x -> Tensor.stack(List.of(x[0], x[1], x[0]), x[2].toIntArray()[0]));
        property(
                "narrow, slice, select",
                r -> new Tensor[] {uniform(r, new int[] {r.nextInt(2, 5), r.nextInt(2, 5)}, -1, 1)},
                x -> x[0].narrow(1, 1, x[0].shape()[1] - 1).slice(0, 0, 5, 2).select(-1, 0));
        property(
                "split and chunk",
                r -> new Tensor[] {uniform(r, new int[] {r.nextInt(1, 4), r.nextInt(2, 7)}, -1, 1)},
                x -> {
                    List<Tensor> parts = x[0].split(2, 1);
                    List<Tensor> chunks = x[0].chunk(3, 1);
                    return parts.get(parts.size() - 1)
                            .sum()
                            .add(chunks.get(0).mul(chunks.get(0)).sum());
                });
    }

    @Test
    void indexing() {
        property(
                "index_select",
                r -> {
                    int[] s = {r.nextInt(1, 4), r.nextInt(1, 5)};
                    return new Tensor[] {uniform(r, s, -1, 1), ints(r, new int[] {r.nextInt(1, 6)}, s[1])};
                },
                x -> x[0].indexSelect(1, x[1]));
        property(
                "gather",
                r -> {
                    int[] s = {r.nextInt(1, 4), r.nextInt(1, 5)};
                    return new Tensor[] {uniform(r, s, -1, 1), ints(r, new int[] {s[0], r.nextInt(1, 6)}, s[1])};
                },
                x -> x[0].gather(1, x[1]));
        property(
                "scatter_add",
                r -> {
                    int[] s = {r.nextInt(1, 4), r.nextInt(1, 5)};
                    int k = r.nextInt(1, 6);
                    return new Tensor[] {
                        uniform(r, s, -1, 1), ints(r, new int[] {s[0], k}, s[1]), uniform(r, new int[] {s[0], k}, -1, 1)
                    };
                },
                x -> x[0].scatterAdd(1, x[1], x[2]));
        property(
                "where and masked_fill",
                r -> {
                    int[] s = shape(r, 1, 3, 4);
                    return new Tensor[] {
                        uniform(r, s, -1, 1), uniform(r, new int[] {s[s.length - 1]}, -1, 1), ints(r, s, 2)
                    };
                },
                x -> Tensor.where(x[2], x[0], x[1]).add(x[0].maskedFill(x[2], 2.5)));
        property(
                "clamp",
                r -> {
                    Tensor t = awayFromZero(r, shape(r, 1, 2, 9), 0.05, 0.95);
                    return new Tensor[] {t.mul(2).add(t.sign())}; // |x| in [0.15, 2.85], never within 0.05 of ±1
                },
                x -> x[0].clamp(-1, 1).add(x[0].clampMin(0.5)));
    }

    @Test
    void varianceAndMatmulBroadcasting() {
        property(
                "var and std",
                r -> new Tensor[] {uniform(r, new int[] {r.nextInt(2, 4), r.nextInt(2, 5)}, -2, 2)},
                x -> x[0].var(1, true, true).add(x[0].std(0, false, false).sum()));
        property(
                "matmul broadcasting",
                r -> {
                    int b = r.nextInt(1, 3), m = r.nextInt(1, 4), k = r.nextInt(1, 4), n = r.nextInt(1, 4);
                    return new Tensor[] {
                        uniform(r, new int[] {b, 1, m, k}, -1, 1), uniform(r, new int[] {2, k, n}, -1, 1)
                    };
                },
                x -> x[0].matmul(x[1]));
        property(
                "matmul vectors",
                r -> {
                    int k = r.nextInt(1, 5), n = r.nextInt(1, 4);
                    return new Tensor[] {uniform(r, new int[] {k}, -1, 1), uniform(r, new int[] {3, k, n}, -1, 1)};
                },
                x -> x[0].matmul(x[1]).add(x[0].matmul(x[0])));
        property(
                "linear on [*, in] and [in]",
                r -> {
                    int in = r.nextInt(1, 5), out = r.nextInt(1, 4);
                    return new Tensor[] {
                        uniform(r, new int[] {2, r.nextInt(1, 4), in}, -1, 1),
                        uniform(r, new int[] {out, in}, -1, 1),
                        uniform(r, new int[] {in}, -1, 1)
                    };
                },
                x -> NeuralOps.linear(x[0], x[1], null).sum(1, false).add(NeuralOps.linear(x[2], x[1], null)));
    }

    @Test
    void shapesAndValues() {
        Tensor x = Tensor.arange(12).reshape(3, 4);
        assertArrayEquals(new float[] {4, 5, 6, 7}, x.select(0, 1).toFloatArray());
        assertArrayEquals(new float[] {1, 5, 9}, x.select(1, -3).toFloatArray());
        assertArrayEquals(new int[] {6, 4}, Tensor.cat(List.of(x, x), 0).shape());
        assertArrayEquals(new int[] {3, 2, 4}, Tensor.stack(List.of(x, x), 1).shape());
        assertEquals(3, x.chunk(2, 1).get(0).shape()[0]);
        assertArrayEquals(new float[] {2, 3, 6, 7, 10, 11}, x.slice(1, -2, 100).toFloatArray());
        assertArrayEquals(new int[] {0, 0, 1, 1}, x.select(0, 0).gt(1).toIntArray());
        assertArrayEquals(new float[] {1, 0, 0, 0, 1, 0}, Tensor.eye(2, 3).toFloatArray());
        assertArrayEquals(new int[] {2, 2, 2}, x.argmin(1, false).add(2).toIntArray()); // int arithmetic stays int
        assertEquals(
                DType.INT32,
                Tensor.ofInts(new int[] {1, 2}, 2)
                        .mul(Tensor.ofInts(new int[] {3, 4}, 2))
                        .dtype());
        assertEquals(DType.FLOAT32, Tensor.ofInts(new int[] {1, 2}, 2).div(2).dtype());
        Tensor m = Tensor.zeros(2, 3);
        m.add_(Tensor.of(1, 2, 3)).mul_(2);
        assertArrayEquals(new float[] {2, 4, 6, 2, 4, 6}, m.toFloatArray());
        assertThrows(IllegalArgumentException.class, () -> m.add_(Tensor.zeros(4, 2, 3)));
        Tensor leaf = Tensor.zeros(2).requiresGrad(true);
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> leaf.add_(1));
        assertTrue(e.getMessage().contains("leaf Variable"), e.getMessage());
        try (var ignored = Tensor.noGrad()) {
            leaf.fill_(3);
        }
        assertArrayEquals(new float[] {3, 3}, leaf.toFloatArray());
        IllegalArgumentException cat =
                assertThrows(IllegalArgumentException.class, () -> Tensor.cat(List.of(x, Tensor.zeros(2, 3)), 0));
        assertTrue(cat.getMessage().contains("Sizes of tensors must match except in dimension 0"), cat.getMessage());
        assertThrows(IndexOutOfBoundsException.class, () -> x.gather(1, Tensor.ofInts(new int[] {4, 0, 0}, 3, 1)));
        assertArrayEquals(
                new int[] {5, 2, 3},
                Tensor.zeros(5, 2, 4).matmul(Tensor.zeros(4, 3)).shape());
        assertArrayEquals(
                new int[] {3, 2, 2, 4},
                Tensor.zeros(3, 1, 2, 5).matmul(Tensor.zeros(2, 5, 4)).shape());
        IllegalArgumentException lin = assertThrows(
                IllegalArgumentException.class,
                () -> NeuralOps.linear(Tensor.zeros(2, 3, 10), Tensor.zeros(3, 5), null));
        assertEquals("mat1 and mat2 shapes cannot be multiplied (6x10 and 5x3)", lin.getMessage());
    }

    @Test
    void printsThreeDimensionsAsPyTorch() {
        assertEquals(
                "tensor([[[0., 1.],\n         [2., 3.]],\n\n        [[4., 5.],\n         [6., 7.]]])",
                Tensor.arange(8).reshape(2, 2, 2).toString());
    }
}
