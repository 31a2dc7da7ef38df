package vectorgrad.autograd.internal;

import static vectorgrad.autograd.internal.TensorAccess.*;

import java.lang.ref.Reference;
import java.util.Arrays;
import vectorgrad.autograd.DType;
import vectorgrad.autograd.Generator;
import vectorgrad.autograd.Tensor;
import vectorgrad.kernels.Attention;

/** Attention with forward beside backward, blocked in the kernel (see {@link Attention}). */
public final class AttentionOps {
    private AttentionOps() {}

    /**
     * {@code F.scaled_dot_product_attention(q, k, v, attn_mask, dropout_p, is_causal, scale)} (PyTorch 2.x):
     * {@code softmax(q·kᵀ·scale + mask)·v} for {@code q [..., T, d]}, {@code k [..., S, d]},
     * {@code v [..., S, dv]} (the same leading dimensions), giving {@code [..., T, dv]}. {@code attnMask}:
     * null, float32 (added to the scores) or int32 0/1 (1: the key takes part, as PyTorch's boolean mask),
     * of shape {@code [T, S]} or {@code [..., T, S]}. {@code scale} null: {@code 1/√d}. Dropout on the
     * probabilities draws its seed from {@code gen}  |  dq, dk, dv by the blocked backward (the
     * probabilities recomputed from each row's log-sum-exp).
     */
    public static Tensor scaledDotProductAttention(
            Tensor q,
            Tensor k,
            Tensor v,
            Tensor attnMask,
            double dropoutP,
            boolean isCausal,
            Double scale,
            Generator gen) {
        for (Tensor t : new Tensor[] {q, k, v}) requireFloat(t, "scaled_dot_product_attention");
        int[] qs = q.shape(), ks = k.shape(), vs = v.shape();
        if (qs.length < 2 || ks.length != qs.length || vs.length != qs.length) {
            throw new IllegalArgumentException("scaled_dot_product_attention: query, key and value must have the same "
                    + "number of dimensions (2 or more), got " + Shapes.str(qs) + ", " + Shapes.str(ks) + ", "
                    + Shapes.str(vs));
        }
        int r = qs.length;
        int[] lead = Arrays.copyOf(qs, r - 2);
        if (!Arrays.equals(lead, Arrays.copyOf(ks, r - 2))
                || !Arrays.equals(lead, Arrays.copyOf(vs, r - 2))
                || qs[r - 1] != ks[r - 1]
                || ks[r - 2] != vs[r - 2]) {
            throw new IllegalArgumentException(
                    "scaled_dot_product_attention: shapes do not fit: query " + Shapes.str(qs) + " [..., T, d], key "
                            + Shapes.str(ks) + " [..., S, d], value " + Shapes.str(vs) + " [..., S, dv]");
        }
        if (isCausal && attnMask != null)
            throw new IllegalArgumentException(
                    "scaled_dot_product_attention: attn_mask and is_causal cannot both be set");
        int batch = (int) Shapes.numel(lead), t = qs[r - 2], s = ks[r - 2], d = qs[r - 1], dv = vs[r - 1];
        float sc = scale != null ? scale.floatValue() : (float) (1 / Math.sqrt(d));
        long seed = dropoutP > 0 ? ((long) gen.nextInt(Integer.MAX_VALUE) << 31) ^ gen.nextInt(Integer.MAX_VALUE) : 0;
        Attention.Shape sh = new Attention.Shape(batch, t, s, d, dv, isCausal, sc, (float) dropoutP, seed);
        Tensor mask = null;
        long maskStride = 0;
        if (attnMask != null) {
            int[] ms = attnMask.shape();
            boolean shared = Arrays.equals(ms, new int[] {t, s});
            int[] full = Arrays.copyOf(lead, r);
            full[r - 2] = t;
            full[r - 1] = s;
            if (!shared && !Arrays.equals(ms, full)) {
                throw new IllegalArgumentException("scaled_dot_product_attention: attn_mask of shape " + Shapes.str(ms)
                        + " for scores of shape " + Shapes.str(full) + " (give [T, S] or the scores' shape)");
            }
            maskStride = shared ? 0 : (long) t * s;
            mask = attnMask.dtype() == DType.INT32 ? additive(attnMask) : attnMask.detach();
        }
        int[] outShape = Arrays.copyOf(qs, r);
        outShape[r - 1] = dv;
        return run(sh, q, k, v, mask, maskStride, outShape);
    }

    /**
     * Multi-head attention on the projections as a transformer makes them: {@code q [B, T, H·d]},
     * {@code k [B, S, H·d]}, {@code v [B, S, H·dv]} → {@code [B, T, H·dv]}, head h reading columns
     * {@code [h·d, (h+1)·d)} in place — what {@code scaledDotProductAttention} on {@code q.view(B, T, H,
     * d).transpose(1, 2)} (and so on) then transposed back gives, without the four copies. {@code attnMask}:
     * null, or {@code [T, S]} shared by every head (float32 added, or int32 0/1).
     */
    public static Tensor multiHead(
            Tensor q,
            Tensor k,
            Tensor v,
            int heads,
            Tensor attnMask,
            double dropoutP,
            boolean isCausal,
            Double scale,
            Generator gen) {
        for (Tensor t : new Tensor[] {q, k, v}) requireFloat(t, "multi_head_attention");
        int[] qs = q.shape(), ks = k.shape(), vs = v.shape();
        if (qs.length != 3
                || ks.length != 3
                || vs.length != 3
                || qs[0] != ks[0]
                || ks[0] != vs[0]
                || ks[1] != vs[1]
                || qs[2] != ks[2]
                || heads <= 0
                || qs[2] % heads != 0
                || vs[2] % heads != 0) {
            throw new IllegalArgumentException("multi_head_attention: shapes do not fit " + heads + " heads: query "
                    + Shapes.str(qs) + " [B, T, H·d], key " + Shapes.str(ks) + " [B, S, H·d], value " + Shapes.str(vs)
                    + " [B, S, H·dv]");
        }
        if (isCausal && attnMask != null)
            throw new IllegalArgumentException("multi_head_attention: attn_mask and is_causal cannot both be set");
        int t = qs[1], s = ks[1];
        Tensor mask = null;
        if (attnMask != null) {
            if (!Arrays.equals(attnMask.shape(), new int[] {t, s}))
                throw new IllegalArgumentException("multi_head_attention: attn_mask of shape "
                        + Shapes.str(attnMask.shape()) + ", expected [" + t + ", " + s + "]");
            mask = attnMask.dtype() == DType.INT32 ? additive(attnMask) : attnMask.detach();
        }
        int d = qs[2] / heads;
        float sc = scale != null ? scale.floatValue() : (float) (1 / Math.sqrt(d));
        long seed = dropoutP > 0 ? ((long) gen.nextInt(Integer.MAX_VALUE) << 31) ^ gen.nextInt(Integer.MAX_VALUE) : 0;
        Attention.Shape sh =
                new Attention.Shape(qs[0] * heads, heads, t, s, d, vs[2] / heads, isCausal, sc, (float) dropoutP, seed);
        return run(sh, q, k, v, mask, 0, new int[] {qs[0], t, vs[2]});
    }

    /**
     * Self-attention from one projection: {@code qkv [B, T, 3·H·d]} holds q, k and v side by side in each
     * row (as {@code x·W_inᵀ} with PyTorch's {@code in_proj_weight [3·E, E]} leaves them) → {@code [B, T,
     * H·d]}; what {@link #multiHead} gives on the three column blocks, read in place from the one tensor, and
     * the gradient is one {@code [B, T, 3·H·d]} tensor, so the projection's backward is one product.
     * {@code attnMask}: null or {@code [T, T]} (float32 added, or int32 0/1).
     */
    public static Tensor multiHeadPacked(
            Tensor qkv, int heads, Tensor attnMask, double dropoutP, boolean isCausal, Double scale, Generator gen) {
        requireFloat(qkv, "multi_head_attention");
        int[] xs = qkv.shape();
        if (xs.length != 3 || heads <= 0 || xs[2] % (3 * heads) != 0)
            throw new IllegalArgumentException("multi_head_attention: packed q, k, v of shape " + Shapes.str(xs)
                    + " do not fit " + heads + " heads: expected [B, T, 3·H·d]");
        if (isCausal && attnMask != null)
            throw new IllegalArgumentException("multi_head_attention: attn_mask and is_causal cannot both be set");
        int b = xs[0], t = xs[1], e = xs[2] / 3, d = e / heads;
        Tensor mask = null;
        if (attnMask != null) {
            if (!Arrays.equals(attnMask.shape(), new int[] {t, t}))
                throw new IllegalArgumentException("multi_head_attention: attn_mask of shape "
                        + Shapes.str(attnMask.shape()) + ", expected [" + t + ", " + t + "]");
            mask = attnMask.dtype() == DType.INT32 ? additive(attnMask) : attnMask.detach();
        }
        float sc = scale != null ? scale.floatValue() : (float) (1 / Math.sqrt(d));
        long seed = dropoutP > 0 ? ((long) gen.nextInt(Integer.MAX_VALUE) << 31) ^ gen.nextInt(Integer.MAX_VALUE) : 0;
        Attention.Shape sh =
                new Attention.Shape(b * heads, heads, t, t, d, d, isCausal, sc, (float) dropoutP, seed, 3 * e);
        Tensor out = empty(new int[] {b, t, e}), lse = empty(new int[] {Math.max(1, b * heads * t)});
        Tensor m = mask;
        Attention.forwardPacked(sh, segment(qkv), m == null ? null : segment(m), 0, segment(out), segment(lse));
        Reference.reachabilityFence(qkv);
        BackwardFn fn = (g, need) -> {
            Tensor dx = empty(xs);
            Attention.backwardPacked(
                    sh, segment(qkv), m == null ? null : segment(m), 0, segment(lse), segment(g), segment(dx));
            Reference.reachabilityFence(g);
            Reference.reachabilityFence(qkv);
            Reference.reachabilityFence(m);
            Reference.reachabilityFence(lse);
            return new Tensor[] {dx};
        };
        return record(out, "multi_head_attention", fn, qkv);
    }

    private static Tensor run(
            Attention.Shape sh, Tensor q, Tensor k, Tensor v, Tensor mask, long maskStride, int[] outShape) {
        int[] qs = q.shape(), ks = k.shape(), vs = v.shape();
        Tensor out = empty(outShape), lse = empty(new int[] {Math.max(1, sh.batch() * sh.t())});
        Tensor m = mask;
        long mst = maskStride;
        Attention.forward(
                sh, segment(q), segment(k), segment(v), m == null ? null : segment(m), mst, segment(out), segment(lse));
        Reference.reachabilityFence(q);
        Reference.reachabilityFence(k);
        Reference.reachabilityFence(v);
        BackwardFn fn = (g, need) -> {
            Tensor dq = need[0] ? empty(qs) : null, dk = need[1] ? empty(ks) : null, dvT = need[2] ? empty(vs) : null;
            Attention.backward(
                    sh,
                    segment(q),
                    segment(k),
                    segment(v),
                    m == null ? null : segment(m),
                    mst,
                    segment(lse),
                    segment(g),
                    seg(dq),
                    seg(dk),
                    seg(dvT));
            Reference.reachabilityFence(g);
            Reference.reachabilityFence(q);
            Reference.reachabilityFence(k);
            Reference.reachabilityFence(v);
            Reference.reachabilityFence(m);
            Reference.reachabilityFence(lse);
            return new Tensor[] {dq, dk, dvT};
        };
        return record(out, sh.heads() > 1 ? "multi_head_attention" : "scaled_dot_product_attention", fn, q, k, v);
    }

    /** An int32 0/1 mask as additive scores: 0 where 1, -∞ where 0. */
    private static Tensor additive(Tensor mask) {
        int[] v = mask.toIntArray();
        float[] f = new float[v.length];
        for (int i = 0; i < v.length; i++) f[i] = v[i] != 0 ? 0f : Float.NEGATIVE_INFINITY;
        return Tensor.of(f, mask.shape());
    }

    private static java.lang.foreign.MemorySegment seg(Tensor t) {
        return t == null ? null : segment(t);
    }
}
