package vectorgrad.kernels;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Scaled dot-product attention, {@code out = dropout(softmax(scale·q·kᵀ + mask)) · v}, over {@code batch}
 * independent problems (batch x heads) of {@code q [t, d]}, {@code k [s, d]}, {@code v [s, dv]} (packed or
 * head-interleaved: {@link Shape}), computed
 * in blocks of {@link #ROWS} query rows: a block's scores {@code [ROWS, s]} are made by sgemm, turned into
 * probabilities in place and multiplied by v, and only each row's log-sum-exp is kept — the backward
 * recomputes the probabilities block by block from it, so no {@code [t, s]} matrix outlives a block.
 *
 * <p>Causal attention (query i sees keys j ≤ i, PyTorch's {@code is_causal}) stops each block's scores at
 * its last row's key, skipping the masked upper half of the products; the block's own triangle is masked.
 * An additive {@code mask} ({@code [t, s]} per problem, or one shared: {@code maskStride} 0) is added to
 * the scores; -∞ removes a key. A row with every key removed gives zeros (PyTorch gives NaN there).
 * Dropout keeps each probability with chance {@code 1 - p} (scaled by {@code 1/(1-p)}), the decision a hash
 * of (seed, problem, row, key), so the backward regenerates it and no mask is stored.
 *
 * <p>Problems run in parallel, each from start to end on one thread in a fixed order (the key and value
 * gradients add the blocks in order), so results do not depend on the thread count.
 */
public final class Attention {
    private Attention() {}

    private static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT;
    private static final boolean V = Simd.VECTOR_AVAILABLE;
    /** Query rows per block. */
    static final int ROWS = 64;

    private static final ThreadScratch.NativeFloats SCORES = new ThreadScratch.NativeFloats(),
            GRAD_SCORES = new ThreadScratch.NativeFloats(),
            DROPPED = new ThreadScratch.NativeFloats();

    /**
     * The problems' geometry and options, checked once. {@code batch} problems; with {@code heads} > 1 the
     * tensors are packed as a transformer's projections leave them — {@code q [batch/heads, t, heads·d]},
     * problem {@code b} being head {@code b % heads} of sequence {@code b / heads} — and read in place
     * through row strides, so no head needs to be copied out; with {@code heads} = 1, {@code q [batch, t, d]}.
     * {@code inputStride} > 0: q, k and v (and their gradients) are rows of that many floats — the columns
     * of one {@code [batch/heads, t, 3·heads·d]} projection, each segment starting at its own column
     * (self-attention from one product); 0: {@code heads·d} (q, k) and {@code heads·dv} (v). The output
     * is always {@code [batch/heads, t, heads·dv]}.
     */
    public record Shape(
            int batch,
            int heads,
            int t,
            int s,
            int d,
            int dv,
            boolean causal,
            float scale,
            float dropoutP,
            long seed,
            int inputStride) {
        public Shape {
            if (batch < 0 || heads <= 0 || batch % heads != 0 || t <= 0 || s <= 0 || d <= 0 || dv <= 0)
                throw new IllegalArgumentException("attention: bad geometry batch=" + batch + " heads=" + heads + " t="
                        + t + " s=" + s + " d=" + d + " dv=" + dv);
            if (!(dropoutP >= 0 && dropoutP < 1))
                throw new IllegalArgumentException(
                        "attention: dropout probability has to be in [0, 1), got " + dropoutP);
            if (inputStride != 0 && inputStride < heads * Math.max(d, dv))
                throw new IllegalArgumentException(
                        "attention: input stride " + inputStride + " below a row of " + heads + " heads");
        }

        /** Heads in rows of their own width ({@code inputStride} 0). */
        public Shape(
                int batch,
                int heads,
                int t,
                int s,
                int d,
                int dv,
                boolean causal,
                float scale,
                float dropoutP,
                long seed) {
            this(batch, heads, t, s, d, dv, causal, scale, dropoutP, seed, 0);
        }

        /** Unpacked: {@code q [batch, t, d]}, {@code k [batch, s, d]}, {@code v [batch, s, dv]}. */
        public Shape(int batch, int t, int s, int d, int dv, boolean causal, float scale, float dropoutP, long seed) {
            this(batch, 1, t, s, d, dv, causal, scale, dropoutP, seed, 0);
        }

        /** Where problem b's first row starts in a tensor of {@code rows} rows of {@code stride} floats. */
        long offset(int b, int rows, int width, int stride) {
            return (long) (b / heads) * rows * stride + (long) (b % heads) * width;
        }

        long qOff(int b) {
            return offset(b, t, d, ldq());
        }

        long kOff(int b) {
            return offset(b, s, d, ldq());
        }

        long vOff(int b) {
            return offset(b, s, dv, ldv());
        }

        long oOff(int b) {
            return offset(b, t, dv, ldo());
        }

        /** Row stride of q and k (and their gradients). */
        int ldq() {
            return inputStride != 0 ? inputStride : heads * d;
        }

        /** Row stride of v (and its gradient). */
        int ldv() {
            return inputStride != 0 ? inputStride : heads * dv;
        }

        /** Row stride of the output and its gradient. */
        int ldo() {
            return heads * dv;
        }
    }

    /**
     * Whether dropout keeps probability (b, i, j): {@link Rng#keeps} of the row's key ({@link #rowKey})
     * and j, as {@link Rng#dropout} decides a block's elements (a row is a block here). Per-row 64-bit
     * mixing and per-entry 32-bit mixing, so the entries of a row are decided a vector at a time with
     * integer multiplies every vector width has.
     */
    static boolean keep(Shape sh, int b, int i, int j) {
        return Rng.keeps(rowKey(sh, b, i), j, Rng.keepThreshold(sh.dropoutP()));
    }

    /** Row i of problem b's key: a splitmix64 hash of (seed, b, i), its low 32 bits. */
    static int rowKey(Shape sh, int b, int i) {
        long z = sh.seed() + 0x9E3779B97F4A7C15L * ((long) b * sh.t() + i + 1);
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return (int) (z ^ (z >>> 31));
    }

    /** {@code dst[j] = src[j]·1/(1-p)} where row i keeps key j, 0 elsewhere, for j < n. */
    private static void dropoutRow(
            Shape sh, int b, int i, MemorySegment src, MemorySegment dst, long row, int n, float keepScale) {
        Rng.dropoutSpan(rowKey(sh, b, i), Rng.keepThreshold(sh.dropoutP()), keepScale, src, row, dst, row, n);
    }

    /** Keys row i of a block sees: all, or i + 1 when causal. */
    private static int keys(Shape sh, int i) {
        return sh.causal() ? Math.min(sh.s(), i + 1) : sh.s();
    }

    /**
     * The probabilities of rows [i0, i1) of problem b into {@code p} (row stride {@code ld}, columns up to
     * each row's key count; zeros past it up to {@code width}, the block's key count, which is all the
     * products after read), from the scores already there; with {@code lse} null they are made from the
     * scores (and the log-sum-exp stored to {@code lseOut}), otherwise from the stored ones.
     */
    private static void probabilities(
            Shape sh,
            int b,
            int i0,
            int i1,
            MemorySegment p,
            int ld,
            int width,
            MemorySegment mask,
            long maskOff,
            MemorySegment lse,
            MemorySegment lseOut) {
        for (int i = i0; i < i1; i++) {
            long row = (long) (i - i0) * ld;
            int n = keys(sh, i);
            if (mask != null) Elementwise.axpy(n, 1f, mask, maskOff + (long) i * sh.s(), p, row);
            float m;
            if (lse == null) {
                m = V ? VectorAttention.max(p, row, n) : Float.NEGATIVE_INFINITY;
                if (!V) for (int j = 0; j < n; j++) m = Math.max(m, p.getAtIndex(F, row + j));
            } else {
                m = lse.getAtIndex(F, (long) b * sh.t() + i);
            }
            if (m == Float.NEGATIVE_INFINITY) {
                // every key removed: no weights (PyTorch's NaN is of no use to a caller)
                Elementwise.fill(p, row, width, 0f);
                if (lseOut != null) lseOut.setAtIndex(F, (long) b * sh.t() + i, Float.NEGATIVE_INFINITY);
                continue;
            }
            double sum = 0;
            if (V && lse == null) {
                sum = VectorAttention.expShiftedSum(p, row, n, m);
            } else if (V) {
                VectorAttention.expShifted(p, row, n, m);
            } else {
                Elementwise.affine(p, row, 1f, -m, p, row, n);
                for (int j = 0; j < n; j++) p.setAtIndex(F, row + j, ScalarExp.exp(p.getAtIndex(F, row + j)));
                if (lse == null) sum = BatchNorm.runSum(p, row, n);
            }
            if (lse == null) {
                Elementwise.affine(p, row, (float) (1 / sum), 0f, p, row, n);
                lseOut.setAtIndex(F, (long) b * sh.t() + i, (float) (m + Math.log(sum)));
            }
            if (n < width) Elementwise.fill(p, row + n, width - n, 0f);
        }
    }

    /** Applies dropout to rows [i0, i1) of p (in place: zero or scaled by 1/(1-p)). */
    private static void dropout(Shape sh, int b, int i0, int i1, MemorySegment p, int ld) {
        if (sh.dropoutP() == 0f) return;
        float scale = 1f / (1f - sh.dropoutP());
        for (int i = i0; i < i1; i++) dropoutRow(sh, b, i, p, p, (long) (i - i0) * ld, keys(sh, i), scale);
    }

    /**
     * Problems per thread at least: so many that a thread's share is worth waking it for. A problem is
     * one query block's products, {@code 2·t·s·(d + dv)} flops; below 2^18 flops a share stays on the
     * calling thread. (Sampling a GPT, one query over at most 128 keys in 4 heads of 32: the attention
     * took 0.164 ms a character on two threads and 0.051 on one.) Which thread runs a problem never
     * changes its result.
     */
    static int grain(Shape sh) {
        long flops = 2L * sh.t() * sh.s() * (sh.d() + sh.dv());
        return (int) Math.max(1, Math.min(sh.batch(), (1L << 18) / Math.max(1, flops)));
    }

    /**
     * Forward: {@code out [batch, t, dv]} and the rows' log-sum-exp {@code lse [batch, t]} for the backward.
     * {@code mask} may be null; otherwise {@code maskStride} floats apart per problem (0: shared).
     */
    public static void forward(
            Shape sh,
            MemorySegment q,
            MemorySegment k,
            MemorySegment v,
            MemorySegment mask,
            long maskStride,
            MemorySegment out,
            MemorySegment lse) {
        int t = sh.t(), s = sh.s(), d = sh.d(), dv = sh.dv();
        check(sh, q, k, v, mask, maskStride);
        Check.floats(out, 0, (long) sh.batch() * t * dv, "attention output");
        Check.floats(lse, 0, (long) sh.batch() * t, "attention log-sum-exp");
        Parallel.forRange(sh.batch(), grain(sh), (b0, b1) -> {
            MemorySegment p = SCORES.get((long) ROWS * s);
            int lq = sh.ldq(), lv = sh.ldv(), lo = sh.ldo();
            for (int b = b0; b < b1; b++) {
                long qo = sh.qOff(b), ko = sh.kOff(b), vo = sh.vOff(b), oo = sh.oOff(b);
                for (int i0 = 0; i0 < t; i0 += ROWS) {
                    int i1 = Math.min(t, i0 + ROWS), rows = i1 - i0, n = keys(sh, i1 - 1);
                    Gemm.sgemm(false, true, rows, n, d, sh.scale(), q, qo + (long) i0 * lq, lq, k, ko, lq, 0f, p, 0, s);
                    probabilities(sh, b, i0, i1, p, s, n, mask, (long) b * maskStride, null, lse);
                    dropout(sh, b, i0, i1, p, s);
                    Gemm.sgemm(false, false, rows, dv, n, 1f, p, 0, s, v, vo, lv, 0f, out, oo + (long) i0 * lo, lo);
                }
            }
        });
    }

    /**
     * {@link #forward} for self-attention from one projection: {@code qkv [batch/heads, t, 3·heads·d]}
     * holds q, k and v as its column blocks ({@code sh.inputStride()} = 3·heads·d, t = s, d = dv).
     */
    public static void forwardPacked(
            Shape sh, MemorySegment qkv, MemorySegment mask, long maskStride, MemorySegment out, MemorySegment lse) {
        long block = packedBlock(sh);
        forward(sh, qkv, qkv.asSlice(block), qkv.asSlice(2 * block), mask, maskStride, out, lse);
    }

    /** {@link #backward} for {@link #forwardPacked}: the three gradients into the column blocks of {@code dqkv}. */
    public static void backwardPacked(
            Shape sh,
            MemorySegment qkv,
            MemorySegment mask,
            long maskStride,
            MemorySegment out,
            MemorySegment lse,
            MemorySegment dOut,
            MemorySegment dqkv) {
        long block = packedBlock(sh);
        backward(
                sh,
                qkv,
                qkv.asSlice(block),
                qkv.asSlice(2 * block),
                mask,
                maskStride,
                out,
                lse,
                dOut,
                dqkv,
                dqkv.asSlice(block),
                dqkv.asSlice(2 * block));
    }

    /** Bytes from q's columns to k's (and k's to v's) in a packed projection. */
    private static long packedBlock(Shape sh) {
        int e = sh.heads() * sh.d();
        if (sh.t() != sh.s() || sh.d() != sh.dv() || sh.inputStride() != 3 * e)
            throw new IllegalArgumentException(
                    "attention: a packed projection needs t = s, d = dv and rows of 3·" + e + " floats, got " + sh);
        return (long) e * Float.BYTES;
    }

    /**
     * Backward, from the forward's {@code out} and {@code lse} and the upstream gradient {@code dOut}:
     * {@code dq}, {@code dk}, {@code dv} (overwritten; any may be null). With {@code P} the probabilities
     * (after dropout: {@code P̃}), {@code dV = P̃ᵀ·dO}, {@code dP̃ = dO·vᵀ}, {@code dS = P ⊙ (dP - D)} with
     * {@code D_i = dO_i · out_i} and {@code dP} the dropout's gradient of {@code dP̃};
     * {@code dq = scale·dS·k}, {@code dk = scale·dSᵀ·q}.
     */
    public static void backward(
            Shape sh,
            MemorySegment q,
            MemorySegment k,
            MemorySegment v,
            MemorySegment mask,
            long maskStride,
            MemorySegment out,
            MemorySegment lse,
            MemorySegment dOut,
            MemorySegment dq,
            MemorySegment dk,
            MemorySegment dv) {
        int t = sh.t(), s = sh.s(), d = sh.d(), dvn = sh.dv();
        check(sh, q, k, v, mask, maskStride);
        Check.floats(dOut, 0, (long) sh.batch() * t * dvn, "attention grad output");
        if (dq != null) Check.floats(dq, 0, extent(sh, t, d, sh.ldq()), "attention query gradient");
        if (dk != null) Check.floats(dk, 0, extent(sh, s, d, sh.ldq()), "attention key gradient");
        if (dv != null) Check.floats(dv, 0, extent(sh, s, dvn, sh.ldv()), "attention value gradient");
        Parallel.forRange(sh.batch(), grain(sh), (b0, b1) -> {
            MemorySegment p = SCORES.get((long) ROWS * s), dp = GRAD_SCORES.get((long) ROWS * s);
            float[] rowD = new float[ROWS];
            int lq = sh.ldq(), lv = sh.ldv(), lo = sh.ldo();
            for (int b = b0; b < b1; b++) {
                long qo = sh.qOff(b), ko = sh.kOff(b), vo = sh.vOff(b), oo = sh.oOff(b);
                for (int j = 0; j < s; j++) {
                    if (dk != null) Elementwise.fill(dk, ko + (long) j * lq, d, 0f);
                    if (dv != null) Elementwise.fill(dv, vo + (long) j * lv, dvn, 0f);
                }
                for (int i0 = 0; i0 < t; i0 += ROWS) {
                    int i1 = Math.min(t, i0 + ROWS), rows = i1 - i0, n = keys(sh, i1 - 1);
                    Gemm.sgemm(false, true, rows, n, d, sh.scale(), q, qo + (long) i0 * lq, lq, k, ko, lq, 0f, p, 0, s);
                    probabilities(sh, b, i0, i1, p, s, n, mask, (long) b * maskStride, lse, null);
                    // dP̃ = dO·vᵀ
                    Gemm.sgemm(false, true, rows, n, dvn, 1f, dOut, oo + (long) i0 * lo, lo, v, vo, lv, 0f, dp, 0, s);
                    // P̃ = the probabilities after dropout: one keep decision per entry, shared by dV and dS
                    MemorySegment pd = p;
                    if (sh.dropoutP() > 0f) {
                        pd = DROPPED.get((long) ROWS * s);
                        float keepScale = 1f / (1f - sh.dropoutP());
                        for (int i = i0; i < i1; i++) {
                            long row = (long) (i - i0) * s;
                            int nj = keys(sh, i);
                            dropoutRow(sh, b, i, p, pd, row, nj, keepScale);
                            if (nj < n) Elementwise.fill(pd, row + nj, n - nj, 0f);
                        }
                    }
                    if (dv != null)
                        Gemm.sgemm(
                                true, false, n, dvn, rows, 1f, pd, 0, s, dOut, oo + (long) i0 * lo, lo, 1f, dv, vo, lv);
                    for (int i = i0; i < i1; i++) {
                        rowD[i - i0] = dot(dOut, oo + (long) i * lo, out, oo + (long) i * lo, dvn);
                    }
                    // dS = P ⊙ (dP - D) with dP = dP̃ ⊙ (P̃ / P): P̃ ⊙ dP̃ - P·D, in dp
                    for (int i = i0; i < i1; i++) {
                        long row = (long) (i - i0) * s;
                        int nj = keys(sh, i);
                        float di = rowD[i - i0];
                        if (pd != p) {
                            if (V) VectorAttention.gradScoresDropped(p, pd, dp, row, nj, di);
                            else
                                for (int j = 0; j < nj; j++)
                                    dp.setAtIndex(
                                            F,
                                            row + j,
                                            pd.getAtIndex(F, row + j) * dp.getAtIndex(F, row + j)
                                                    - p.getAtIndex(F, row + j) * di);
                        } else if (V) {
                            VectorAttention.gradScores(p, dp, row, nj, di);
                        } else {
                            for (int j = 0; j < nj; j++)
                                dp.setAtIndex(F, row + j, p.getAtIndex(F, row + j) * (dp.getAtIndex(F, row + j) - di));
                        }
                        if (nj < n) Elementwise.fill(dp, row + nj, n - nj, 0f);
                    }
                    if (dq != null)
                        Gemm.sgemm(
                                false,
                                false,
                                rows,
                                d,
                                n,
                                sh.scale(),
                                dp,
                                0,
                                s,
                                k,
                                ko,
                                lq,
                                0f,
                                dq,
                                qo + (long) i0 * lq,
                                lq);
                    if (dk != null)
                        Gemm.sgemm(
                                true,
                                false,
                                n,
                                d,
                                rows,
                                sh.scale(),
                                dp,
                                0,
                                s,
                                q,
                                qo + (long) i0 * lq,
                                lq,
                                1f,
                                dk,
                                ko,
                                lq);
                }
            }
        });
    }

    private static float dot(MemorySegment a, long ao, MemorySegment b, long bo, int n) {
        if (V) return VectorAttention.dot(a, ao, b, bo, n);
        float s = 0;
        for (int i = 0; i < n; i++) s += a.getAtIndex(F, ao + i) * b.getAtIndex(F, bo + i);
        return s;
    }

    private static void check(
            Shape sh, MemorySegment q, MemorySegment k, MemorySegment v, MemorySegment mask, long maskStride) {
        Check.floats(q, 0, extent(sh, sh.t(), sh.d(), sh.ldq()), "attention query");
        Check.floats(k, 0, extent(sh, sh.s(), sh.d(), sh.ldq()), "attention key");
        Check.floats(v, 0, extent(sh, sh.s(), sh.dv(), sh.ldv()), "attention value");
        if (mask != null)
            Check.floats(mask, 0, maskStride * Math.max(0, sh.batch() - 1) + (long) sh.t() * sh.s(), "attention mask");
    }

    /** Floats a tensor of the problems' {@code rows} rows of {@code width} per head spans at this row stride. */
    private static long extent(Shape sh, int rows, int width, int stride) {
        long allRows = (long) (sh.batch() / sh.heads()) * rows;
        return allRows == 0 ? 0 : (allRows - 1) * stride + (long) sh.heads() * width;
    }
}
