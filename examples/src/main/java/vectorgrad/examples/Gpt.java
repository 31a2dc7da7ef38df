package vectorgrad.examples;

import java.util.ArrayList;
import java.util.List;
import vectorgrad.autograd.MemoryScope;
import vectorgrad.autograd.Tensor;
import vectorgrad.nn.Functional;
import vectorgrad.nn.Init;
import vectorgrad.nn.Layer;
import vectorgrad.nn.Module;
import vectorgrad.nn.ModuleList;
import vectorgrad.nn.layers.Dropout;
import vectorgrad.nn.layers.Embedding;
import vectorgrad.nn.layers.LayerNorm;
import vectorgrad.nn.layers.Linear;

/**
 * A character-level GPT in the style of nanoGPT: token and position embeddings ({@code wte}, {@code wpe}),
 * {@code layers} pre-norm blocks ({@code ln_1}, causal self-attention {@code attn.c_attn}/{@code attn.c_proj},
 * {@code ln_2}, an MLP {@code mlp.c_fc}/GELU/{@code mlp.c_proj}), a final {@code ln_f}, and the output head
 * tied to the token embedding (logits = {@code x·wteᵀ}). Input int32 tokens {@code [B, T]} (T ≤ block),
 * output logits {@code [B, T, vocab]}. Initialisation as nanoGPT's: weights N(0, 0.02), the residual
 * projections N(0, 0.02/√(2·layers)), biases zero.
 */
public final class Gpt extends Module {
    /** The model's sizes. */
    public record Config(int vocab, int block, int layers, int heads, int embd, double dropout) {
        public Config {
            if (vocab <= 0 || block <= 0 || layers <= 0 || heads <= 0 || embd <= 0 || embd % heads != 0)
                throw new IllegalArgumentException("gpt: bad sizes (vocab " + vocab + ", block " + block + ", layers "
                        + layers + ", heads " + heads + ", embd " + embd + "; embd must be a multiple of heads)");
        }
    }

    public final Embedding wte, wpe;
    public final Dropout drop;
    public final ModuleList h;
    public final LayerNorm ln_f;
    private final Config config;

    public Gpt(Config c) {
        this.config = c;
        wte = new Embedding(c.vocab(), c.embd());
        wpe = new Embedding(c.block(), c.embd());
        drop = new Dropout(c.dropout());
        List<Module> blocks = new ArrayList<>();
        for (int i = 0; i < c.layers(); i++) blocks.add(new Block(c));
        h = new ModuleList(blocks.toArray(Module[]::new));
        ln_f = new LayerNorm(c.embd());
        try (var ignored = Tensor.noGrad()) {
            for (var e : namedParameters().entrySet()) {
                Tensor p = e.getValue();
                String name = e.getKey();
                if (name.startsWith("ln") || name.contains(".ln_")) continue; // layer norms: ones and zeros
                if (name.endsWith(".bias")) {
                    Init.zeros_(p);
                    continue;
                }
                double std = name.endsWith("c_proj.weight") ? 0.02 / Math.sqrt(2.0 * c.layers()) : 0.02;
                Init.normal_(p, 0, std, Tensor.defaultGenerator());
            }
        }
    }

    public Config config() {
        return config;
    }

    /** Logits {@code [B, T, vocab]} for tokens {@code [B, T]}. */
    public Tensor forward(Tensor tokens) {
        return logits(hidden(tokens, null, 0));
    }

    /** The final hidden states, from position {@code start}; with a cache, keys and values are kept in it. */
    Tensor hidden(Tensor tokens, KvCache cache, int start) {
        int t = tokens.shape()[1];
        if (start + t > config.block())
            throw new IllegalArgumentException(
                    "gpt: " + (start + t) + " positions, more than the block size " + config.block());
        int[] pos = new int[t];
        for (int i = 0; i < t; i++) pos[i] = start + i;
        Tensor x = drop.forward(wte.forward(tokens).add(wpe.forward(Tensor.ofInts(pos, t))));
        for (int i = 0; i < config.layers(); i++) x = ((Block) h.get(i)).forward(x, cache, i);
        return ln_f.forward(x);
    }

    /** The output head, tied to the token embedding. */
    Tensor logits(Tensor hidden) {
        return Functional.linear(hidden, wte.weight, null);
    }

    /** Mean cross-entropy of the next-token predictions: tokens and targets {@code [B, T]}. */
    public Tensor loss(Tensor tokens, Tensor targets) {
        Tensor logits = forward(tokens);
        int b = tokens.shape()[0], t = tokens.shape()[1];
        return Functional.crossEntropy(logits.reshape(b * t, config.vocab()), targets.reshape(b * t));
    }

    /** Per layer, the keys and values of the positions so far ({@code [1, n, embd]}), for sampling. */
    static final class KvCache {
        final Tensor[] keys, values;

        KvCache(int layers) {
            keys = new Tensor[layers];
            values = new Tensor[layers];
        }

        int length() {
            return keys[0] == null ? 0 : keys[0].shape()[1];
        }

        /** Keeps the cached keys and values past {@code scope} (a sampling loop opens one per character). */
        void keep(MemoryScope scope) {
            for (int i = 0; i < keys.length; i++) {
                if (keys[i] != null) scope.keep(keys[i]);
                if (values[i] != null) scope.keep(values[i]);
            }
        }

        /** Releases the cached keys and values. */
        void close() {
            for (int i = 0; i < keys.length; i++) put(i, null, null);
        }

        /** Stores a layer's keys and values, releasing the ones they extend (nothing else refers to them). */
        void put(int layer, Tensor k, Tensor v) {
            Tensor oldK = keys[layer], oldV = values[layer];
            keys[layer] = k;
            values[layer] = v;
            if (oldK != null) oldK.close();
            if (oldV != null) oldV.close();
        }
    }

    /** A pre-norm transformer block: {@code x + attn(ln_1(x))}, then {@code x + mlp(ln_2(x))}. */
    public static final class Block extends Module {
        public final LayerNorm ln_1, ln_2;
        public final CausalSelfAttention attn;
        public final Mlp mlp;

        Block(Config c) {
            ln_1 = new LayerNorm(c.embd());
            attn = new CausalSelfAttention(c);
            ln_2 = new LayerNorm(c.embd());
            mlp = new Mlp(c);
        }

        Tensor forward(Tensor x, KvCache cache, int layer) {
            x = x.add(attn.forward(ln_1.forward(x), cache, layer));
            return x.add(mlp.forward(ln_2.forward(x)));
        }
    }

    /** Causal self-attention: one projection to q, k, v ({@code c_attn}), heads, and {@code c_proj}. */
    public static final class CausalSelfAttention extends Module {
        public final Linear c_attn, c_proj;
        public final Dropout resid_dropout;
        private final int heads, embd;
        private final double dropout;

        CausalSelfAttention(Config c) {
            c_attn = new Linear(c.embd(), 3 * c.embd());
            c_proj = new Linear(c.embd(), c.embd());
            resid_dropout = new Dropout(c.dropout());
            heads = c.heads();
            embd = c.embd();
            dropout = c.dropout();
        }

        private Tensor project(Tensor x, int i) {
            return Functional.linear(x, c_attn.weight.narrow(0, i * embd, embd), c_attn.bias.narrow(0, i * embd, embd));
        }

        Tensor forward(Tensor x, KvCache cache, int layer) {
            int t = x.shape()[1];
            if (cache == null) {
                // q, k and v as one product, read in place by the kernel, whose gradient is one tensor: one
                // product each way and one input gradient
                Tensor y = Functional.packedMultiHeadAttention(
                        c_attn.forward(x), heads, null, isTraining() ? dropout : 0, true);
                return resid_dropout.forward(c_proj.forward(y));
            }
            Tensor q, k, v;
            if ((long) x.shape()[0] * t >= embd) {
                // many positions at once after a cache (a caller filling it with a whole prompt; gpt sample
                // runs one position a step): q, k and v from row blocks of c_attn's weight, cheaper than
                // copying three slices out of the [B, T, 3C] product
                q = project(x, 0);
                k = project(x, 1);
                v = project(x, 2);
            } else {
                // fewer positions than channels (sampling, one position a step): slicing the product is the
                // cheaper copy; the weight's three slices were 40 % of a sampled character's time
                Tensor qkv = c_attn.forward(x);
                q = qkv.narrow(2, 0, embd);
                k = qkv.narrow(2, embd, embd);
                v = qkv.narrow(2, 2 * embd, embd);
            }
            boolean causal = true;
            if (cache.keys[layer] != null) {
                k = Tensor.cat(List.of(cache.keys[layer], k), 1);
                v = Tensor.cat(List.of(cache.values[layer], v), 1);
                causal = t > 1; // one new query sees every cached key
            }
            cache.put(layer, k, v);
            Tensor mask = null;
            if (causal && k.shape()[1] != t) {
                // several new queries after a cached prefix: query i sees the prefix and new keys up to i
                int s = k.shape()[1];
                int[] keep = new int[t * s];
                for (int i = 0; i < t; i++) for (int j = 0; j <= s - t + i; j++) keep[i * s + j] = 1;
                mask = Tensor.ofInts(keep, t, s);
                causal = false;
            }
            // heads read in place from [B, T, C]: no transposes
            Tensor y = Functional.multiHeadScaledDotProductAttention(
                    q, k, v, heads, mask, isTraining() ? dropout : 0, causal);
            return resid_dropout.forward(c_proj.forward(y));
        }
    }

    /** The block's MLP: {@code c_proj(gelu(c_fc(x)))}, four times the width inside. */
    public static final class Mlp extends Layer {
        public final Linear c_fc, c_proj;
        public final Dropout dropout;

        Mlp(Config c) {
            c_fc = new Linear(c.embd(), 4 * c.embd());
            c_proj = new Linear(4 * c.embd(), c.embd());
            dropout = new Dropout(c.dropout());
        }

        @Override
        public Tensor forward(Tensor x) {
            // c_proj(gelu(c_fc(x))) as one op: GELU and its derivative applied in the products' row blocks
            return dropout.forward(Functional.mlp(x, c_fc.weight, c_fc.bias, c_proj.weight, c_proj.bias));
        }
    }
}
