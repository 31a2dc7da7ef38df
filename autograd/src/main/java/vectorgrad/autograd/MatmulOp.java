package vectorgrad.autograd;

import java.lang.ref.Reference;
import java.util.Arrays;
import vectorgrad.autograd.internal.Shapes;
import vectorgrad.kernels.Gemm;

/**
 * The matrix product of {@link Tensor}, each forward beside its backward rule (the lambda passed to
 * {@code record}): Tensor's public methods delegate here.
 */
final class MatmulOp {
    private MatmulOp() {}

    /**
     * Matrix product  |  dA = g·Bᵀ, dB = Aᵀ·g (transposes are read in place by the kernel, never copied).
     * Shapes: {@code [m,k]·[k,n]}; batched {@code [b,m,k]·[b,k,n]}; and {@code [b,m,k]·[k,n]} (one matrix for
     * every item, its gradient summed over the batch).
     */
    static Tensor matmul(Tensor self, Tensor other) {
        int ra = self.shape.length, rb = other.shape.length;
        if (ra == 0 || rb == 0)
            throw new IllegalArgumentException(
                    "both arguments to matmul need to be at least 1D, but they are " + ra + "D and " + rb + "D");
        // vectors: [k]·[k] is a dot, [k]·[..,k,n] a row, [..,m,k]·[k] a column; the extra dimension is removed
        if (ra == 1 && rb == 1)
            return matmul(self.unsqueeze(0), other.unsqueeze(1)).reshape();
        if (ra == 1) return matmul(self.unsqueeze(0), other).squeeze(-2);
        if (rb == 1) return matmul(self, other.unsqueeze(1)).squeeze(-1);
        if ((ra == 2 && rb == 2) || (ra == 3 && rb == 2) || (ra == 3 && rb == 3 && self.shape[0] == other.shape[0]))
            return matmul3(self, other);
        if (rb == 2) {
            // [..., m, k]·[k, n]: one product of all rows, as Linear does
            int[] out = self.shape.clone();
            out[ra - 1] = other.shape[1];
            if (self.shape[ra - 1] != other.shape[0])
                throw new IllegalArgumentException("mat1 and mat2 shapes cannot be multiplied (" + Shapes.x(self.shape)
                        + " and " + Shapes.x(other.shape) + ")");
            return matmul3(self.reshape(-1, self.shape[ra - 1]), other).reshape(out);
        }
        // batch dimensions broadcast, then flattened into one
        int[] ba = Arrays.copyOf(self.shape, ra - 2), bb = Arrays.copyOf(other.shape, rb - 2);
        int[] batch = Shapes.broadcast(ba, bb, "matmul");
        int m = self.shape[ra - 2], k = self.shape[ra - 1], k2 = other.shape[rb - 2], n = other.shape[rb - 1];
        if (k != k2)
            throw new IllegalArgumentException("mat1 and mat2 shapes cannot be multiplied (" + Shapes.x(self.shape)
                    + " and " + Shapes.x(other.shape) + ")");
        int[] ea = Arrays.copyOf(batch, batch.length + 2), eb = Arrays.copyOf(batch, batch.length + 2);
        ea[batch.length] = m;
        ea[batch.length + 1] = k;
        eb[batch.length] = k;
        eb[batch.length + 1] = n;
        Tensor a = Arrays.equals(self.shape, ea) ? self : self.expand(ea);
        Tensor b = Arrays.equals(other.shape, eb) ? other : other.expand(eb);
        int[] out = Arrays.copyOf(batch, batch.length + 2);
        out[batch.length] = m;
        out[batch.length + 1] = n;
        return matmul3(a.reshape(-1, m, k), b.reshape(-1, k, n)).reshape(out);
    }

    /** {@code bmm}: {@code [b, m, k]·[b, k, n]}, no broadcasting. */
    static Tensor bmm(Tensor self, Tensor other) {
        if (self.shape.length != 3 || other.shape.length != 3 || self.shape[0] != other.shape[0]) {
            throw new IllegalArgumentException("bmm: expected batch1 [b, m, k] and batch2 [b, k, n], got "
                    + Shapes.str(self.shape) + " and " + Shapes.str(other.shape));
        }
        return matmul3(self, other);
    }

    private static Tensor matmul3(Tensor self, Tensor other) {
        self.requireFloat("matmul");
        other.requireFloat("matmul");
        int ra = self.shape.length, rb = other.shape.length;
        boolean ok = (ra == 2 && rb == 2) || (ra == 3 && (rb == 2 || (rb == 3 && other.shape[0] == self.shape[0])));
        if (!ok) {
            throw new IllegalArgumentException("matmul: expected [m,k]·[k,n], [b,m,k]·[b,k,n] or [b,m,k]·[k,n], got "
                    + Shapes.str(self.shape) + " and " + Shapes.str(other.shape));
        }
        int batch = ra == 3 ? self.shape[0] : 1;
        int m = self.shape[ra - 2], k = self.shape[ra - 1], n = other.shape[rb - 1];
        if (other.shape[rb - 2] != k) {
            throw new IllegalArgumentException("mat1 and mat2 shapes cannot be multiplied (" + Shapes.x(self.shape)
                    + " and " + Shapes.x(other.shape) + ")");
        }
        boolean sharedB = rb == 2;
        long sA = (long) m * k, sB = sharedB ? 0 : (long) k * n, sC = (long) m * n;
        int lk = Math.max(1, k), ln = Math.max(1, n), lm = Math.max(1, m);
        Tensor out = Tensor.empty(ra == 3 ? new int[] {batch, m, n} : new int[] {m, n});
        Gemm.sgemmBatched(
                false,
                false,
                batch,
                m,
                n,
                k,
                1f,
                self.seg(),
                0,
                sA,
                lk,
                other.seg(),
                0,
                sB,
                ln,
                0f,
                out.seg(),
                0,
                sC,
                ln);
        Reference.reachabilityFence(self);
        Reference.reachabilityFence(other);
        Tensor a = self, b = other;
        return Tensor.record(
                out,
                "matmul",
                (g, need) -> {
                    Tensor ga = null, gb = null;
                    if (need[0]) {
                        ga = Tensor.empty(a.shape);
                        Gemm.sgemmBatched(
                                false, true, batch, m, k, n, 1f, g.seg(), 0, sC, ln, b.seg(), 0, sB, ln, 0f, ga.seg(),
                                0, sA, lk);
                    }
                    if (need[1]) {
                        gb = Tensor.empty(b.shape);
                        if (sharedB) {
                            // one B for every item: its gradient sums Aᵢᵀ·gᵢ over the batch (beta = 1 after the first)
                            for (int i = 0; i < batch; i++) {
                                Gemm.sgemm(
                                        true,
                                        false,
                                        k,
                                        n,
                                        m,
                                        1f,
                                        a.seg(),
                                        i * sA,
                                        lk,
                                        g.seg(),
                                        i * sC,
                                        ln,
                                        i == 0 ? 0f : 1f,
                                        gb.seg(),
                                        0,
                                        ln);
                            }
                            if (batch == 0) gb.zero_();
                        } else {
                            Gemm.sgemmBatched(
                                    true, false, batch, k, n, m, 1f, a.seg(), 0, sA, lk, g.seg(), 0, sC, ln, 0f,
                                    gb.seg(), 0, sB, ln);
                        }
                    }
                    Reference.reachabilityFence(g);
                    return new Tensor[] {ga, gb};
                },
                a,
                b);
    }
}
