package vectorgrad.kernels;

import static vectorgrad.kernels.AttentionHeap.*;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Scaled dot-product attention, {@code out = dropout(softmax(scale·q·kᵀ + mask)) · v}, over {@code batch}
 * independent problems (batch x heads) of {@code q [t, d]}, {@code k [s, d]}, {@code v [s, dv]} (packed or
 * head-interleaved: {@link Shape}), computed in blocks of {@link #ROWS} query rows: a block's scores
 * {@code [ROWS, s]} are made, turned into exp(s - max) in place and multiplied by v, each output row then
 * times its 1/Σ, and only each row's log-sum-exp is kept — the backward recomputes the probabilities block
 * by block from it, so no {@code [t, s]} matrix outlives a block.
 *
 * <p>A problem's operands are copied to the heap once (q times the scale, v; for the backward also k, dq's
 * scale applied as it is written out, dOut, and vᵀ; kᵀ for both, transposed there), and the products run
 * on them unpacked, six rows at a time ({@link VectorGemm#rowTile}): no packing per product, and causal
 * attention (query i sees keys j ≤ i, PyTorch's {@code is_causal}) stops each six rows' scores, and the
 * key gradients' sums, at their last key, so about half the scores of a long sequence are
 * made, not three quarters as with whole blocks. The masked entries of a six-row tile are zeros.
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
    /** Whether the rows' passes take vectors: as {@link AttentionRows}' (their last vectors are masked by compares). */
    private static final boolean ROW_VECTORS = Simd.FULL_FLOAT_VECTORS;

    private static final int LANES = Simd.floatLanes();
    /** Query rows per block. */
    static final int ROWS = 64;

    /**
     * A problem's heap copies are arrays: each of {@code t} or {@code s} rows of {@code d} or {@code dv}
     * (padded), or {@link #ROWS} rows of {@code s}, must stay below 2^31 floats.
     */
    private static void checkScratch(Shape sh) {
        long rows = Math.max(Math.max(sh.t(), sh.s()), ROWS), width = Math.max(Math.max(sh.d(), sh.dv()), sh.s());
        if (rows * (width + TILE_COLS) >= Integer.MAX_VALUE)
            throw new IllegalArgumentException("attention: a problem of t=" + sh.t() + ", s=" + sh.s() + ", d=" + sh.d()
                    + ", dv=" + sh.dv() + " needs heap copies of more than 2^31 floats");
    }

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

    /**
     * {@code dst[j] = src[j]·1/(1-p)} where row i keeps key j, 0 elsewhere, for j < n. With the rows' vector
     * passes the span runs on to the next whole vector, inside the padded row: src is 0 there (the exp passes'
     * masked last vectors; a row with every key removed is zeroed to the block's width only, and whatever
     * lies past that is read by no pass), and a scalar tail would hash its keys one at a time (half a vector
     * a row on average). Together with the other row passes' masked last vectors, the GPT's attention with
     * dropout 0.1 (T = 128, 32 x 4 heads, one thread) went from 5.9 + 9.2 to 5.1 + 8.7 ms forward + backward.
     */
    private static void dropoutRow(Shape sh, int b, int i, float[] src, float[] dst, int row, int n, float keepScale) {
        int len = ROW_VECTORS ? (n + LANES - 1) / LANES * LANES : n;
        Rng.dropoutSpan(rowKey(sh, b, i), Rng.keepThreshold(sh.dropoutP()), keepScale, src, row, dst, row, len);
    }

    /** Keys row i of a block sees: all, or i + 1 when causal. */
    static int keys(Shape sh, int i) {
        return sh.causal() ? Math.min(sh.s(), i + 1) : sh.s();
    }

    /** Applies dropout to rows [i0, i1) of p (in place: zero or scaled by 1/(1-p)). */
    private static void dropout(Shape sh, int b, int i0, int i1, float[] p, int ld) {
        if (sh.dropoutP() == 0f) return;
        float scale = 1f / (1f - sh.dropoutP());
        for (int i = i0; i < i1; i++) dropoutRow(sh, b, i, p, p, (i - i0) * ld, keys(sh, i), scale);
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
        int dP = padded(d), dvP = padded(dv), sP = padded(s);
        checkScratch(sh);
        Parallel.forRange(sh.batch(), grain(sh), (b0, b1) -> {
            Scratch sc = SCRATCH.get();
            sc.q = Scratch.grow(sc.q, t * dP);
            sc.kT = Scratch.grow(sc.kT, d * sP);
            sc.v = Scratch.grow(sc.v, s * dvP);
            sc.rows = Scratch.grow(sc.rows, Math.max(s * dP, ROWS * dvP));
            sc.p = Scratch.grow(sc.p, ROWS * sP);
            for (int b = b0; b < b1; b++) {
                if (!fewRows(sh)) warm(sh, b, b0, b1, sc, q, k, v, null);
                rowsIn(q, sh.qOff(b), sh.ldq(), t, d, sh.scale(), sc.q, dP);
                if (!fewRows(sh)) {
                    transposedIn(k, sh.kOff(b), sh.ldq(), s, d, sc, dP, sc.kT, sP);
                    rowsIn(v, sh.vOff(b), sh.ldv(), s, dv, 1f, sc.v, dvP);
                }
                for (int i0 = 0; i0 < t; i0 += ROWS) {
                    int i1 = Math.min(t, i0 + ROWS);
                    scores(sh, sc.q, dP, d, k, sh.kOff(b), sc.kT, sP, i0, i1, sc.p);
                    AttentionRows.fromScores(
                            sh, b, i0, i1, sc.p, sP, keys(sh, i1 - 1), mask, (long) b * maskStride, lse, sc);
                    dropout(sh, b, i0, i1, sc.p, sP);
                    if (fewRows(sh)) {
                        // out = exp(s - max)·v, key by key from v in place, each row then times its 1/Σ
                        for (int i = i0; i < i1; i++) {
                            int row = (i - i0) * sP, o = (i - i0) * dvP;
                            java.util.Arrays.fill(sc.rows, o, o + dv, 0f);
                            for (int j = 0; j < keys(sh, i); j++)
                                axpy(sc.p[row + j], v, sh.vOff(b) + (long) j * sh.ldv(), sc.rows, o, dv);
                        }
                        rowsOutScaled(
                                sc.rows,
                                dvP,
                                i1 - i0,
                                dv,
                                sc.rowScale,
                                out,
                                sh.oOff(b) + (long) i0 * sh.ldo(),
                                sh.ldo());
                        continue;
                    }
                    // out = P·v, six rows at a time over their keys, each row then times its 1/Σ
                    timesRows(sh, sc.p, sP, i0, i1, sc.v, dvP, sc.rows);
                    rowsOutScaled(
                            sc.rows, dvP, i1 - i0, dv, sc.rowScale, out, sh.oOff(b) + (long) i0 * sh.ldo(), sh.ldo());
                }
            }
        });
    }

    /**
     * Whether a problem has fewer query rows than a tile ({@link AttentionHeap#TILE_ROWS}): sampling a GPT with a key and
     * value cache asks one row at a time, and copying and transposing the cached k and v for it would cost
     * more than the row's products. Its scores are then dot products with k's rows and its output a sum of
     * v's rows, read in place; the backward makes the scores the same way, so they have the forward's bits.
     */
    private static boolean fewRows(Shape sh) {
        return sh.t() < TILE_ROWS;
    }

    /** Scores of rows [i0, i1) into p (row stride sP), six rows at a time up to their last row's keys. */
    private static void scores(
            Shape sh,
            float[] q,
            int dP,
            int d,
            MemorySegment k,
            long ko,
            float[] kT,
            int sP,
            int i0,
            int i1,
            float[] p) {
        if (fewRows(sh)) {
            // key by key from k in place (a dot product along d), for the forward and the backward alike
            for (int i = i0; i < i1; i++)
                for (int j = 0, n = keys(sh, i); j < n; j++)
                    p[(i - i0) * sP + j] = AttentionHeap.dot(q, i * dP, k, ko + (long) j * sh.ldq(), d);
            return;
        }
        for (int r0 = i0; r0 < i1; r0 += TILE_ROWS) {
            int r1 = Math.min(i1, r0 + TILE_ROWS);
            product(r1 - r0, padded(keys(sh, r1 - 1)), d, q, r0 * dP, dP, 1, kT, 0, sP, p, (r0 - i0) * sP, sP, false);
        }
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
     * Backward, from the forward's {@code lse} and the upstream gradient {@code dOut}:
     * {@code dq}, {@code dk}, {@code dv} (overwritten; any may be null). With {@code P} the probabilities
     * (after dropout: {@code P̃}), {@code dV = P̃ᵀ·dO}, {@code dP̃ = dO·vᵀ}, {@code dS = P ⊙ (dP - D)} with
     * {@code D_i = dO_i · out_i = Σ_j P̃_ij·dP̃_ij} and {@code dP} the dropout's gradient of {@code dP̃};
     * {@code dq = scale·dS·k}, {@code dk = scale·dSᵀ·q}. {@code lse} must be the forward's as it wrote it:
     * the probabilities are remade as exp(s - lse), which the row passes take to be at most 1.
     */
    public static void backward(
            Shape sh,
            MemorySegment q,
            MemorySegment k,
            MemorySegment v,
            MemorySegment mask,
            long maskStride,
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
        int dP = padded(d), dvP = padded(dvn), sP = padded(s);
        checkScratch(sh);
        Parallel.forRange(sh.batch(), grain(sh), (b0, b1) -> {
            Scratch sc = SCRATCH.get();
            sc.q = Scratch.grow(sc.q, t * dP);
            sc.kT = Scratch.grow(sc.kT, d * sP);
            sc.k = Scratch.grow(sc.k, s * dP);
            sc.vT = Scratch.grow(sc.vT, dvn * sP);
            sc.dOut = Scratch.grow(sc.dOut, t * dvP);
            sc.rows = Scratch.grow(sc.rows, Math.max(s * dvP, ROWS * dP));
            sc.p = Scratch.grow(sc.p, ROWS * sP);
            sc.dp = Scratch.grow(sc.dp, ROWS * sP);
            if (dk != null) sc.dkSum = Scratch.grow(sc.dkSum, s * dP);
            if (dv != null) sc.dvSum = Scratch.grow(sc.dvSum, s * dvP);
            boolean dropped = sh.dropoutP() > 0f;
            if (dropped) sc.pd = Scratch.grow(sc.pd, ROWS * sP);
            float[] rowD = sc.rowD;
            int lo = sh.ldo();
            for (int b = b0; b < b1; b++) {
                long qo = sh.qOff(b), ko = sh.kOff(b), vo = sh.vOff(b), oo = sh.oOff(b);
                warm(sh, b, b0, b1, sc, q, k, v, dOut);
                rowsIn(q, qo, sh.ldq(), t, d, sh.scale(), sc.q, dP);
                // k read once: kᵀ for the scores from its heap copy, dq's scale applied on the way out
                rowsIn(k, ko, sh.ldq(), s, d, 1f, sc.k, dP);
                transposed(sc.k, dP, s, d, sc, sc.kT, sP);
                transposedIn(v, vo, sh.ldv(), s, dvn, sc, dvP, sc.vT, sP);
                rowsIn(dOut, oo, lo, t, dvn, 1f, sc.dOut, dvP);
                if (dk != null) java.util.Arrays.fill(sc.dkSum, 0, s * dP, 0f);
                if (dv != null) java.util.Arrays.fill(sc.dvSum, 0, s * dvP, 0f);
                for (int i0 = 0; i0 < t; i0 += ROWS) {
                    int i1 = Math.min(t, i0 + ROWS), n = keys(sh, i1 - 1);
                    float[] p = sc.p, dp = sc.dp;
                    scores(sh, sc.q, dP, d, k, ko, sc.kT, sP, i0, i1, p);
                    AttentionRows.fromLse(sh, b, i0, i1, p, sP, n, mask, (long) b * maskStride, lse);
                    // dP̃ = dO·vᵀ, six rows at a time over their keys
                    for (int r0 = i0; r0 < i1; r0 += TILE_ROWS) {
                        int r1 = Math.min(i1, r0 + TILE_ROWS);
                        product(
                                r1 - r0,
                                padded(keys(sh, r1 - 1)),
                                dvn,
                                sc.dOut,
                                r0 * dvP,
                                dvP,
                                1,
                                sc.vT,
                                0,
                                sP,
                                dp,
                                (r0 - i0) * sP,
                                sP,
                                false);
                    }
                    // P̃ = the probabilities after dropout: one keep decision per entry, shared by dV and dS
                    float[] pd = p;
                    if (dropped) {
                        pd = sc.pd;
                        float keepScale = 1f / (1f - sh.dropoutP());
                        for (int i = i0; i < i1; i++) {
                            int row = (i - i0) * sP, nj = keys(sh, i);
                            dropoutRow(sh, b, i, p, pd, row, nj, keepScale);
                            if (nj < n) java.util.Arrays.fill(pd, row + nj, row + n, 0f);
                        }
                    }
                    // dV += P̃ᵀ·dO: keys six at a time, over the rows that see them
                    if (dv != null) keySums(sh, pd, sP, i0, i1, n, sc.dOut, dvP, sc.dvSum);
                    // D_i = dO_i·out_i = Σ_j P̃_ij·dP̃_ij (out_i = Σ_j P̃_ij·v_j), from the block's rows in cache
                    // rather than the output's rows from memory; every row's sum before any row's dS, so the
                    // rows' reductions overlap
                    if (ROW_VECTORS) {
                        // each row's vector of products, then every row's lanes summed side by side
                        for (int i = i0; i < i1; i++)
                            VectorAttention.dotLanes(pd, dp, (i - i0) * sP, keys(sh, i), sc.lanes, (i - i0) * LANES);
                        VectorKernels.rowSums(sc.lanes, i1 - i0, rowD);
                    } else {
                        for (int i = i0; i < i1; i++) {
                            int row = (i - i0) * sP;
                            float sum = 0;
                            for (int j = row; j < row + keys(sh, i); j++) sum += pd[j] * dp[j];
                            rowD[i - i0] = sum;
                        }
                    }
                    // dS = P ⊙ (dP - D) with dP = dP̃ ⊙ (P̃ / P): P̃ ⊙ dP̃ - P·D, in dp
                    for (int i = i0; i < i1; i++) {
                        int row = (i - i0) * sP, nj = keys(sh, i);
                        float di = rowD[i - i0];
                        if (pd != p) {
                            if (ROW_VECTORS) VectorAttention.gradScoresDropped(p, pd, dp, row, nj, di);
                            else for (int j = row; j < row + nj; j++) dp[j] = pd[j] * dp[j] - p[j] * di;
                        } else if (ROW_VECTORS) {
                            VectorAttention.gradScores(p, dp, row, nj, di);
                        } else {
                            for (int j = row; j < row + nj; j++) dp[j] = p[j] * (dp[j] - di);
                        }
                        if (nj < n) java.util.Arrays.fill(dp, row + nj, row + n, 0f);
                    }
                    if (dq != null) {
                        // dq = scale·(dS·k), six rows at a time over their keys
                        timesRows(sh, dp, sP, i0, i1, sc.k, dP, sc.rows);
                        rowsOutTimes(sc.rows, dP, i1 - i0, d, sh.scale(), dq, qo + (long) i0 * sh.ldq(), sh.ldq());
                    }
                    // dk += dSᵀ·(scale·q)
                    if (dk != null) keySums(sh, dp, sP, i0, i1, n, sc.q, dP, sc.dkSum);
                }
                if (dk != null) rowsOut(sc.dkSum, dP, s, d, dk, ko, sh.ldq());
                if (dv != null) rowsOut(sc.dvSum, dvP, s, dvn, dv, vo, sh.ldv());
            }
        });
    }

    /** The most {@link #warm} reads ahead: half of a 1-MB L2. */
    private static final long WARM_MAX_BYTES = 512 * 1024;

    /**
     * At the first of a sequence's heads in a thread's range [b0, b1): reads the sequence's rows of q, k, v
     * (and dOut) for the heads the range holds in address order ({@link AttentionHeap#touch}), so that the
     * heads' copies, 128 bytes a row each for d = 32, find them in cache. The GPT's packed attention
     * (T = 128, 32 x 4 heads, dropout 0.1, one thread), forward + backward: 0.89 of the time without it
     * (paired, both orders); reading the outputs' rows ahead as well made it 3 % slower.
     */
    private static void warm(
            Shape sh,
            int b,
            int b0,
            int b1,
            Scratch sc,
            MemorySegment q,
            MemorySegment k,
            MemorySegment v,
            MemorySegment dOut) {
        int heads = sh.heads();
        if (heads == 1 || (b != b0 && b % heads != 0)) return;
        int n = Math.min(b1 - b, heads - b % heads);
        // only while what it reads stays in L2 until the heads' copies use it (T = 128: 4 x 64 KB)
        if (4L * Math.max(sh.t(), sh.s()) * n * Math.max(sh.d(), sh.dv()) * Float.BYTES > WARM_MAX_BYTES) return;
        int x = touch(q, sh.qOff(b), sh.t(), sh.ldq(), n * sh.d());
        x ^= touch(k, sh.kOff(b), sh.s(), sh.ldq(), n * sh.d());
        x ^= touch(v, sh.vOff(b), sh.s(), sh.ldv(), n * sh.dv());
        if (dOut != null) x ^= touch(dOut, sh.oOff(b), sh.t(), sh.ldo(), n * sh.dv());
        sc.touched ^= x;
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
