package vectorgrad.nn.layers;

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
 * {@link #forward(Tensor)} is self-attention without a mask; the attention weights PyTorch can return
 * ({@code need_weights}) are not computed: the blocked kernel never forms them.
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
        if (query.shape().length != 3 || query.shape()[2] != embedDim)
            throw new IllegalArgumentException(
                    "MultiheadAttention: expected query of shape " + (batchFirst ? "[B, T, " : "[T, B, ") + embedDim
                            + "], got " + java.util.Arrays.toString(query.shape()));
        Tensor q = batchFirst ? query : query.transpose(0, 1),
                k = batchFirst ? key : key.transpose(0, 1),
                v = batchFirst ? value : value.transpose(0, 1);
        Tensor qp = project(q, 0), kp = project(k, 1), vp = project(v, 2);
        Tensor joined = Functional.multiHeadScaledDotProductAttention(
                qp, kp, vp, numHeads, attnMask, isTraining() ? dropout : 0, isCausal);
        Tensor out = out_proj.forward(joined);
        return batchFirst ? out : out.transpose(0, 1);
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
