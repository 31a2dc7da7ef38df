package vectorgrad.nn.layers;

import vectorgrad.autograd.DType;
import vectorgrad.autograd.Generator;
import vectorgrad.autograd.Tensor;
import vectorgrad.nn.Functional;
import vectorgrad.nn.Init;
import vectorgrad.nn.Layer;
import vectorgrad.nn.Parameter;

/**
 * Multi-head attention, as {@code nn.MultiheadAttention(embed_dim, num_heads, dropout=0.0, bias=True,
 * batch_first=False)} with query, key and value of the same size: the inputs projected by the rows of
 * {@code in_proj_weight [3E, E]} (q, k, v in that order, plus {@code in_proj_bias}), split into heads of
 * {@code E/num_heads}, attended by {@link Functional#scaledDotProductAttention} (dropout in training),
 * joined and projected by {@code out_proj} ({@code Linear(E, E)}). PyTorch's parameter names and
 * initialisation (xavier-uniform {@code in_proj_weight}, zero biases), so state dicts load both ways.
 *
 * <p>Shapes: {@code [T, B, E]}, or {@code [B, T, E]} with {@code batchFirst}, or unbatched {@code [T, E]}.
 * {@link #forward(Tensor)} is self-attention without a mask. {@link #forward(Tensor, Tensor, Tensor, Tensor,
 * boolean)} runs the blocked attention kernel, which never forms the {@code [T, S]} weights; the full form
 * {@link #forward(Tensor, Tensor, Tensor, Tensor, boolean, Tensor, boolean, boolean)} takes PyTorch's
 * {@code key_padding_mask} and {@code need_weights} and, as PyTorch does then, computes the weights
 * explicitly ({@code softmax(q·kᵀ/√d + masks)}, dropout, {@code ·v}) so it can return them.
 */
public class MultiheadAttention extends Layer {
    public final Parameter in_proj_weight;
    /** Null without bias. */
    public final Parameter in_proj_bias;

    public final Linear out_proj;

    private final int embedDim, numHeads;
    private final double dropout;
    private final boolean batchFirst;

    public MultiheadAttention(int embedDim, int numHeads) {
        this(embedDim, numHeads, 0.0, true, false, Tensor.defaultGenerator());
    }

    public MultiheadAttention(
            int embedDim, int numHeads, double dropout, boolean bias, boolean batchFirst, Generator g) {
        if (embedDim <= 0 || numHeads <= 0 || embedDim % numHeads != 0)
            throw new IllegalArgumentException(
                    "embed_dim (" + embedDim + ") must be divisible by num_heads (" + numHeads + ")");
        if (!(dropout >= 0 && dropout < 1))
            throw new IllegalArgumentException("dropout probability has to be in [0, 1), but got " + dropout);
        this.embedDim = embedDim;
        this.numHeads = numHeads;
        this.dropout = dropout;
        this.batchFirst = batchFirst;
        Tensor w = Tensor.zeros(3 * embedDim, embedDim);
        Init.xavierUniform_(w, 1.0, g);
        this.in_proj_weight = new Parameter(w);
        this.in_proj_bias = bias ? new Parameter(Tensor.zeros(3 * embedDim)) : null;
        this.out_proj = new Linear(embedDim, embedDim, bias, g);
        if (bias) {
            try (var ignored = Tensor.noGrad()) {
                out_proj.bias.fill_(0);
            }
        }
    }

    /**
     * What {@link #forward(Tensor, Tensor, Tensor, Tensor, boolean, Tensor, boolean, boolean)} returns, as
     * PyTorch's {@code (attn_output, attn_output_weights)}: {@code output} shaped as the query;
     * {@code weights} null unless asked for, else {@code [B, T, S]} averaged over the heads or
     * {@code [B, H, T, S]} ({@code [T, S]} / {@code [H, T, S]} for unbatched input), after dropout.
     */
    public record Output(Tensor output, Tensor weights) {}

    /** Self-attention: query = key = value = {@code x}, no mask. */
    @Override
    public Tensor forward(Tensor x) {
        return forward(x, x, x, null, false);
    }

    /**
     * {@code forward(query, key, value, attn_mask=attnMask, is_causal=isCausal)}: the attention output,
     * shaped as the query. {@code attnMask}: null, float32 (added to the scores) or int32 0/1 (1: attend),
     * {@code [T, S]}.
     */
    public Tensor forward(Tensor query, Tensor key, Tensor value, Tensor attnMask, boolean isCausal) {
        boolean unbatched = query.shape().length == 2;
        if (unbatched) {
            return forward(
                            query.unsqueeze(batchFirst ? 0 : 1),
                            key.unsqueeze(batchFirst ? 0 : 1),
                            value.unsqueeze(batchFirst ? 0 : 1),
                            attnMask,
                            isCausal)
                    .squeeze(batchFirst ? 0 : 1);
        }
        checkQuery(query);
        if (batchFirst && query == key && key == value) {
            // self-attention: q, k and v from one product, read in place by the kernel, one gradient back
            Tensor qkv = Functional.linear(query, in_proj_weight, in_proj_bias);
            return out_proj.forward(
                    Functional.packedMultiHeadAttention(qkv, numHeads, attnMask, isTraining() ? dropout : 0, isCausal));
        }
        Tensor q = batchFirst ? query : query.transpose(0, 1),
                k = batchFirst ? key : key.transpose(0, 1),
                v = batchFirst ? value : value.transpose(0, 1);
        Tensor qp = project(q, 0), kp = project(k, 1), vp = project(v, 2);
        Tensor joined = Functional.multiHeadScaledDotProductAttention(
                qp, kp, vp, numHeads, attnMask, isTraining() ? dropout : 0, isCausal);
        Tensor out = out_proj.forward(joined);
        return batchFirst ? out : out.transpose(0, 1);
    }

    /**
     * {@code forward(query, key, value, key_padding_mask, need_weights, attn_mask, average_attn_weights,
     * is_causal)}. {@code keyPaddingMask}: null or {@code [B, S]} ({@code [S]} unbatched), float32 (added to
     * the scores) or int32 where nonzero marks a padding key that is ignored (PyTorch's {@code True}).
     * {@code attnMask}: null, {@code [T, S]} or {@code [B·H, T, S]}, float32 (added) or int32 0/1 (1: attend,
     * as in {@link #forward(Tensor, Tensor, Tensor, Tensor, boolean)}). {@code isCausal}: query i sees keys
     * j ≤ i. Without weights and padding mask this is the blocked kernel's path; otherwise the explicit one.
     */
    public Output forward(
            Tensor query,
            Tensor key,
            Tensor value,
            Tensor keyPaddingMask,
            boolean needWeights,
            Tensor attnMask,
            boolean averageAttnWeights,
            boolean isCausal) {
        if (!needWeights && keyPaddingMask == null)
            return new Output(forward(query, key, value, attnMask, isCausal), null);
        boolean unbatched = query.shape().length == 2;
        if (unbatched) {
            int bd = batchFirst ? 0 : 1;
            Output o = forward(
                    query.unsqueeze(bd),
                    key.unsqueeze(bd),
                    value.unsqueeze(bd),
                    keyPaddingMask != null ? keyPaddingMask.unsqueeze(0) : null,
                    needWeights,
                    attnMask,
                    averageAttnWeights,
                    isCausal);
            return new Output(o.output.squeeze(bd), o.weights != null ? o.weights.squeeze(0) : null);
        }
        checkQuery(query);
        Tensor q = batchFirst ? query : query.transpose(0, 1),
                k = batchFirst ? key : key.transpose(0, 1),
                v = batchFirst ? value : value.transpose(0, 1);
        int b = q.shape()[0], t = q.shape()[1], s = k.shape()[1], h = numHeads, d = embedDim / numHeads;
        Tensor qh = project(q, 0).reshape(b, t, h, d).transpose(1, 2), // [B, H, T, d]
                kh = project(k, 1).reshape(b, s, h, d).transpose(1, 2),
                vh = project(v, 2).reshape(b, s, h, d).transpose(1, 2);
        Tensor scores = qh.matmul(kh.transpose(2, 3)).mul(1.0 / Math.sqrt(d)); // [B, H, T, S]
        if (attnMask != null) {
            int[] ms = attnMask.shape();
            boolean perHead = ms.length == 3 && ms[0] == b * h;
            if (!(ms.length == 2 || perHead) || ms[ms.length - 2] != t || ms[ms.length - 1] != s)
                throw new IllegalArgumentException("MultiheadAttention: attn_mask should be [" + t + ", " + s + "] or ["
                        + b * h + ", " + t + ", " + s + "], got " + java.util.Arrays.toString(ms));
            Tensor m = perHead ? attnMask.reshape(b, h, t, s) : attnMask;
            scores = m.dtype() == DType.FLOAT32 ? scores.add(m) : scores.maskedFill(m.eq(0), Double.NEGATIVE_INFINITY);
        }
        if (isCausal) {
            try (Tensor rows = Tensor.arange(t).reshape(t, 1);
                    Tensor cols = Tensor.arange(s)) {
                scores = scores.maskedFill(cols.gt(rows), Double.NEGATIVE_INFINITY);
            }
        }
        if (keyPaddingMask != null) {
            int[] ps = keyPaddingMask.shape();
            if (ps.length != 2 || ps[0] != b || ps[1] != s)
                throw new IllegalArgumentException("MultiheadAttention: key_padding_mask should be [" + b + ", " + s
                        + "], got " + java.util.Arrays.toString(ps));
            Tensor m = keyPaddingMask.reshape(b, 1, 1, s);
            scores = m.dtype() == DType.FLOAT32 ? scores.add(m) : scores.maskedFill(m, Double.NEGATIVE_INFINITY);
        }
        Tensor p = Functional.softmax(scores, 3);
        if (isTraining() && dropout > 0) p = Functional.dropout(p, dropout, true);
        Tensor joined = p.matmul(vh).transpose(1, 2).reshape(b, t, embedDim);
        Tensor out = out_proj.forward(joined);
        Tensor weights = !needWeights ? null : averageAttnWeights ? p.mean(1, false) : p;
        return new Output(batchFirst ? out : out.transpose(0, 1), weights);
    }

    private void checkQuery(Tensor query) {
        if (query.shape().length != 3 || query.shape()[2] != embedDim)
            throw new IllegalArgumentException(
                    "MultiheadAttention: expected query of shape " + (batchFirst ? "[B, T, " : "[T, B, ") + embedDim
                            + "], got " + java.util.Arrays.toString(query.shape()));
    }

    /** {@code x·W_iᵀ + b_i} with the i-th block of rows of the input projection (0: query, 1: key, 2: value). */
    private Tensor project(Tensor x, int i) {
        Tensor w = in_proj_weight.narrow(0, i * embedDim, embedDim);
        Tensor bias = in_proj_bias != null ? in_proj_bias.narrow(0, i * embedDim, embedDim) : null;
        return Functional.linear(x, w, bias);
    }

    @Override
    protected String extraRepr() {
        return "embed_dim=" + embedDim + ", num_heads=" + numHeads + (dropout != 0 ? ", dropout=" + dropout : "")
                + (batchFirst ? ", batch_first=True" : "");
    }
}
