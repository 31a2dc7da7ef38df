package vectorgrad.kernels;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/** Vector bodies of {@link Gemm}; loaded only when the Vector API is available. */
final class VectorGemm {
    private VectorGemm() {}

    private static final VectorSpecies<Float> S = VectorKernels.S;
    /** Fused multiply-add where it is an instruction, else multiply then add (see {@link Config#FMA}). */
    private static final boolean FMA = Config.FMA;

    private static final int L = S.length();
    private static final ByteOrder NO = ByteOrder.nativeOrder();

    /** {@code c[ci + j] += s * b[bp + j]} for j in [0, n). */
    static void axpyRow(int n, float s, MemorySegment b, long bp, MemorySegment c, long ci) {
        int upper = n - n % L;
        FloatVector vs = FloatVector.broadcast(S, s);
        for (int j = 0; j < upper; j += L) {
            long cb = (ci + j) * Float.BYTES;
            FloatVector vb = FloatVector.fromMemorySegment(S, b, (bp + j) * Float.BYTES, NO);
            FloatVector.fromMemorySegment(S, c, cb, NO).add(vb.mul(vs)).intoMemorySegment(c, cb, NO);
        }
        Elementwise.axpyScalar(n, s, b, bp, c, ci, upper);
    }

    /**
     * {@code rows} rows of C, {@code ldc} apart from {@code ci}, plus {@code row[col..col+n)}: a bias row added
     * to a tile just stored, while it is in L1 ({@link PackedGemm}).
     */
    static void addRows(MemorySegment row, long col, int rows, int n, MemorySegment c, long ci, int ldc) {
        int upper = n - n % L;
        for (int j = 0; j < upper; j += L) {
            FloatVector v = FloatVector.fromMemorySegment(S, row, (col + j) * Float.BYTES, NO);
            for (int r = 0; r < rows; r++) {
                long at = (ci + (long) r * ldc + j) * Float.BYTES;
                FloatVector.fromMemorySegment(S, c, at, NO).add(v).intoMemorySegment(c, at, NO);
            }
        }
        for (int j = upper; j < n; j++) {
            float x = row.getAtIndex(ValueLayout.JAVA_FLOAT, col + j);
            for (int r = 0; r < rows; r++) {
                long at = ci + (long) r * ldc + j;
                c.setAtIndex(ValueLayout.JAVA_FLOAT, at, c.getAtIndex(ValueLayout.JAVA_FLOAT, at) + x);
            }
        }
    }

    static float dot(int k, MemorySegment a, long ai, MemorySegment b, long bj) {
        int upper = k - k % L;
        FloatVector acc = FloatVector.zero(S);
        for (int p = 0; p < upper; p += L) {
            FloatVector va = FloatVector.fromMemorySegment(S, a, (ai + p) * Float.BYTES, NO);
            FloatVector vb = FloatVector.fromMemorySegment(S, b, (bj + p) * Float.BYTES, NO);
            acc = FMA ? va.fma(vb, acc) : va.mul(vb).add(acc);
        }
        return VectorKernels.sumLanes(acc) + Gemm.dotScalar(k, a, ai, b, bj, upper);
    }

    /**
     * Vectors in a row of a packed B panel: 3 on 512-bit vectors, 2 below. With {@link #MR} the tile is
     * 6 x 3 on 512 bits (18 accumulators of 32 registers) and 4 x 2 below (8 of AVX2's and SSE's 16).
     * C2 loads every broadcast of A and vector of B of a step before its first multiply-add, so a tile
     * needs rows + vectors + accumulators registers, or it spills accumulators through the stack on every
     * step of k: 4 x 3 at 256 bits (19 registers) ran at 25 GFLOP/s on a Zen 3 core where 4 x 2 (14)
     * runs at 82-90 (docs/PERFORMANCE.md, "AVX2 on an AMD EPYC").
     */
    static final int NV = L >= 16 ? 3 : 2;

    /** Rows of the micro-tile: 6 on 512-bit vectors, else 4; -Dvectorgrad.gemm.mr=4|6 overrides (tuning). */
    static final int MR = Config.GEMM_MR != 0 ? Config.GEMM_MR : L >= 16 ? 6 : 4;
    /** Columns of the micro-tile: {@link #NV} vectors. */
    static final int NR = NV * L;

    /**
     * The micro-kernel. The packed panels are heap arrays, not segments: measured here, the same loop runs
     * about 2x faster over float[] (C2 removes the range checks) than over native segments.
     */
    static void kernel(
            int kc, float[] ap, int aOff, float[] bp, int bOff, MemorySegment c, long cOff, int ldc, float alpha) {
        if (NV == 3) {
            if (MR == 6) MicroKernels.kernel6(kc, ap, aOff, bp, bOff, c, cOff, ldc, alpha);
            else MicroKernels.kernel4(kc, ap, aOff, bp, bOff, c, cOff, ldc, alpha);
        } else {
            if (MR == 6) MicroKernels.kernel6Narrow(kc, ap, aOff, bp, bOff, c, cOff, ldc, alpha);
            else MicroKernels.kernel4Narrow(kc, ap, aOff, bp, bOff, c, cOff, ldc, alpha);
        }
    }

    /**
     * Side of the register-transposed blocks of the transposing packs: 16 on 512-bit vectors, 8 on 256-bit
     * (AVX2 has the two-vector selects), 0 elsewhere or with -Dvectorgrad.gemm.scalarTransposePack (one
     * value at a time).
     */
    static final int TRANSPOSE_BLOCK =
            Config.GEMM_SCALAR_TRANSPOSE_PACK || Config.SSE_ONLY ? 0 : L == 16 ? 16 : L == 8 ? 8 : 0;
    /** Whether the transposing packs use 16x16 register blocks (512-bit vectors). */
    static final boolean TRANSPOSE16 = TRANSPOSE_BLOCK == 16;
    /** Whether they use register blocks at all (16x16 or 8x8). */
    static final boolean TRANSPOSE_REGISTERS = TRANSPOSE_BLOCK > 0;

    /**
     * {@code dst[at..at+n) = a[from..from+n)} (float indices) a vector at a time, the tail one float at a time:
     * the A packs' rows of 96 to 512 floats. (One {@code MemorySegment.copy} a row: 4.8 % of a GPT training
     * step's samples in the copy stubs under the packs, most of it the call's fixed cost.)
     */
    static void copyRow(MemorySegment a, long from, float[] dst, int at, int n) {
        int upper = n - n % L;
        for (int j = 0; j < upper; j += L)
            FloatVector.fromMemorySegment(S, a, (from + j) * Float.BYTES, NO).intoArray(dst, at + j);
        for (int j = upper; j < n; j++) dst[at + j] = a.getAtIndex(ValueLayout.JAVA_FLOAT, from + j);
    }

    /** Four floats: a row of a k-major A panel ({@link #K_MAJOR_PANELS}, MR 4). */
    private static final VectorSpecies<Float> S4 = FloatVector.SPECIES_128;

    /**
     * {@code n} floats of a row at {@code from}, four at a time to {@code dst[at + g·stride ..]} for the g-th
     * four: one step of k of every panel of a k-major A ({@link #K_MAJOR_PANELS}).
     */
    static void copyPanels(MemorySegment a, long from, int n, float[] dst, int at, int stride) {
        int groups = n / 4;
        for (int g = 0; g < groups; g++)
            FloatVector.fromMemorySegment(S4, a, (from + 4L * g) * Float.BYTES, NO)
                    .intoArray(dst, at + g * stride);
        for (int i = groups * 4; i < n; i++)
            dst[at + (i / 4) * stride + i % 4] = a.getAtIndex(ValueLayout.JAVA_FLOAT, from + i);
    }

    /**
     * Packs a whole B panel stored k x n: {@code bp[base + p*NR + j] = B[src + p*ldb + j]} for j < NR, p < kc,
     * a vector at a time: a MemorySegment.copy per 48-float row costs ~20 % of a 64x9216x128 product (a
     * copy's fixed cost dwarfs a row this short).
     */
    static void packRows(MemorySegment b, long src, int ldb, int kc, float[] bp, int base) {
        for (int p = 0; p < kc; p++) {
            long o = (src + (long) p * ldb) * Float.BYTES;
            int d = base + p * NR;
            FloatVector.fromMemorySegment(S, b, o, NO).intoArray(bp, d);
            FloatVector.fromMemorySegment(S, b, o + (long) L * Float.BYTES, NO).intoArray(bp, d + L);
            if (NV == 3)
                FloatVector.fromMemorySegment(S, b, o + 2L * L * Float.BYTES, NO)
                        .intoArray(bp, d + 2 * L);
        }
    }

    /**
     * Packs a transposed B panel, {@code bp[base + p*NR + j] = B[row0 + j*ldb + p]} for j < NR (rows at
     * or past {@code nr} are zero), p < kc: blocks of {@link #TRANSPOSE_BLOCK} (16 or 8) are loaded as row
     * vectors, transposed in registers (stages of two-vector selects, each swapping the off-diagonal blocks
     * of half the size: four stages, 64 permutes, for 16x16) and stored as panel rows. Columns past the
     * last whole block go one at a time. Only where {@link #TRANSPOSE_REGISTERS}.
     */
    static void packTransposed(MemorySegment b, long row0, int ldb, int nr, int kc, float[] bp, int base) {
        int t = TRANSPOSE_BLOCK, kv = kc - kc % t;
        for (int jb = 0; jb < NR; jb += t) {
            int rows = Math.max(0, Math.min(t, nr - jb));
            long r = row0 + (long) jb * ldb;
            for (int p0 = 0; p0 < kv; p0 += t) {
                if (t == 16) MicroKernels.transpose16(b, r, ldb, rows, p0, bp, base + p0 * NR + jb, NR);
                else MicroKernels.transpose8(b, r, ldb, rows, p0, bp, base + p0 * NR + jb, NR);
            }
            for (int j = 0; j < t; j++) {
                int jj = jb + j;
                long src = row0 + (long) jj * ldb;
                for (int p = kv; p < kc; p++)
                    bp[base + p * NR + jj] =
                            jj < nr ? b.getAtIndex(java.lang.foreign.ValueLayout.JAVA_FLOAT, src + p) : 0f;
            }
        }
    }

    /**
     * As above, B in a heap array (the convolution's column matrix, for its weight gradient). A copy of
     * the segment version on purpose: passing {@code MemorySegment.ofArray(b)} to it made its loads see
     * two segment kinds, and a batch-64 training step took 232 ms instead of 38 (JMH, same run).
     * {@code rowOff}: the caller's scratch (NR ints), filled here.
     */
    static void packTransposed(float[] b, int row0, int ldb, int nr, int kc, float[] bp, int base, int[] rowOff) {
        for (int j = 0; j < nr; j++) rowOff[j] = row0 + j * ldb;
        packTransposedRows(b, rowOff, nr, kc, bp, base);
    }

    /**
     * {@code bp[base + p*NR + j] = b[rowOff[j] + p]} for j < nr (rows past {@code nr} zero), p < kc: the
     * transposing pack for rows that start anywhere — a matrix's rows, or the shifted windows of an image
     * that the implicit convolution reads as its column matrix ({@link ImplicitGemmConv}).
     */
    static void packTransposedRows(float[] b, int[] rowOff, int nr, int kc, float[] bp, int base) {
        int t = TRANSPOSE_BLOCK, kv = kc - kc % t;
        for (int jb = 0; jb < NR; jb += t) {
            int rows = Math.max(0, Math.min(t, nr - jb));
            for (int p0 = 0; p0 < kv; p0 += t) {
                if (t == 16) MicroKernels.transpose16(b, rowOff, jb, rows, p0, bp, base + p0 * NR + jb, NR);
                else MicroKernels.transpose8(b, rowOff, jb, rows, p0, bp, base + p0 * NR + jb, NR);
            }
            for (int j = 0; j < t; j++) {
                int jj = jb + j;
                for (int p = kv; p < kc; p++) bp[base + p * NR + jj] = jj < nr ? b[rowOff[jj] + p] : 0f;
            }
        }
    }

    /**
     * {@code t[base + q*16 + u] = b[rowOff[u] + q]} for u < rows (zero for rows..15), q < n: up to 16 rows
     * transposed into rows of 16 floats (the weight gradient's shifted windows: {@link ImplicitGemmConv}).
     */
    static void transposeRows16(float[] b, int[] rowOff, int rows, int n, float[] t, int base) {
        int nv = n - n % 16;
        for (int q0 = 0; q0 < nv; q0 += 16) MicroKernels.transpose16(b, rowOff, 0, rows, q0, t, base + q0 * 16, 16);
        for (int q = nv; q < n; q++) {
            for (int u = 0; u < 16; u++) t[base + q * 16 + u] = u < rows ? b[rowOff[u] + q] : 0f;
        }
    }

    /**
     * C = alpha·tile, C not read: beta = 0 on the first block of k. For a short k (a weight gradient at
     * small batch) the passes over C are most of the time; zeroing, reading and writing C took three.
     * A separate method, not a flag: one method with both epilogues passed C2's huge-method limit and ran
     * interpreted (measured: 68 ms for a 0.7 ms convolution).
     */
    static void kernelStore(
            int kc, float[] ap, int aOff, float[] bp, int bOff, MemorySegment c, long cOff, int ldc, float alpha) {
        if (NV == 3) {
            if (MR == 6) MicroKernels.kernel6Store(kc, ap, aOff, bp, bOff, c, cOff, ldc, alpha);
            else MicroKernels.kernel4Store(kc, ap, aOff, bp, bOff, c, cOff, ldc, alpha);
        } else {
            if (MR == 6) MicroKernels.kernel6NarrowStore(kc, ap, aOff, bp, bOff, c, cOff, ldc, alpha);
            else MicroKernels.kernel4NarrowStore(kc, ap, aOff, bp, bOff, c, cOff, ldc, alpha);
        }
    }

    /**
     * Whether an {@code mr x nr} tile is written straight to C rather than through a scratch tile: whole
     * tiles, the 6-row kernel's 4-row edge, the 32-column edge of a three-vector panel. {@link
     * #kernelStoreBias} and {@link #kernelKMajor} have kernels for exactly these.
     */
    static boolean writesDirect(int mr, int nr) {
        return nr == NR && (mr == MR || (mr == 4 && MR == 6)) || (mr == 6 && MR == 6 && NV == 3 && nr == 2 * L);
    }

    /**
     * Whether the storing six-row tiles read a row-major A in place ({@link #kernelStoreDirect}) rather than
     * from a packed panel: with the 6 x 3-vector tile (512-bit vectors); off with
     * {@code -Dvectorgrad.gemm.directA=false}. For the first block of k (the tiles that store), packing A is a
     * copy of its rows into a buffer the kernel then reads; read in place, the kernel runs at the same speed
     * from cache (108-111 against 111 GFLOP/s, kc 128 and 512, one thread) and the copy is gone.
     */
    static final boolean DIRECT_A = Config.GEMM_DIRECT_A && NV == 3 && MR == 6;

    /** Whether {@link #kernelStoreDirect} serves an {@code mr x nr} tile: six rows of 48 or 32 columns. */
    static boolean readsDirect(int mr, int nr) {
        return DIRECT_A && mr == 6 && (nr == NR || nr == 2 * L);
    }

    /**
     * {@code C[6 x nr] = alpha·A·Bp} (C not read), A's six rows read in place: {@code a[aOff + i·lda + p]}.
     * The bits of {@link #kernelStore} on the same rows packed.
     */
    static void kernelStoreDirect(
            int nr,
            int kc,
            MemorySegment a,
            long aOff,
            long lda,
            float[] bp,
            int bOff,
            MemorySegment c,
            long cOff,
            int ldc,
            float alpha) {
        if (nr == NR) MicroKernels.kernel6StoreDirect(kc, a, aOff, lda, bp, bOff, c, cOff, ldc, alpha);
        else MicroKernels.kernel6TwoStoreDirect(kc, a, aOff, lda, bp, bOff, c, cOff, ldc, alpha);
    }

    /** {@link #kernelStoreBias} with A's six rows read in place, as {@link #kernelStoreDirect}. */
    static void kernelStoreBiasDirect(
            int nr,
            int kc,
            MemorySegment a,
            long aOff,
            long lda,
            float[] bp,
            int bOff,
            MemorySegment bias,
            long col,
            MemorySegment c,
            long cOff,
            int ldc) {
        if (nr == NR) MicroKernels.kernel6StoreBiasDirect(kc, a, aOff, lda, bp, bOff, bias, col, c, cOff, ldc);
        else MicroKernels.kernel6TwoStoreBiasDirect(kc, a, aOff, lda, bp, bOff, bias, col, c, cOff, ldc);
    }

    /**
     * {@code C[mr x nr] = Ap·Bp + bias[col..col+nr)} for a tile {@link #writesDirect} accepts, alpha 1: the first
     * block of k of a product with a bias row, each vector stored once with its bias added.
     */
    static void kernelStoreBias(
            int mr,
            int nr,
            int kc,
            float[] ap,
            int aOff,
            float[] bp,
            int bOff,
            MemorySegment bias,
            long col,
            MemorySegment c,
            long cOff,
            int ldc) {
        if (nr < NR) MicroKernels.kernel6TwoStoreBias(kc, ap, aOff, bp, bOff, bias, col, c, cOff, ldc);
        else if (NV == 3) {
            if (mr == 6) MicroKernels.kernel6StoreBias(kc, ap, aOff, bp, bOff, bias, col, c, cOff, ldc);
            else MicroKernels.kernel4StoreBias(kc, ap, aOff, bp, bOff, bias, col, c, cOff, ldc);
        } else {
            if (mr == 6) MicroKernels.kernel6NarrowStoreBias(kc, ap, aOff, bp, bOff, bias, col, c, cOff, ldc);
            else MicroKernels.kernel4NarrowStoreBias(kc, ap, aOff, bp, bOff, bias, col, c, cOff, ldc);
        }
    }

    /**
     * Whether a transposed A (stored k x m: a weight gradient's gᵀ) is packed k-major, a copy of its rows,
     * for {@link #kernelKMajor}: with the 6 x 3-vector tile (512-bit vectors) and the 4 x 2-vector tile (below
     * 512 bits, MR 4); off with {@code -Dvectorgrad.gemm.kMajorA=false}. Row-major panels take a transpose of
     * A: 15 % of 512x128x4096 TN's time by `perf` at 256 bits, 14 % at 512 (16x16 register transposes). With
     * the copy at 256 bits, 512x128x4096, 128x512x4096 and 384x128x4096 TN ran at 69-74 GFLOP/s against 57-68
     * (one thread, plain loop, four runs; docs/PERFORMANCE.md).
     */
    static final boolean K_MAJOR_A = Config.GEMM_K_MAJOR_A && ((NV == 2 && MR == 4) || (NV == 3 && MR == 6));

    /**
     * Whether the k-major A is packed in panels of MR rows, k-major within each (element (i, p) of the block
     * at {@code ap[(i / MR)·MR·kc + p·MR + i % MR]}), for the {@code Panel} kernels: below 16 lanes (the
     * 4 x 2-vector tile, tiles at every fourth row). Their index steps by a constant where the row-stride
     * form's steps by {@code ast}, which C2 cannot drop the range checks of: at 256 bits, operands in L1,
     * 97-98 GFLOP/s against 79; 512x128x4096 and 384x128x4096 TN 0.938 and 0.950 of the time (Zen 3, one
     * thread, paired; docs/PERFORMANCE.md). The same operations in the same order: the same bits. Off with
     * {@code -Dvectorgrad.gemm.kMajorPanels=false}; 512 bits keeps the row-stride layout (not measured there).
     */
    static final boolean K_MAJOR_PANELS = K_MAJOR_A && NV == 2 && Config.GEMM_K_MAJOR_PANELS;

    /**
     * {@link #kernel} (or {@link #kernelStore} when {@code store}) for a k-major A ({@link #K_MAJOR_A}): a whole
     * tile, or with the 6 x 3-vector tile its first four rows ({@code mr} 4) or its first two vectors ({@code
     * nr} 2L), as {@link #kernelFourRows} and {@link #kernelTwoVectors}.
     */
    static void kernelKMajor(
            int mr,
            int nr,
            int kc,
            float[] ap,
            int aOff,
            int ast,
            float[] bp,
            int bOff,
            MemorySegment c,
            long cOff,
            int ldc,
            float alpha,
            boolean store) {
        if (NV == 3) {
            if (mr == 4) {
                if (store) MicroKernels.kernel4StoreKMajor(kc, ap, aOff, ast, bp, bOff, c, cOff, ldc, alpha);
                else MicroKernels.kernel4KMajor(kc, ap, aOff, ast, bp, bOff, c, cOff, ldc, alpha);
            } else if (nr < NR) {
                if (store) MicroKernels.kernel6TwoStoreKMajor(kc, ap, aOff, ast, bp, bOff, c, cOff, ldc, alpha);
                else MicroKernels.kernel6TwoKMajor(kc, ap, aOff, ast, bp, bOff, c, cOff, ldc, alpha);
            } else if (store) MicroKernels.kernel6StoreKMajor(kc, ap, aOff, ast, bp, bOff, c, cOff, ldc, alpha);
            else MicroKernels.kernel6KMajor(kc, ap, aOff, ast, bp, bOff, c, cOff, ldc, alpha);
        } else if (K_MAJOR_PANELS) {
            if (store) MicroKernels.kernel4NarrowStorePanel(kc, ap, aOff, bp, bOff, c, cOff, ldc, alpha);
            else MicroKernels.kernel4NarrowPanel(kc, ap, aOff, bp, bOff, c, cOff, ldc, alpha);
        } else {
            if (store) MicroKernels.kernel4NarrowStoreKMajor(kc, ap, aOff, ast, bp, bOff, c, cOff, ldc, alpha);
            else MicroKernels.kernel4NarrowKMajor(kc, ap, aOff, ast, bp, bOff, c, cOff, ldc, alpha);
        }
    }

    /** The 4-row kernel on panels packed MR (6) rows apart: rows 4 and 5 of the panel are not read. */
    static void kernelFourRows(
            int kc,
            float[] ap,
            int aOff,
            float[] bp,
            int bOff,
            MemorySegment c,
            long cOff,
            int ldc,
            float alpha,
            boolean store) {
        if (NV == 3) {
            if (store) MicroKernels.kernel4Store(kc, ap, aOff, bp, bOff, c, cOff, ldc, alpha);
            else MicroKernels.kernel4(kc, ap, aOff, bp, bOff, c, cOff, ldc, alpha);
        } else {
            if (store) MicroKernels.kernel4NarrowStore(kc, ap, aOff, bp, bOff, c, cOff, ldc, alpha);
            else MicroKernels.kernel4Narrow(kc, ap, aOff, bp, bOff, c, cOff, ldc, alpha);
        }
    }

    /**
     * Six rows of a panel whose last third is padding (32 valid columns of 48: the third panel of a
     * 128-column product, as Linear(9216, 128)): two vectors of B, a third less work than the full
     * kernel and no scratch tile. {@code store}: C = alpha·tile, C not read.
     */
    static void kernelTwoVectors(
            int kc,
            float[] ap,
            int aOff,
            float[] bp,
            int bOff,
            MemorySegment c,
            long cOff,
            int ldc,
            float alpha,
            boolean store) {
        if (store) MicroKernels.kernel6TwoStore(kc, ap, aOff, bp, bOff, c, cOff, ldc, alpha);
        else MicroKernels.kernel6Two(kc, ap, aOff, bp, bOff, c, cOff, ldc, alpha);
    }

    /**
     * {@code C[6 x 3L] += Ap(6 x kc) · B} where row p of B is {@code bp[bOff + p·L ..+3L)}: consecutive
     * rows overlap by two vectors. For the convolution's weight gradient with a 3-wide kernel, whose taps
     * j = 0, 1, 2 read the same image row shifted by one (ImplicitGemmConv.backwardWeightShifted): row p of B holds
     * rows p, p+1, p+2 of one transposed block, so only a third of the taps are transposed.
     */
    static void kernelShifted(int kc, float[] ap, int aOff, float[] bp, int bOff, MemorySegment c, long cOff, int ldc) {
        FloatVector c00 = FloatVector.zero(S), c01 = FloatVector.zero(S), c02 = FloatVector.zero(S);
        FloatVector c10 = FloatVector.zero(S), c11 = FloatVector.zero(S), c12 = FloatVector.zero(S);
        FloatVector c20 = FloatVector.zero(S), c21 = FloatVector.zero(S), c22 = FloatVector.zero(S);
        FloatVector c30 = FloatVector.zero(S), c31 = FloatVector.zero(S), c32 = FloatVector.zero(S);
        FloatVector c40 = FloatVector.zero(S), c41 = FloatVector.zero(S), c42 = FloatVector.zero(S);
        FloatVector c50 = FloatVector.zero(S), c51 = FloatVector.zero(S), c52 = FloatVector.zero(S);
        for (int p = 0; p < kc; p++) {
            int a = aOff + p, b = bOff + p * L;
            FloatVector b0 = FloatVector.fromArray(S, bp, b);
            FloatVector b1 = FloatVector.fromArray(S, bp, b + L);
            FloatVector b2 = FloatVector.fromArray(S, bp, b + 2 * L);
            FloatVector a0 = FloatVector.broadcast(S, ap[a]);
            c00 = FMA ? a0.fma(b0, c00) : a0.mul(b0).add(c00);
            c01 = FMA ? a0.fma(b1, c01) : a0.mul(b1).add(c01);
            c02 = FMA ? a0.fma(b2, c02) : a0.mul(b2).add(c02);
            FloatVector a1 = FloatVector.broadcast(S, ap[a + kc]);
            c10 = FMA ? a1.fma(b0, c10) : a1.mul(b0).add(c10);
            c11 = FMA ? a1.fma(b1, c11) : a1.mul(b1).add(c11);
            c12 = FMA ? a1.fma(b2, c12) : a1.mul(b2).add(c12);
            FloatVector a2 = FloatVector.broadcast(S, ap[a + 2 * kc]);
            c20 = FMA ? a2.fma(b0, c20) : a2.mul(b0).add(c20);
            c21 = FMA ? a2.fma(b1, c21) : a2.mul(b1).add(c21);
            c22 = FMA ? a2.fma(b2, c22) : a2.mul(b2).add(c22);
            FloatVector a3 = FloatVector.broadcast(S, ap[a + 3 * kc]);
            c30 = FMA ? a3.fma(b0, c30) : a3.mul(b0).add(c30);
            c31 = FMA ? a3.fma(b1, c31) : a3.mul(b1).add(c31);
            c32 = FMA ? a3.fma(b2, c32) : a3.mul(b2).add(c32);
            FloatVector a4 = FloatVector.broadcast(S, ap[a + 4 * kc]);
            c40 = FMA ? a4.fma(b0, c40) : a4.mul(b0).add(c40);
            c41 = FMA ? a4.fma(b1, c41) : a4.mul(b1).add(c41);
            c42 = FMA ? a4.fma(b2, c42) : a4.mul(b2).add(c42);
            FloatVector a5 = FloatVector.broadcast(S, ap[a + 5 * kc]);
            c50 = FMA ? a5.fma(b0, c50) : a5.mul(b0).add(c50);
            c51 = FMA ? a5.fma(b1, c51) : a5.mul(b1).add(c51);
            c52 = FMA ? a5.fma(b2, c52) : a5.mul(b2).add(c52);
        }
        // written inline: a vector passed to a call that C2 does not inline is boxed, in the loop too
        // (with the rows added by a helper method this kernel ran at 16 GFLOP/s)
        long o;
        o = (cOff + 0L * ldc + 0L * L) * Float.BYTES;
        c00.add(FloatVector.fromMemorySegment(S, c, o, NO)).intoMemorySegment(c, o, NO);
        o = (cOff + 0L * ldc + 1L * L) * Float.BYTES;
        c01.add(FloatVector.fromMemorySegment(S, c, o, NO)).intoMemorySegment(c, o, NO);
        o = (cOff + 0L * ldc + 2L * L) * Float.BYTES;
        c02.add(FloatVector.fromMemorySegment(S, c, o, NO)).intoMemorySegment(c, o, NO);
        o = (cOff + 1L * ldc + 0L * L) * Float.BYTES;
        c10.add(FloatVector.fromMemorySegment(S, c, o, NO)).intoMemorySegment(c, o, NO);
        o = (cOff + 1L * ldc + 1L * L) * Float.BYTES;
        c11.add(FloatVector.fromMemorySegment(S, c, o, NO)).intoMemorySegment(c, o, NO);
        o = (cOff + 1L * ldc + 2L * L) * Float.BYTES;
        c12.add(FloatVector.fromMemorySegment(S, c, o, NO)).intoMemorySegment(c, o, NO);
        o = (cOff + 2L * ldc + 0L * L) * Float.BYTES;
        c20.add(FloatVector.fromMemorySegment(S, c, o, NO)).intoMemorySegment(c, o, NO);
        o = (cOff + 2L * ldc + 1L * L) * Float.BYTES;
        c21.add(FloatVector.fromMemorySegment(S, c, o, NO)).intoMemorySegment(c, o, NO);
        o = (cOff + 2L * ldc + 2L * L) * Float.BYTES;
        c22.add(FloatVector.fromMemorySegment(S, c, o, NO)).intoMemorySegment(c, o, NO);
        o = (cOff + 3L * ldc + 0L * L) * Float.BYTES;
        c30.add(FloatVector.fromMemorySegment(S, c, o, NO)).intoMemorySegment(c, o, NO);
        o = (cOff + 3L * ldc + 1L * L) * Float.BYTES;
        c31.add(FloatVector.fromMemorySegment(S, c, o, NO)).intoMemorySegment(c, o, NO);
        o = (cOff + 3L * ldc + 2L * L) * Float.BYTES;
        c32.add(FloatVector.fromMemorySegment(S, c, o, NO)).intoMemorySegment(c, o, NO);
        o = (cOff + 4L * ldc + 0L * L) * Float.BYTES;
        c40.add(FloatVector.fromMemorySegment(S, c, o, NO)).intoMemorySegment(c, o, NO);
        o = (cOff + 4L * ldc + 1L * L) * Float.BYTES;
        c41.add(FloatVector.fromMemorySegment(S, c, o, NO)).intoMemorySegment(c, o, NO);
        o = (cOff + 4L * ldc + 2L * L) * Float.BYTES;
        c42.add(FloatVector.fromMemorySegment(S, c, o, NO)).intoMemorySegment(c, o, NO);
        o = (cOff + 5L * ldc + 0L * L) * Float.BYTES;
        c50.add(FloatVector.fromMemorySegment(S, c, o, NO)).intoMemorySegment(c, o, NO);
        o = (cOff + 5L * ldc + 1L * L) * Float.BYTES;
        c51.add(FloatVector.fromMemorySegment(S, c, o, NO)).intoMemorySegment(c, o, NO);
        o = (cOff + 5L * ldc + 2L * L) * Float.BYTES;
        c52.add(FloatVector.fromMemorySegment(S, c, o, NO)).intoMemorySegment(c, o, NO);
    }

    /**
     * Up to six rows by at most one vector of columns ({@code nr <= L}): a product with a narrow C, as
     * Linear(128, 10)'s x·Wᵀ, whose only panel is 10 columns of 48 — the full kernel spent 80 % of its
     * multiply-adds on padding. Six accumulators over the panel's first vector; rows {@code >= mr} are
     * computed (the packing provides rows there: zeros, or the next rows of a block) but not written.
     * The tile goes through {@code scratch} (MR x NR floats) to C's {@code mr x nr} corner.
     * {@code store}: C = alpha·tile, C not read.
     */
    static void kernelOneVector(
            int kc,
            float[] ap,
            int aOff,
            float[] bp,
            int bOff,
            MemorySegment c,
            long cOff,
            int ldc,
            float alpha,
            boolean store,
            int mr,
            int nr,
            MemorySegment scratch) {
        FloatVector c0 = FloatVector.zero(S), c1 = FloatVector.zero(S), c2 = FloatVector.zero(S);
        FloatVector c3 = FloatVector.zero(S), c4 = FloatVector.zero(S), c5 = FloatVector.zero(S);
        for (int p = 0; p < kc; p++) {
            int a = aOff + p;
            FloatVector b0 = FloatVector.fromArray(S, bp, bOff + p * NR);
            c0 = FMA
                    ? FloatVector.broadcast(S, ap[a]).fma(b0, c0)
                    : FloatVector.broadcast(S, ap[a]).mul(b0).add(c0);
            c1 = FMA
                    ? FloatVector.broadcast(S, ap[a + kc]).fma(b0, c1)
                    : FloatVector.broadcast(S, ap[a + kc]).mul(b0).add(c1);
            c2 = FMA
                    ? FloatVector.broadcast(S, ap[a + 2 * kc]).fma(b0, c2)
                    : FloatVector.broadcast(S, ap[a + 2 * kc]).mul(b0).add(c2);
            c3 = FMA
                    ? FloatVector.broadcast(S, ap[a + 3 * kc]).fma(b0, c3)
                    : FloatVector.broadcast(S, ap[a + 3 * kc]).mul(b0).add(c3);
            c4 = FMA
                    ? FloatVector.broadcast(S, ap[a + 4 * kc]).fma(b0, c4)
                    : FloatVector.broadcast(S, ap[a + 4 * kc]).mul(b0).add(c4);
            c5 = FMA
                    ? FloatVector.broadcast(S, ap[a + 5 * kc]).fma(b0, c5)
                    : FloatVector.broadcast(S, ap[a + 5 * kc]).mul(b0).add(c5);
        }
        // through the scratch tile (MR x NR), then C element by element: with masked loads and stores per
        // row written here, C1 gave up on this method ("out of virtual registers") and in some runs it
        // never reached C2 (fc2's forward took 186 µs instead of 3)
        c0.intoMemorySegment(scratch, 0, NO);
        c1.intoMemorySegment(scratch, (long) NR * Float.BYTES, NO);
        c2.intoMemorySegment(scratch, 2L * NR * Float.BYTES, NO);
        c3.intoMemorySegment(scratch, 3L * NR * Float.BYTES, NO);
        c4.intoMemorySegment(scratch, 4L * NR * Float.BYTES, NO);
        c5.intoMemorySegment(scratch, 5L * NR * Float.BYTES, NO);
        for (int r = 0; r < mr; r++) {
            for (int j = 0; j < nr; j++) {
                long at = cOff + (long) r * ldc + j;
                float v = scratch.getAtIndex(FL, (long) r * NR + j);
                // C + alpha·v in one rounding, as the other kernels' epilogues
                c.setAtIndex(FL, at, store ? alpha * v : Math.fma(alpha, v, c.getAtIndex(FL, at)));
            }
        }
    }

    private static final java.lang.foreign.ValueLayout.OfFloat FL = java.lang.foreign.ValueLayout.JAVA_FLOAT;

    private static void add(MemorySegment c, long at, float v) {
        c.setAtIndex(FL, at, c.getAtIndex(FL, at) + v);
    }

    private static float tail(MemorySegment a, long ai, MemorySegment b, long bj, int from, int to) {
        float s = 0f;
        for (int p = from; p < to; p++) s += a.getAtIndex(FL, ai + p) * b.getAtIndex(FL, bj + p);
        return s;
    }

    /** C[4x3 tile] += alpha · A[i0.., p0:p1]·B[j0.., p0:p1]ᵀ, rows contiguous along p (dot products). */
    static void dot4x3(
            MemorySegment a,
            long ai,
            int lda,
            MemorySegment b,
            long bj,
            int ldb,
            int len,
            MemorySegment c,
            long ci,
            int ldc,
            float alpha) {
        FloatVector s00 = FloatVector.zero(S), s01 = FloatVector.zero(S), s02 = FloatVector.zero(S);
        FloatVector s10 = FloatVector.zero(S), s11 = FloatVector.zero(S), s12 = FloatVector.zero(S);
        FloatVector s20 = FloatVector.zero(S), s21 = FloatVector.zero(S), s22 = FloatVector.zero(S);
        FloatVector s30 = FloatVector.zero(S), s31 = FloatVector.zero(S), s32 = FloatVector.zero(S);
        int upper = len - len % L;
        for (int p = 0; p < upper; p += L) {
            FloatVector a0 = FloatVector.fromMemorySegment(S, a, (ai + (long) 0 * lda + p) * Float.BYTES, NO);
            FloatVector a1 = FloatVector.fromMemorySegment(S, a, (ai + (long) 1 * lda + p) * Float.BYTES, NO);
            FloatVector a2 = FloatVector.fromMemorySegment(S, a, (ai + (long) 2 * lda + p) * Float.BYTES, NO);
            FloatVector a3 = FloatVector.fromMemorySegment(S, a, (ai + (long) 3 * lda + p) * Float.BYTES, NO);
            FloatVector b0 = FloatVector.fromMemorySegment(S, b, (bj + (long) 0 * ldb + p) * Float.BYTES, NO);
            s00 = FMA ? a0.fma(b0, s00) : a0.mul(b0).add(s00);
            s10 = FMA ? a1.fma(b0, s10) : a1.mul(b0).add(s10);
            s20 = FMA ? a2.fma(b0, s20) : a2.mul(b0).add(s20);
            s30 = FMA ? a3.fma(b0, s30) : a3.mul(b0).add(s30);
            FloatVector b1 = FloatVector.fromMemorySegment(S, b, (bj + (long) 1 * ldb + p) * Float.BYTES, NO);
            s01 = FMA ? a0.fma(b1, s01) : a0.mul(b1).add(s01);
            s11 = FMA ? a1.fma(b1, s11) : a1.mul(b1).add(s11);
            s21 = FMA ? a2.fma(b1, s21) : a2.mul(b1).add(s21);
            s31 = FMA ? a3.fma(b1, s31) : a3.mul(b1).add(s31);
            FloatVector b2 = FloatVector.fromMemorySegment(S, b, (bj + (long) 2 * ldb + p) * Float.BYTES, NO);
            s02 = FMA ? a0.fma(b2, s02) : a0.mul(b2).add(s02);
            s12 = FMA ? a1.fma(b2, s12) : a1.mul(b2).add(s12);
            s22 = FMA ? a2.fma(b2, s22) : a2.mul(b2).add(s22);
            s32 = FMA ? a3.fma(b2, s32) : a3.mul(b2).add(s32);
        }
        add(
                c,
                ci + (long) 0 * ldc + 0,
                alpha
                        * (VectorKernels.sumLanes(s00)
                                + tail(a, ai + (long) 0 * lda, b, bj + (long) 0 * ldb, upper, len)));
        add(
                c,
                ci + (long) 0 * ldc + 1,
                alpha
                        * (VectorKernels.sumLanes(s01)
                                + tail(a, ai + (long) 0 * lda, b, bj + (long) 1 * ldb, upper, len)));
        add(
                c,
                ci + (long) 0 * ldc + 2,
                alpha
                        * (VectorKernels.sumLanes(s02)
                                + tail(a, ai + (long) 0 * lda, b, bj + (long) 2 * ldb, upper, len)));
        add(
                c,
                ci + (long) 1 * ldc + 0,
                alpha
                        * (VectorKernels.sumLanes(s10)
                                + tail(a, ai + (long) 1 * lda, b, bj + (long) 0 * ldb, upper, len)));
        add(
                c,
                ci + (long) 1 * ldc + 1,
                alpha
                        * (VectorKernels.sumLanes(s11)
                                + tail(a, ai + (long) 1 * lda, b, bj + (long) 1 * ldb, upper, len)));
        add(
                c,
                ci + (long) 1 * ldc + 2,
                alpha
                        * (VectorKernels.sumLanes(s12)
                                + tail(a, ai + (long) 1 * lda, b, bj + (long) 2 * ldb, upper, len)));
        add(
                c,
                ci + (long) 2 * ldc + 0,
                alpha
                        * (VectorKernels.sumLanes(s20)
                                + tail(a, ai + (long) 2 * lda, b, bj + (long) 0 * ldb, upper, len)));
        add(
                c,
                ci + (long) 2 * ldc + 1,
                alpha
                        * (VectorKernels.sumLanes(s21)
                                + tail(a, ai + (long) 2 * lda, b, bj + (long) 1 * ldb, upper, len)));
        add(
                c,
                ci + (long) 2 * ldc + 2,
                alpha
                        * (VectorKernels.sumLanes(s22)
                                + tail(a, ai + (long) 2 * lda, b, bj + (long) 2 * ldb, upper, len)));
        add(
                c,
                ci + (long) 3 * ldc + 0,
                alpha
                        * (VectorKernels.sumLanes(s30)
                                + tail(a, ai + (long) 3 * lda, b, bj + (long) 0 * ldb, upper, len)));
        add(
                c,
                ci + (long) 3 * ldc + 1,
                alpha
                        * (VectorKernels.sumLanes(s31)
                                + tail(a, ai + (long) 3 * lda, b, bj + (long) 1 * ldb, upper, len)));
        add(
                c,
                ci + (long) 3 * ldc + 2,
                alpha
                        * (VectorKernels.sumLanes(s32)
                                + tail(a, ai + (long) 3 * lda, b, bj + (long) 2 * ldb, upper, len)));
    }

    /**
     * C[2x3 tile] += alpha · A[i0.., p0:p1]·B[j0.., p0:p1]ᵀ: the tile below 512 bits, where the 4x3 tile's
     * 12 accumulators and 7 loaded vectors do not fit 16 registers (C2 spilled accumulators through the
     * stack on every step).
     */
    static void dot2x3(
            MemorySegment a,
            long ai,
            int lda,
            MemorySegment b,
            long bj,
            int ldb,
            int len,
            MemorySegment c,
            long ci,
            int ldc,
            float alpha) {
        FloatVector s00 = FloatVector.zero(S), s01 = FloatVector.zero(S), s02 = FloatVector.zero(S);
        FloatVector s10 = FloatVector.zero(S), s11 = FloatVector.zero(S), s12 = FloatVector.zero(S);
        int upper = len - len % L;
        for (int p = 0; p < upper; p += L) {
            FloatVector a0 = FloatVector.fromMemorySegment(S, a, (ai + p) * Float.BYTES, NO);
            FloatVector a1 = FloatVector.fromMemorySegment(S, a, (ai + (long) lda + p) * Float.BYTES, NO);
            FloatVector b0 = FloatVector.fromMemorySegment(S, b, (bj + p) * Float.BYTES, NO);
            s00 = FMA ? a0.fma(b0, s00) : a0.mul(b0).add(s00);
            s10 = FMA ? a1.fma(b0, s10) : a1.mul(b0).add(s10);
            FloatVector b1 = FloatVector.fromMemorySegment(S, b, (bj + (long) ldb + p) * Float.BYTES, NO);
            s01 = FMA ? a0.fma(b1, s01) : a0.mul(b1).add(s01);
            s11 = FMA ? a1.fma(b1, s11) : a1.mul(b1).add(s11);
            FloatVector b2 = FloatVector.fromMemorySegment(S, b, (bj + 2L * ldb + p) * Float.BYTES, NO);
            s02 = FMA ? a0.fma(b2, s02) : a0.mul(b2).add(s02);
            s12 = FMA ? a1.fma(b2, s12) : a1.mul(b2).add(s12);
        }
        long a1 = ai + lda, b1 = bj + ldb, b2 = bj + 2L * ldb, c1 = ci + ldc;
        add(c, ci, alpha * (VectorKernels.sumLanes(s00) + tail(a, ai, b, bj, upper, len)));
        add(c, ci + 1, alpha * (VectorKernels.sumLanes(s01) + tail(a, ai, b, b1, upper, len)));
        add(c, ci + 2, alpha * (VectorKernels.sumLanes(s02) + tail(a, ai, b, b2, upper, len)));
        add(c, c1, alpha * (VectorKernels.sumLanes(s10) + tail(a, a1, b, bj, upper, len)));
        add(c, c1 + 1, alpha * (VectorKernels.sumLanes(s11) + tail(a, a1, b, b1, upper, len)));
        add(c, c1 + 2, alpha * (VectorKernels.sumLanes(s12) + tail(a, a1, b, b2, upper, len)));
    }

    /** C[1x3 tile] += alpha · A[i0.., p0:p1]·B[j0.., p0:p1]ᵀ, rows contiguous along p (dot products). */
    static void dot1x3(
            MemorySegment a,
            long ai,
            int lda,
            MemorySegment b,
            long bj,
            int ldb,
            int len,
            MemorySegment c,
            long ci,
            int ldc,
            float alpha) {
        FloatVector s00 = FloatVector.zero(S), s01 = FloatVector.zero(S), s02 = FloatVector.zero(S);
        int upper = len - len % L;
        for (int p = 0; p < upper; p += L) {
            FloatVector a0 = FloatVector.fromMemorySegment(S, a, (ai + (long) 0 * lda + p) * Float.BYTES, NO);
            FloatVector b0 = FloatVector.fromMemorySegment(S, b, (bj + (long) 0 * ldb + p) * Float.BYTES, NO);
            s00 = FMA ? a0.fma(b0, s00) : a0.mul(b0).add(s00);
            FloatVector b1 = FloatVector.fromMemorySegment(S, b, (bj + (long) 1 * ldb + p) * Float.BYTES, NO);
            s01 = FMA ? a0.fma(b1, s01) : a0.mul(b1).add(s01);
            FloatVector b2 = FloatVector.fromMemorySegment(S, b, (bj + (long) 2 * ldb + p) * Float.BYTES, NO);
            s02 = FMA ? a0.fma(b2, s02) : a0.mul(b2).add(s02);
        }
        add(
                c,
                ci + (long) 0 * ldc + 0,
                alpha
                        * (VectorKernels.sumLanes(s00)
                                + tail(a, ai + (long) 0 * lda, b, bj + (long) 0 * ldb, upper, len)));
        add(
                c,
                ci + (long) 0 * ldc + 1,
                alpha
                        * (VectorKernels.sumLanes(s01)
                                + tail(a, ai + (long) 0 * lda, b, bj + (long) 1 * ldb, upper, len)));
        add(
                c,
                ci + (long) 0 * ldc + 2,
                alpha
                        * (VectorKernels.sumLanes(s02)
                                + tail(a, ai + (long) 0 * lda, b, bj + (long) 2 * ldb, upper, len)));
    }

    /** C[1x1 tile] += alpha · A[i0.., p0:p1]·B[j0.., p0:p1]ᵀ, rows contiguous along p (dot products). */
    static void dot1x1(
            MemorySegment a,
            long ai,
            int lda,
            MemorySegment b,
            long bj,
            int ldb,
            int len,
            MemorySegment c,
            long ci,
            int ldc,
            float alpha) {
        FloatVector s00 = FloatVector.zero(S);
        int upper = len - len % L;
        for (int p = 0; p < upper; p += L) {
            FloatVector a0 = FloatVector.fromMemorySegment(S, a, (ai + (long) 0 * lda + p) * Float.BYTES, NO);
            FloatVector b0 = FloatVector.fromMemorySegment(S, b, (bj + (long) 0 * ldb + p) * Float.BYTES, NO);
            s00 = FMA ? a0.fma(b0, s00) : a0.mul(b0).add(s00);
        }
        add(
                c,
                ci + (long) 0 * ldc + 0,
                alpha
                        * (VectorKernels.sumLanes(s00)
                                + tail(a, ai + (long) 0 * lda, b, bj + (long) 0 * ldb, upper, len)));
    }

    /**
     * {@code MicroKernels.rowTile1} to {@code rowTile6}: {@code rows} (1 to 6) rows of A, element (r, p) at
     * {@code a[aOff + r·ars + p·aks]}, times two vectors of B's rows ({@code bks} apart), stored over
     * {@code out} or added to it: products of unpacked heap operands (Winograd's, attention's).
     */
    static void rowTile(
            int rows,
            int k,
            float[] a,
            int aOff,
            int ars,
            int aks,
            float[] b,
            int bOff,
            int bks,
            float[] out,
            int cOff,
            int ldc,
            boolean add) {
        switch (rows) {
            case 6 -> MicroKernels.rowTile6(k, a, aOff, ars, aks, b, bOff, bks, out, cOff, ldc, add);
            case 5 -> MicroKernels.rowTile5(k, a, aOff, ars, aks, b, bOff, bks, out, cOff, ldc, add);
            case 4 -> MicroKernels.rowTile4(k, a, aOff, ars, aks, b, bOff, bks, out, cOff, ldc, add);
            case 3 -> MicroKernels.rowTile3(k, a, aOff, ars, aks, b, bOff, bks, out, cOff, ldc, add);
            case 2 -> MicroKernels.rowTile2(k, a, aOff, ars, aks, b, bOff, bks, out, cOff, ldc, add);
            default -> MicroKernels.rowTile1(k, a, aOff, ars, aks, b, bOff, bks, out, cOff, ldc, add);
        }
    }
}
