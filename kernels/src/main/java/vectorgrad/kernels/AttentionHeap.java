package vectorgrad.kernels;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * {@link Attention}'s heap side: the per-thread copies of a problem's operands, the copies in and out of
 * them, and the products on them by six-row tiles ({@link VectorGemm#rowTile}), causal ones cut at each six
 * rows' last key. Attention's passes decide what to copy and multiply; this class holds how.
 */
final class AttentionHeap {
    private AttentionHeap() {}

    private static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT;
    private static final boolean V = Simd.VECTOR_AVAILABLE;

    /** Rows a product tile takes ({@code MicroKernels.rowTile6}'s): the causal products' step. */
    static final int TILE_ROWS = 6;
    /** Columns of a product tile: two vectors; without vectors the scalar loop's 8. */
    static final int TILE_COLS = V ? 2 * Simd.floatLanes() : 8;

    /** {@code n} rounded up to whole product tiles. */
    static int padded(int n) {
        return (n + TILE_COLS - 1) / TILE_COLS * TILE_COLS;
    }

    /**
     * A thread's heap copies of one problem's operands (rows padded with zeros to whole tiles), a block's
     * scores, and the key and value gradients' sums.
     */
    static final class Scratch {
        float[] q = new float[0], kT = new float[0], k = new float[0], v = new float[0], vT = new float[0];
        float[] dOut = new float[0], p = new float[0], dp = new float[0], pd = new float[0], rows = new float[0];
        float[] dkSum = new float[0], dvSum = new float[0];
        int[] rowOff = new int[0];
        /** Where {@link #touch}'s xor goes. */
        int touched;

        final float[] rowD = new float[Attention.ROWS];
        /** The forward's 1/Σ exp of a block's rows, applied to their output rows instead of to p. */
        final float[] rowScale = new float[Attention.ROWS];
        /** The forward's Σ exp of a block's rows, padded to whole vectors of rows ({@link VectorKernels#rowSums}). */
        final float[] rowSum = new float[Attention.ROWS];
        /** The forward's maxima of a block's rows. */
        final float[] rowMax = new float[Attention.ROWS];
        /** A block's row sums on their way out of the vector accumulators: a vector's floats a row. */
        final float[] lanes = new float[Attention.ROWS * Simd.floatLanes()];

        static float[] grow(float[] a, int n) {
            return a.length >= n ? a : new float[n];
        }
    }

    static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);
    /**
     * {@code out = w·x} for the block's rows [i0, i1): w's rows {@code ld} apart (zero past each row's keys),
     * x the problem's rows of {@code width} floats (whole tiles) by key; six rows at a time over their keys.
     */
    static void timesRows(Attention.Shape sh, float[] w, int ld, int i0, int i1, float[] x, int width, float[] out) {
        for (int r0 = i0; r0 < i1; r0 += TILE_ROWS) {
            int r1 = Math.min(i1, r0 + TILE_ROWS);
            product(
                    r1 - r0,
                    width,
                    Attention.keys(sh, r1 - 1),
                    w,
                    (r0 - i0) * ld,
                    ld,
                    1,
                    x,
                    0,
                    width,
                    out,
                    (r0 - i0) * width,
                    width,
                    false);
        }
    }

    /**
     * {@code c[r·ldc + j] (+)= Σ_{p<k} a[aOff + r·ars + p·aks] · b[bOff + p·bks + j]} for r < rows and
     * j < cols (whole tiles), added when {@code add}, else stored over c.
     */
    static void product(
            int rows,
            int cols,
            int k,
            float[] a,
            int aOff,
            int ars,
            int aks,
            float[] b,
            int bOff,
            int bks,
            float[] c,
            int cOff,
            int ldc,
            boolean add) {
        for (int r = 0; r < rows; r += TILE_ROWS) {
            int n = Math.min(TILE_ROWS, rows - r);
            for (int j = 0; j < cols; j += TILE_COLS) {
                int ao = aOff + r * ars, co = cOff + r * ldc + j;
                if (V) {
                    VectorGemm.rowTile(n, k, a, ao, ars, aks, b, bOff + j, bks, c, co, ldc, add);
                    continue;
                }
                // without vectors: the tile's sums one at a time, over p in the tile's order
                for (int rr = 0; rr < n; rr++)
                    for (int jj = 0; jj < TILE_COLS; jj++) {
                        float sum = 0f;
                        for (int p = 0; p < k; p++) sum += a[ao + rr * ars + p * aks] * b[bOff + j + p * bks + jj];
                        int o = co + rr * ldc + jj;
                        c[o] = add ? c[o] + sum : sum;
                    }
            }
        }
    }

    /** Rows of {@code width} floats (row stride {@code ld}) times {@code scale} into dst's rows of ldDst, zero past width. */
    static void rowsIn(MemorySegment src, long off, int ld, int rows, int width, float scale, float[] dst, int ldDst) {
        for (int r = 0; r < rows; r++) {
            long at = off + (long) r * ld;
            int to = r * ldDst;
            if (V) VectorAttention.rowIn(src, at, scale, dst, to, width);
            else for (int c = 0; c < width; c++) dst[to + c] = src.getAtIndex(F, at + c) * scale;
            if (width < ldDst) java.util.Arrays.fill(dst, to + width, to + ldDst, 0f);
        }
    }

    /**
     * The transpose of {@code rows} rows of {@code width} floats into {@code dst [width, ldDst]}, zero past
     * {@code rows} in each of its rows; the rows go through the heap on the way ({@link Scratch#rows}).
     */
    static void transposedIn(
            MemorySegment src, long off, int ld, int rows, int width, Scratch sc, int ldTmp, float[] dst, int ldDst) {
        rowsIn(src, off, ld, rows, width, 1f, sc.rows, ldTmp);
        transposed(sc.rows, ldTmp, rows, width, sc, dst, ldDst);
    }

    /**
     * The transpose of {@code rows} rows of {@code width} floats at {@code src} (row stride {@code ldSrc})
     * into {@code dst [width, ldDst]}, zero past {@code rows} in each of its rows; whole 16x16 blocks go
     * through the register transposes ({@link MicroKernels#transposeBlock16}).
     */
    static void transposed(float[] src, int ldSrc, int rows, int width, Scratch sc, float[] dst, int ldDst) {
        int fullRows = V ? rows - rows % 16 : 0, fullCols = V ? width - width % 16 : 0;
        if (fullRows > 0 && fullCols > 0) {
            int[] rowOff = sc.rowOff = sc.rowOff.length >= fullRows ? sc.rowOff : new int[fullRows];
            for (int j = 0; j < fullRows; j++) rowOff[j] = j * ldSrc;
            for (int j0 = 0; j0 < fullRows; j0 += 16)
                for (int c0 = 0; c0 < fullCols; c0 += 16)
                    MicroKernels.transposeBlock16(src, rowOff, j0, 16, c0, dst, c0 * ldDst + j0, ldDst);
        } else {
            fullCols = 0;
        }
        for (int c = 0; c < width; c++) {
            int to = c * ldDst;
            for (int r = c < fullCols ? fullRows : 0; r < rows; r++) dst[to + r] = src[r * ldSrc + c];
            java.util.Arrays.fill(dst, to + rows, to + ldDst, 0f);
        }
    }

    /** {@link #rowsOut}, row r times {@code scale[r]}. */
    static void rowsOutScaled(
            float[] src, int ldSrc, int rows, int width, float[] scale, MemorySegment dst, long off, int ld) {
        for (int r = 0; r < rows; r++) {
            long at = off + (long) r * ld;
            if (V) VectorAttention.rowOutScaled(src, r * ldSrc, scale[r], dst, at, width);
            else for (int c = 0; c < width; c++) dst.setAtIndex(F, at + c, src[r * ldSrc + c] * scale[r]);
        }
    }

    /** Rows of {@code width} floats from src (row stride ldSrc) to the tensor's rows (stride ld). */
    static void rowsOut(float[] src, int ldSrc, int rows, int width, MemorySegment dst, long off, int ld) {
        for (int r = 0; r < rows; r++) {
            long at = off + (long) r * ld;
            if (V) VectorAttention.rowOut(src, r * ldSrc, dst, at, width);
            else for (int c = 0; c < width; c++) dst.setAtIndex(F, at + c, src[r * ldSrc + c]);
        }
    }

    /** {@link #rowsOut}, each float times {@code scale}. */
    static void rowsOutTimes(
            float[] src, int ldSrc, int rows, int width, float scale, MemorySegment dst, long off, int ld) {
        for (int r = 0; r < rows; r++) {
            long at = off + (long) r * ld;
            if (V) VectorAttention.rowOutScaled(src, r * ldSrc, scale, dst, at, width);
            else for (int c = 0; c < width; c++) dst.setAtIndex(F, at + c, src[r * ldSrc + c] * scale);
        }
    }

    /**
     * {@code sums[j] += Σ_i w[i][j]·x[i]} for the block's keys j < n and rows i in [i0, i1): w the block's
     * rows ({@code ld} apart, zero past each row's keys), x the problem's rows ({@code ldx} floats, row i at
     * {@code i·ldx}). Keys six at a time; with a causal mask a key's sum starts at the first row that sees
     * it (the rows above are zeros there).
     */
    static void keySums(
            Attention.Shape sh, float[] w, int ld, int i0, int i1, int n, float[] x, int ldx, float[] sums) {
        for (int j0 = 0; j0 < n; j0 += TILE_ROWS) {
            int from = sh.causal() ? Math.max(i0, j0) : i0;
            if (from >= i1) break;
            product(
                    Math.min(TILE_ROWS, n - j0),
                    ldx,
                    i1 - from,
                    w,
                    (from - i0) * ld + j0,
                    1,
                    ld,
                    x,
                    from * ldx,
                    ldx,
                    sums,
                    j0 * ldx,
                    ldx,
                    true);
        }
    }

    /**
     * Reads one int of every 64-byte line of {@code rows} rows of {@code width} floats (row stride {@code ld})
     * and returns their xor, so that the reads are not dropped: a pass in address order over a sequence's
     * rows before its heads are copied one at a time. The copies of one head read 128 bytes of every row of a
     * packed projection (rows of 3·heads·d floats), a stride the hardware prefetchers follow poorly.
     */
    static int touch(MemorySegment m, long off, int rows, int ld, int width) {
        int x = 0;
        for (int r = 0; r < rows; r++) {
            long at = off + (long) r * ld;
            for (int c = 0; c < width; c += 16) x ^= m.getAtIndex(ValueLayout.JAVA_INT, at + c);
            x ^= m.getAtIndex(ValueLayout.JAVA_INT, at + width - 1);
        }
        return x;
    }

    static float dot(float[] a, int ao, MemorySegment b, long bo, int n) {
        if (V) return VectorAttention.dot(a, ao, b, bo, n);
        float s = 0;
        for (int i = 0; i < n; i++) s += a[ao + i] * b.getAtIndex(F, bo + i);
        return s;
    }

    /** {@code y[yo + i] += alpha·x[xo + i]} for i < n. */
    static void axpy(float alpha, MemorySegment x, long xo, float[] y, int yo, int n) {
        if (V) VectorAttention.axpy(alpha, x, xo, y, yo, n);
        else for (int i = 0; i < n; i++) y[yo + i] += alpha * x.getAtIndex(F, xo + i);
    }
}
