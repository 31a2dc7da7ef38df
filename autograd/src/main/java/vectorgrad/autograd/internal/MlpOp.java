package vectorgrad.autograd.internal;

import static vectorgrad.autograd.internal.TensorAccess.*;

import java.lang.ref.Reference;
import java.util.Arrays;
import vectorgrad.autograd.Tensor;
import vectorgrad.kernels.Elementwise;
import vectorgrad.kernels.Gemm;

/**
 * A transformer block's MLP as one op, {@code linear(gelu(linear(x, w1, b1)), w2, b2)}: its forward and backward
 * side by side, the activation and its derivative applied inside the products' row blocks
 * ({@link Gemm.RowEpilogue}).
 */
public final class MlpOp {
    private MlpOp() {}

    /**
     * {@code linear(gelu(linear(x, w1, b1)), w2, b2)} with exact GELU, as one op: a transformer block's MLP
     * ({@code x [*, in]}, {@code w1 [hidden, in]}, {@code w2 [out, hidden]}, biases {@code [hidden]} and
     * {@code [out]} or null). The values of the three ops (the same bits where a row of the hidden layer is
     * whole vectors); GELU is applied to each block of the first product's rows as the product finishes
     * it, together with its derivative gelu'(h) when a graph is recorded (one exp, Φ and φ a value for both),
     * and the derivative multiplies each block of the hidden gradient's rows likewise, while the block is in
     * cache ({@link Gemm.RowEpilogue}), instead of in passes of their own over the {@code [rows, hidden]}
     * activations.  |  dW2 = gᵀ·a, db2 = Σ g, dh = (g·W2) ⊙ gelu'(h), dW1 = dhᵀ·x, db1 = Σ dh, dx = dh·W1,
     * with h = x·W1ᵀ + b1, a = gelu(h) and gelu'(h) kept from the forward (h itself is not).
     */
    public static Tensor mlp(Tensor x, Tensor w1, Tensor b1, Tensor w2, Tensor b2) {
        requireFloat(x, "mlp");
        int[] xs = x.shape(), w1s = w1.shape(), w2s = w2.shape();
        if (w1s.length != 2 || w2s.length != 2 || w2s[1] != w1s[0])
            throw new IllegalArgumentException("mlp: weights of shapes " + Shapes.str(w1s) + " and " + Shapes.str(w2s)
                    + " do not chain: expected [hidden, in] and [out, hidden]");
        if (b1 != null && !Arrays.equals(b1.shape(), new int[] {w1s[0]}))
            throw new IllegalArgumentException(
                    "mlp: first bias of shape " + Shapes.str(b1.shape()) + " for weight " + Shapes.str(w1s));
        if (b2 != null && !Arrays.equals(b2.shape(), new int[] {w2s[0]}))
            throw new IllegalArgumentException(
                    "mlp: second bias of shape " + Shapes.str(b2.shape()) + " for weight " + Shapes.str(w2s));
        if (xs.length == 0 || xs[xs.length - 1] != w1s[1])
            throw new IllegalArgumentException("mat1 and mat2 shapes cannot be multiplied ("
                    + Shapes.x(xs.length == 0 ? new int[] {1} : xs) + " and " + Shapes.x(new int[] {w1s[1], w1s[0]})
                    + ")");
        // [in] and [*, in] as linear takes them: one row, or all leading dimensions as rows
        if (xs.length != 2) {
            int[] ys = xs.clone();
            ys[ys.length - 1] = w2s[0];
            Tensor rows = xs.length == 1 ? x.unsqueeze(0) : x.reshape(-1, xs[xs.length - 1]);
            return mlp(rows, w1, b1, w2, b2).reshape(ys);
        }
        int rows = xs[0], in = xs[1], hidden = w1s[0], out = w2s[0];
        // h = x·W1ᵀ + b1, a = gelu(h); for a graph, h is overwritten by gelu'(h), all the backward needs of it
        Tensor h = empty(new int[] {rows, hidden}),
                a = empty(new int[] {rows, hidden}),
                y = empty(new int[] {rows, out});
        // the inputs in order, without the absent biases; the gradients come back in the same order
        Tensor[] inputs = Arrays.stream(new Tensor[] {x, w1, b1, w2, b2})
                .filter(t -> t != null)
                .toArray(Tensor[]::new);
        // the derivative is kept exactly when record will record the op and its backward will read it
        boolean graph = records(inputs);
        Gemm.RowEpilogue gelu = new Gemm.RowEpilogue(
                graph ? Gemm.RowEpilogue.Kind.MAP_AND_DERIVATIVE : Gemm.RowEpilogue.Kind.MAP,
                Elementwise.Unary.GELU,
                segment(a),
                0,
                hidden);
        rowsTimesWeight(x, rows, in, w1, b1, h, hidden, gelu);
        rowsTimesWeight(a, rows, hidden, w2, b2, y, out, null);
        fence(x, w1, b1);
        fence(w2, b2, null);
        int iW1 = 1, iB1 = b1 != null ? 2 : -1, iW2 = b1 != null ? 3 : 2, iB2 = b2 != null ? iW2 + 1 : -1;
        BackwardFn fn = (g, need) -> {
            Tensor[] grads = new Tensor[inputs.length];
            if (need[iW2]) {
                grads[iW2] = empty(w2s);
                Gemm.sgemm(
                        true,
                        false,
                        out,
                        hidden,
                        rows,
                        1f,
                        segment(g),
                        0,
                        out,
                        segment(a),
                        0,
                        hidden,
                        0f,
                        segment(grads[iW2]),
                        0,
                        hidden);
            }
            if (iB2 >= 0 && need[iB2]) grads[iB2] = g.sum(0, false);
            if (need[0] || need[iW1] || (iB1 >= 0 && need[iB1])) {
                // dh = (g·W2) ⊙ gelu'(h), each block of rows times the derivative (kept in h) as the product
                // finishes it
                Tensor dh = empty(new int[] {rows, hidden});
                Gemm.sgemm(
                        false,
                        false,
                        rows,
                        hidden,
                        out,
                        1f,
                        segment(g),
                        0,
                        out,
                        segment(w2),
                        0,
                        hidden,
                        0f,
                        segment(dh),
                        0,
                        hidden,
                        new Gemm.RowEpilogue(Gemm.RowEpilogue.Kind.TIMES, null, segment(h), 0, hidden));
                if (need[0]) {
                    grads[0] = empty(xs);
                    Gemm.sgemm(
                            false,
                            false,
                            rows,
                            in,
                            hidden,
                            1f,
                            segment(dh),
                            0,
                            hidden,
                            segment(w1),
                            0,
                            in,
                            0f,
                            segment(grads[0]),
                            0,
                            in);
                }
                if (need[iW1]) {
                    grads[iW1] = empty(w1s);
                    Gemm.sgemm(
                            true,
                            false,
                            hidden,
                            in,
                            rows,
                            1f,
                            segment(dh),
                            0,
                            hidden,
                            segment(x),
                            0,
                            in,
                            0f,
                            segment(grads[iW1]),
                            0,
                            in);
                }
                if (iB1 >= 0 && need[iB1]) grads[iB1] = dh.sum(0, false);
                dh.close();
            }
            fence(g, x, w1);
            fence(w2, h, a);
            return grads;
        };
        return record(y, "mlp", fn, inputs);
    }

    /**
     * {@code y = x·Wᵀ + b} (b may be null) for x of {@code rows} rows of {@code in} and W {@code [out, in]},
     * then {@code epilogue} (or null) over y's rows: Linear's forward and the fused MLP's two products.
     */
    static void rowsTimesWeight(
            Tensor x, int rows, int in, Tensor w, Tensor b, Tensor y, int out, Gemm.RowEpilogue epilogue) {
        Gemm.sgemmBias(
                false,
                true,
                rows,
                out,
                in,
                1f,
                segment(x),
                0,
                in,
                segment(w),
                0,
                in,
                b != null ? segment(b) : null,
                0,
                segment(y),
                0,
                out,
                epilogue);
    }

    private static void fence(Object a, Object b, Object c) {
        Reference.reachabilityFence(a);
        Reference.reachabilityFence(b);
        Reference.reachabilityFence(c);
    }
}
