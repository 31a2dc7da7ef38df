package vectorgrad.kernels;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * The packed, cache-blocked sgemm behind {@link Gemm} for all but tiny products (BLIS's loop nest).
 *
 * <pre>
 *  for jc in N step NC:                 B block of NC columns
 *    for pc in K step KC:               pack op(B)[pc:pc+KC, jc:jc+NC] into NR-wide panels
 *      for ic in M step MC:             pack op(A)[ic:ic+MC, pc:pc+KC] into MR-tall panels (or read A in place)
 *        for jr in NC step NR:          one B micro-panel (KC x NR), reused across ir from L1
 *          for ir in MC step MR:        micro-kernel: C[MR x NR] += alpha * Ap * Bp
 * </pre>
 *
 * A C too large for L2 with several blocks of k runs the pc loop inside the ic loop instead, B packed for
 * all of k first ({@link #nest}). Packing reads either storage order, so one micro-kernel serves every
 * transpose case. Panels are
 * zero-padded to whole MR/NR tiles; an edge tile is computed whole into a scratch tile and only its
 * valid part is added to C. Threads take disjoint row ranges of C (or column ranges, when C has few rows
 * or B is the wider operand) and run the whole nest on them with their own packing buffers: every element
 * of C is computed by the same sequence of operations whatever the thread count, so results are bitwise
 * identical. A small C with a long k is cut along k instead, into fixed slices summed in order ({@link #sliced}).
 *
 * <p>Block sizes default to this machine's caches (48 KiB L1d, 1 MiB L2 per core) and can be set with
 * {@code -Dvectorgrad.gemm.kc/mc/nc} for tuning.
 */
final class PackedGemm {
    private PackedGemm() {}

    private static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT;

    static final int MR = VectorGemm.MR;
    static final int NR = VectorGemm.NR;
    /** Floats in a vector. */
    private static final int L = NR / VectorGemm.NV;

    /**
     * The k block: 512 on 16 lanes, 256 below. At 512 bits a 6x3 panel of B at k 512 (96 KB) is past Zen 4's
     * 32-KB L1, but fewer passes over C won: the GPT's products with k 384 and 512 became one block (4096 x
     * 128 x 512 NT and 4096 x 128 x 384 NN about 5 % faster, paired both ways; k 4096 about 3 %), 1024³ 92-96
     * → 99-101 GFLOP/s (one thread, docs/PERFORMANCE.md). At 256 bits 512 was slower (Zen 3).
     */
    static final int KC = Config.GEMM_KC != 0 ? Config.GEMM_KC : L >= 16 ? 512 : 256;

    static final int MC = roundUp(Config.GEMM_MC, MR);

    /**
     * The shortest block of k whose A is read in place ({@link VectorGemm#readsDirect}) rather than packed: a
     * row-major A's first block of k, the one whose tiles store (later blocks add, from packed panels). Paired
     * against packing (one thread): k 512 and 384 with n 128 (4096x128x512 NT and NN, 4096x128x384 NN) 0.94-0.98
     * of the time; k 128 with n 384 and 512 1.04-1.15 (the kernel itself slower by `perf`, reading the segment,
     * where the packed copy costs the same a row whatever k).
     */
    static final int DIRECT_MIN_K = 256;

    static final int NC = roundUp(Config.GEMM_NC, NR);

    private static int roundUp(int v, int m) {
        return (v + m - 1) / m * m;
    }

    /** Per-thread packing buffers (heap arrays: see VectorGemm.kernel), allocated once per thread. */
    private static final class Buffers {
        final float[] a = new float[MC * KC];
        final float[] b = new float[Math.max(KC * NC, B_ALL_K_MAX_FLOATS)];
        final int[] rowOff = new int[NR];
        final MemorySegment tile = Arena.ofAuto().allocate((long) MR * NR * Float.BYTES, 64);
    }

    private static final ThreadLocal<Buffers> BUFFERS = ThreadLocal.withInitial(Buffers::new);

    /** Products smaller than this many FLOPs run on the calling thread alone. */
    static final long PARALLEL_MIN_FLOPS = Config.GEMM_PARALLEL_MIN_FLOPS;

    /** Products whose A, B and C together reach this many bytes run on the pool whatever their FLOPs. */
    static final long PARALLEL_MIN_BYTES = Config.GEMM_PARALLEL_MIN_BYTES;

    /** C has already been scaled by beta; this adds alpha * op(A) * op(B). */
    static void multiply(
            boolean transA,
            boolean transB,
            int m,
            int n,
            int k,
            float alpha,
            MemorySegment a,
            long aOff,
            int lda,
            MemorySegment b,
            long bOff,
            int ldb,
            MemorySegment c,
            long cOff,
            int ldc,
            boolean overwrite) {
        multiply(transA, transB, m, n, k, alpha, a, aOff, lda, b, null, bOff, ldb, c, cOff, ldc, overwrite, null, null);
    }

    /**
     * As above with B either a segment or, when {@code bArr} is not null, a heap array (the convolution's
     * column matrix, built on the heap): packing reads it directly, with no copy to native memory first.
     * With {@code bias} (n floats, or null; only with alpha = 1) C starts as that row in
     * every row instead of its contents, {@code overwrite} then ignored (see {@link Gemm#sgemmBias}). With
     * {@code epilogue} (or null) each block of C's rows, once final, goes through it while still in cache where
     * a thread's work covers whole rows; otherwise all rows go through it after the product.
     */
    static void multiply(
            boolean transA,
            boolean transB,
            int m,
            int n,
            int k,
            float alpha,
            MemorySegment a,
            long aOff,
            int lda,
            MemorySegment b,
            float[] bArr,
            long bOff,
            int ldb,
            MemorySegment c,
            long cOff,
            int ldc,
            boolean overwrite,
            MemorySegment bias,
            Gemm.RowEpilogue epilogue) {
        if (bArr == null && (long) m * n <= SLICED_MAX_C && k >= SLICED_MIN_K && 2L * m * n * k >= PARALLEL_MIN_FLOPS) {
            sliced(transA, transB, m, n, k, alpha, a, aOff, lda, b, bOff, ldb, c, cOff, ldc, overwrite, bias);
            if (epilogue != null) epilogue.applyAll(c, cOff, ldc, m, n);
            return;
        }
        int threads = Parallel.getNumThreads();
        int rowPanels = (m + MR - 1) / MR;
        int colPanels = (n + NR - 1) / NR;
        long flops = 2L * m * n * k, bytes = 4L * ((long) m * k + (long) k * n + (long) m * n);
        // below ~16 MFLOP a second thread costs more than it brings (measured: 128³ ran at 62 GFLOP/s on two, 149 on
        // one), unless the operands are megabytes: then the product streams memory, and two cores stream more
        // (Linear(9216,128)'s backward at batch 5, 11.8 MFLOP over 4.9 MB: g·W 350 µs and gᵀ·x 312 µs on
        // one thread)
        if (threads <= 1 || (flops < PARALLEL_MIN_FLOPS && bytes < PARALLEL_MIN_BYTES)) {
            nest(
                    transA, transB, 0, m, 0, n, k, alpha, a, aOff, lda, b, bArr, bOff, ldb, c, cOff, ldc, overwrite,
                    bias, epilogue);
        } else if (n > m && colPanels >= 4 * threads) {
            // B is the larger operand and wide (Linear's g·W and gᵀ·x at batch 64, N = 9216: W or x is
            // megabytes): split its columns, so each thread reads and packs only its share of B instead of
            // all of it. (x·Wᵀ, N = 128, stays split by rows: 64 columns a thread would leave each a
            // 16-column panel, and a JMH A/B of fc1's forward on two threads showed no gain.)
            Parallel.forRange(
                    colPanels,
                    1,
                    (from, to) -> nest(
                            transA,
                            transB,
                            0,
                            m,
                            from * NR,
                            Math.min(n, to * NR),
                            k,
                            alpha,
                            a,
                            aOff,
                            lda,
                            b,
                            bArr,
                            bOff,
                            ldb,
                            c,
                            cOff,
                            ldc,
                            overwrite,
                            bias,
                            null));
            if (epilogue != null) epilogue.applyAll(c, cOff, ldc, m, n);
        } else if (rowPanels >= 2 * threads || rowPanels >= colPanels) {
            Parallel.forRange(
                    rowPanels,
                    1,
                    (from, to) -> nest(
                            transA,
                            transB,
                            from * MR,
                            Math.min(m, to * MR),
                            0,
                            n,
                            k,
                            alpha,
                            a,
                            aOff,
                            lda,
                            b,
                            bArr,
                            bOff,
                            ldb,
                            c,
                            cOff,
                            ldc,
                            overwrite,
                            bias,
                            epilogue));
        } else {
            Parallel.forRange(
                    colPanels,
                    1,
                    (from, to) -> nest(
                            transA,
                            transB,
                            0,
                            m,
                            from * NR,
                            Math.min(n, to * NR),
                            k,
                            alpha,
                            a,
                            aOff,
                            lda,
                            b,
                            bArr,
                            bOff,
                            ldb,
                            c,
                            cOff,
                            ldc,
                            overwrite,
                            bias,
                            null));
            if (epilogue != null) epilogue.applyAll(c, cOff, ldc, m, n);
        }
    }

    /** A small C with a long k (Linear(9216, 128)'s x·Wᵀ at batch 64: 64x128, k 9216) is cut along k. */
    static final long SLICED_MAX_C = 16 * 1024;

    static final int SLICED_MIN_K = 4096, SLICES = 8;

    private static final ThreadScratch.NativeFloats SLICE_SUMS = new ThreadScratch.NativeFloats();

    /**
     * k cut into {@link #SLICES} fixed slices, each a product of its own (slice 0 into C, the others into
     * scratch), summed into C in slice order: split by rows, each thread would pack all of B (W, 4.7 MB,
     * transposed) for its few rows of C; split along k, each packs only its slices of A and B. The cut
     * depends on the shape only, so results do not depend on the thread count.
     */
    private static void sliced(
            boolean transA,
            boolean transB,
            int m,
            int n,
            int k,
            float alpha,
            MemorySegment a,
            long aOff,
            int lda,
            MemorySegment b,
            long bOff,
            int ldb,
            MemorySegment c,
            long cOff,
            int ldc,
            boolean overwrite,
            MemorySegment bias) {
        long cSize = (long) m * n;
        MemorySegment sums = SLICE_SUMS.get((SLICES - 1) * cSize);
        Parallel.forRange(SLICES, 1, (from, to) -> {
            for (int s = from; s < to; s++) {
                int k0 = WorkSplit.bound(k, s, SLICES), k1 = WorkSplit.bound(k, s + 1, SLICES);
                long as = transA ? (long) k0 * lda : k0, bs = transB ? k0 : (long) k0 * ldb;
                if (s == 0) {
                    nest(
                            transA, transB, 0, m, 0, n, k1 - k0, alpha, a, aOff + as, lda, b, null, bOff + bs, ldb, c,
                            cOff, ldc, overwrite, bias, null);
                } else {
                    nest(
                            transA,
                            transB,
                            0,
                            m,
                            0,
                            n,
                            k1 - k0,
                            alpha,
                            a,
                            aOff + as,
                            lda,
                            b,
                            null,
                            bOff + bs,
                            ldb,
                            sums,
                            (s - 1) * cSize,
                            n,
                            true,
                            null,
                            null);
                }
            }
        });
        for (int s = 1; s < SLICES; s++) {
            for (int i = 0; i < m; i++)
                Elementwise.axpy(n, 1f, sums, (s - 1) * cSize + (long) i * n, c, cOff + (long) i * ldc);
        }
    }

    /**
     * The bytes of a thread's C (its rows times one block of columns) above which a product with more than
     * one block of k, whose B for all of k fits {@link #B_ALL_K_MAX_FLOATS}, takes its blocks of k inside
     * each block of rows ({@link #nest}): a C this large does not stay in L2 (1 MiB a core) from one block of
     * k to the next.
     */
    static final long C_RESIDENT_MAX_BYTES = Config.GEMM_C_RESIDENT_MAX_BYTES;

    /** B's packed floats (all of k, one block of columns) up to which it is packed once for that order: half of L2. */
    static final int B_ALL_K_MAX_FLOATS = 128 * 1024;

    /**
     * The loop nest over C[i0:i1, j0:j1]. With one block of k, or a C that stays in L2, BLIS's order: each
     * block of k of B packed once, then every block of rows. A taller C with a short k and a narrow B (x·Wᵀ
     * of Linear(512, 128), 4096x128x512 NT, and the input gradient of Linear(128, 512), 4096x128x512 NN) instead packs B for all of k up front and
     * runs each block of rows through every block of k while that block of C is in L2: with C's 2 MB read
     * back from L3 for the second block of k, 4096x128x512 NN ran at 78 GFLOP/s, 4096x128x256 at 89 (one
     * thread). Each element of C sees the same blocks of k in the same order either way: the same bits. With
     * {@code epilogue} (the nest then covers whole rows of C) each block of rows goes through it as soon as it
     * is final — in the last block of columns and the last pass over k — while it is still in L2.
     */
    private static void nest(
            boolean transA,
            boolean transB,
            int i0,
            int i1,
            int j0,
            int j1,
            int k,
            float alpha,
            MemorySegment a,
            long aOff,
            int lda,
            MemorySegment b,
            float[] bArr,
            long bOff,
            int ldb,
            MemorySegment c,
            long cOff,
            int ldc,
            boolean overwrite,
            MemorySegment bias,
            Gemm.RowEpilogue epilogue) {
        if (i1 <= i0 || j1 <= j0) return;
        Buffers buf = BUFFERS.get();
        boolean kMajor = transA && VectorGemm.K_MAJOR_A;
        for (int jc = j0; jc < j1; jc += NC) {
            int nc = Math.min(NC, j1 - jc), ncPadded = roundUp(nc, NR);
            boolean kInner = k > KC
                    && (long) (i1 - i0) * nc * Float.BYTES > C_RESIDENT_MAX_BYTES
                    && (long) k * ncPadded <= B_ALL_K_MAX_FLOATS;
            if (kInner) {
                // B's blocks of k side by side, block pc at pc·ncPadded
                for (int pc = 0; pc < k; pc += KC) {
                    int kc = Math.min(KC, k - pc);
                    if (bArr != null)
                        packB(transB, bArr, (int) bOff, ldb, pc, kc, jc, nc, buf.b, pc * ncPadded, buf.rowOff);
                    else packB(transB, b, bOff, ldb, pc, kc, jc, nc, buf.b, pc * ncPadded);
                }
            }
            // one call site of block for both orders: with two, the products with one block of k ran 2-3 % slower
            // (4096x384x128 NT and 4096x512x128 NN, one thread, paired with the build before)
            for (int from = 0; from < k; from += kInner ? k : KC) {
                int to = kInner ? k : Math.min(k, from + KC);
                // one block of rows (a short A, as x·Wᵀ at batch 64): each B panel is used once, so pack
                // it just before its use, into one slot that stays in L1, instead of all panels up front
                boolean lazy = !kInner && i1 - i0 <= MC;
                if (!kInner && !lazy) {
                    if (bArr != null)
                        packB(transB, bArr, (int) bOff, ldb, from, to - from, jc, nc, buf.b, 0, buf.rowOff);
                    else packB(transB, b, bOff, ldb, from, to - from, jc, nc, buf.b, 0);
                }
                boolean rowsFinal = epilogue != null && jc + NC >= j1 && to == k;
                for (int ic = i0; ic < i1; ic += MC) {
                    for (int pc = from; pc < to; pc += KC)
                        block(
                                transA,
                                kMajor,
                                ic,
                                Math.min(MC, i1 - ic),
                                pc,
                                Math.min(KC, k - pc),
                                jc,
                                nc,
                                kInner ? pc * ncPadded : 0,
                                lazy,
                                alpha,
                                a,
                                aOff,
                                lda,
                                b,
                                bArr,
                                bOff,
                                ldb,
                                transB,
                                c,
                                cOff,
                                ldc,
                                overwrite,
                                bias,
                                buf);
                    if (rowsFinal) epilogue.apply(c, cOff, ldc, j0, j1, ic, Math.min(i1, ic + MC));
                }
            }
        }
    }

    /**
     * One block of rows of A (rows ic..ic+mc, k pc..pc+kc) packed, times the packed B panels at {@code bBase}
     * of {@code buf.b} (or, {@code lazy}, each panel packed just before its use), into C's columns
     * jc..jc+nc: {@code store} on the first block of k where C is overwritten or starts as the bias row.
     */
    private static void block(
            boolean transA,
            boolean kMajor,
            int ic,
            int mc,
            int pc,
            int kc,
            int jc,
            int nc,
            int bBase,
            boolean lazy,
            float alpha,
            MemorySegment a,
            long aOff,
            int lda,
            MemorySegment b,
            float[] bArr,
            long bOff,
            int ldb,
            boolean transB,
            MemorySegment c,
            long cOff,
            int ldc,
            boolean overwrite,
            MemorySegment bias,
            Buffers buf) {
        int ast = (mc + MR - 1) / MR * MR;
        // with a bias row (alpha 1: Gemm.sgemmBias) the first block of k stores each vector with its bias added;
        // the other edge tiles are stored, then the bias added in L1
        boolean addBias = bias != null && pc == 0;
        // beta = 0: the first block of k stores into C instead of adding, so C is not zeroed in a pass of its
        // own, nor read (VectorGemm.kernelStore)
        boolean store = (overwrite || bias != null) && pc == 0;
        // a row-major A read in place by the storing kernels (the first block of k, C not read), when every tile
        // of the block has one and the block of k is long enough (DIRECT_MIN_K): no packing
        boolean direct = store
                && kc >= DIRECT_MIN_K
                && !transA
                && mc % MR == 0
                && VectorGemm.readsDirect(MR, NR)
                && VectorGemm.readsDirect(MR, nc % NR == 0 ? NR : nc % NR);
        if (kMajor) packKMajorA(a, aOff, lda, ic, mc, pc, kc, buf.a, ast);
        else if (!direct) packA(transA, a, aOff, lda, ic, mc, pc, kc, buf.a);

        for (int jr = 0; jr < nc; jr += NR) {
            int nr = Math.min(NR, nc - jr);
            int bPanel = bBase + (jr / NR) * kc * NR;
            if (lazy) {
                if (bArr != null) packB(transB, bArr, (int) bOff, ldb, pc, kc, jc + jr, nr, buf.b, 0, buf.rowOff);
                else packB(transB, b, bOff, ldb, pc, kc, jc + jr, nr, buf.b, 0);
                bPanel = 0;
            }
            for (int ir = 0, mr; ir < mc; ir += mr) {
                mr = tileRows(mc - ir);
                int aPanel = ir * kc;
                long cTile = cOff + (long) (ic + ir) * ldc + jc + jr;
                if (direct) {
                    long aRow = aOff + (long) (ic + ir) * lda + pc;
                    if (addBias)
                        VectorGemm.kernelStoreBiasDirect(
                                nr, kc, a, aRow, lda, buf.b, bPanel, bias, jc + jr, c, cTile, ldc);
                    else VectorGemm.kernelStoreDirect(nr, kc, a, aRow, lda, buf.b, bPanel, c, cTile, ldc, alpha);
                    continue;
                }
                if (addBias && !kMajor && VectorGemm.writesDirect(mr, nr)) {
                    VectorGemm.kernelStoreBias(mr, nr, kc, buf.a, aPanel, buf.b, bPanel, bias, jc + jr, c, cTile, ldc);
                    continue;
                }
                if (kMajor)
                    tileKMajor(
                            kc,
                            buf.a,
                            VectorGemm.K_MAJOR_PANELS ? ir * kc : ir,
                            ast,
                            buf.b,
                            bPanel,
                            mr,
                            nr,
                            c,
                            cTile,
                            ldc,
                            alpha,
                            store,
                            buf.tile);
                else tile(kc, buf.a, aPanel, buf.b, bPanel, mr, nr, c, cTile, ldc, alpha, store, buf.tile);
                if (addBias) VectorGemm.addRows(bias, jc + jr, mr, nr, c, cTile, ldc);
            }
        }
    }

    /**
     * {@link #tile} for a k-major A block (element (i, p) at {@code ap[aOff + p·ast + i]}, rows past the block
     * zero up to {@code ast}): whole tiles, the 6-row kernel's 4-row edge and a three-vector panel's 32-column
     * edge straight to C, other edge tiles through {@code scratch}.
     */
    private static void tileKMajor(
            int kc,
            float[] ap,
            int aOff,
            int ast,
            float[] bp,
            int bPanel,
            int mr,
            int nr,
            MemorySegment c,
            long cTile,
            int ldc,
            float alpha,
            boolean store,
            MemorySegment scratch) {
        if (VectorGemm.writesDirect(mr, nr)) {
            VectorGemm.kernelKMajor(mr, nr, kc, ap, aOff, ast, bp, bPanel, c, cTile, ldc, alpha, store);
            return;
        }
        scratch.fill((byte) 0);
        VectorGemm.kernelKMajor(MR, NR, kc, ap, aOff, ast, bp, bPanel, scratch, 0, NR, alpha, false);
        addEdge(scratch, mr, nr, c, cTile, ldc, store);
    }

    /** The valid {@code mr x nr} part of an edge tile computed whole into {@code scratch}, added to C (or stored). */
    private static void addEdge(
            MemorySegment scratch, int mr, int nr, MemorySegment c, long cTile, int ldc, boolean store) {
        for (int r = 0; r < mr; r++) {
            if (store) VectorKernels.fill(c, cTile + (long) r * ldc, nr, 0f);
            VectorKernels.axpy(nr, 1f, scratch, (long) r * NR, c, cTile + (long) r * ldc);
        }
    }

    /**
     * op(A)[ic:ic+mc, pc:pc+kc] for A stored k x m, k-major ({@link VectorGemm#K_MAJOR_A}): element (i, p) at
     * {@code ap[p·ast + i]}, one copy of mc floats a row of k, zeros past mc up to ast (rows an edge tile
     * computes and does not write); or, in panels ({@link VectorGemm#K_MAJOR_PANELS}), at
     * {@code ap[(i / MR)·MR·kc + p·MR + i % MR]}, the row's floats four at a time into the panels.
     */
    private static void packKMajorA(
            MemorySegment a, long aOff, int lda, int ic, int mc, int pc, int kc, float[] ap, int ast) {
        if (VectorGemm.K_MAJOR_PANELS) {
            // panels of MR rows (ast = mc rounded up to MR), k-major within each: element (i, p) at
            // (i / MR)·MR·kc + p·MR + i % MR, rows past mc zero
            for (int p = 0; p < kc; p++) {
                long src = aOff + (long) (pc + p) * lda + ic;
                VectorGemm.copyPanels(a, src, mc, ap, p * MR, MR * kc);
                for (int i = mc; i < ast; i++) ap[(i / MR) * MR * kc + p * MR + i % MR] = 0f;
            }
            return;
        }
        for (int p = 0; p < kc; p++) {
            VectorGemm.copyRow(a, aOff + (long) (pc + p) * lda + ic, ap, p * ast, mc);
            if (mc < ast) java.util.Arrays.fill(ap, p * ast + mc, (p + 1) * ast, 0f);
        }
    }

    /**
     * Rows of the next micro-tile when {@code remaining} rows are left: MR, but 4 + 4 for the last 8 and
     * 4 for the last 4 with the 6-row kernel, so that M = 32, 64, 128 need no edge tile. Panels are
     * packed row-major (row r of a block at r·kc), so a tile may start at any row.
     */
    static int tileRows(int remaining) {
        if (MR == 6 && (remaining == 8 || remaining == 4)) return 4;
        return Math.min(MR, remaining);
    }

    /**
     * One micro-tile, {@code C[mr x nr] (+)= alpha * Ap * Bp} at {@code cTile}; {@code store}: C is not
     * read (beta = 0, first block of k). A whole tile goes straight to C. An edge tile is computed whole
     * into {@code scratch} (MR x NR) and only its valid part added — except a 4-row edge of the 6-row
     * kernel, which the 4-row kernel writes directly (the last rows of every M = 64 product), a
     * 32-column edge, which a two-vector kernel writes directly (the last panel of N = 128), and an edge
     * of one vector or less, which a one-vector kernel computes (N = 10). A tile with
     * fewer than six rows reads the rows after it, which every packing provides (zero padding, or in
     * ImplicitGemmConv's input gradient the next tap's rows), and writes only its own.
     */
    static void tile(
            int kc,
            float[] ap,
            int aPanel,
            float[] bp,
            int bPanel,
            int mr,
            int nr,
            MemorySegment c,
            long cTile,
            int ldc,
            float alpha,
            boolean store,
            MemorySegment scratch) {
        if (mr == MR && nr == NR) {
            if (store) VectorGemm.kernelStore(kc, ap, aPanel, bp, bPanel, c, cTile, ldc, alpha);
            else VectorGemm.kernel(kc, ap, aPanel, bp, bPanel, c, cTile, ldc, alpha);
        } else if (mr == 4 && nr == NR && MR == 6) {
            VectorGemm.kernelFourRows(kc, ap, aPanel, bp, bPanel, c, cTile, ldc, alpha, store);
        } else if (mr == 6 && VectorGemm.NV == 3 && nr == 2 * L && MR == 6) {
            VectorGemm.kernelTwoVectors(kc, ap, aPanel, bp, bPanel, c, cTile, ldc, alpha, store);
        } else if (nr <= L && MR == 6) {
            // a narrow C (Linear(128, 10)): one vector of columns, rows past mr computed, not written
            VectorGemm.kernelOneVector(kc, ap, aPanel, bp, bPanel, c, cTile, ldc, alpha, store, mr, nr, scratch);
        } else {
            scratch.fill((byte) 0);
            VectorGemm.kernel(kc, ap, aPanel, bp, bPanel, scratch, 0, NR, alpha);
            addEdge(scratch, mr, nr, c, cTile, ldc, store);
        }
    }

    /**
     * op(A)[ic:ic+mc, pc:pc+kc] into MR-tall panels, each row of a panel contiguous: element (i, p) at
     * panel*kc*MR + (i%MR)*kc + p. For A as stored (not transposed) a panel row is one bulk copy; the
     * micro-kernel reads its MR rows as MR streams. (Interleaving the rows instead made this pack
     * move one element at a time: an eighth of a 64x128x9216 product's time.)
     */
    private static void packA(
            boolean transA, MemorySegment a, long aOff, int lda, int ic, int mc, int pc, int kc, float[] ap) {
        if (transA) {
            packTransposedA(a, aOff, lda, ic, mc, pc, kc, ap);
            return;
        }
        for (int ir = 0; ir < mc; ir += MR) {
            int mr = Math.min(MR, mc - ir);
            int base = (ir / MR) * kc * MR;
            for (int r = 0; r < MR; r++) {
                int dst = base + r * kc;
                if (r >= mr) {
                    java.util.Arrays.fill(ap, dst, dst + kc, 0f);
                } else {
                    VectorGemm.copyRow(a, aOff + (long) (ic + ir + r) * lda + pc, ap, dst, kc);
                }
            }
        }
    }

    /**
     * {@link #packA} for A stored k x m (op(A)'s row i is stored column i). The panels of one block are
     * together the block transposed, {@code ap[i·kc + p] = A[(pc + p)·lda + ic + i]} (rows past mc zero), so
     * 16x16 tiles (8x8 on 256-bit vectors) go through the register transpose of the B packing; the edges are
     * scalar. (Read down the columns one value at a time, a weight gradient's gᵀ·x at 384x128x4096 ran at
     * 162 GFLOP/s on two threads against OpenBLAS's 242.)
     */
    private static void packTransposedA(
            MemorySegment a, long aOff, int lda, int ic, int mc, int pc, int kc, float[] ap) {
        int rowsPadded = (mc + MR - 1) / MR * MR;
        java.util.Arrays.fill(ap, mc * kc, rowsPadded * kc, 0f);
        long origin = aOff + (long) pc * lda + ic;
        int kv = 0, mv = 0;
        int t = VectorGemm.TRANSPOSE_BLOCK;
        if (t > 0) {
            kv = kc - kc % t;
            mv = mc - mc % t;
            for (int p0 = 0; p0 < kv; p0 += t)
                for (int i0 = 0; i0 < mv; i0 += t) {
                    long r = origin + (long) p0 * lda;
                    if (t == 16) MicroKernels.transpose16(a, r, lda, 16, i0, ap, i0 * kc + p0, kc);
                    else MicroKernels.transpose8(a, r, lda, 8, i0, ap, i0 * kc + p0, kc);
                }
        }
        // the columns past the tiles, all of k; then the rows of k past the tiles, for the tiles' columns
        for (int i = mv; i < mc; i++)
            for (int p = 0; p < kc; p++) ap[i * kc + p] = a.getAtIndex(F, origin + (long) p * lda + i);
        for (int p = kv; p < kc; p++)
            for (int i = 0; i < mv; i++) ap[i * kc + p] = a.getAtIndex(F, origin + (long) p * lda + i);
    }

    /** op(B)[pc:pc+kc, jc:jc+nc] into NR-wide panels from {@code bp[at]}: panel q at at + q·kc·NR, row p of it at p·NR. */
    private static void packB(
            boolean transB, MemorySegment b, long bOff, int ldb, int pc, int kc, int jc, int nc, float[] bp, int at) {
        for (int jr = 0; jr < nc; jr += NR) {
            int nr = Math.min(NR, nc - jr);
            int base = at + (jr / NR) * kc * NR;
            if (!transB && nr == NR && Simd.VECTOR_AVAILABLE) {
                VectorGemm.packRows(b, bOff + (long) pc * ldb + jc + jr, ldb, kc, bp, base);
            } else if (!transB) {
                // stored k x n: the NR values of one p are contiguous
                for (int p = 0; p < kc; p++) {
                    long src = bOff + (long) (pc + p) * ldb + jc + jr;
                    int dst = base + p * NR;
                    MemorySegment.copy(b, F, src * Float.BYTES, bp, dst, nr);
                    for (int j = nr; j < NR; j++) bp[dst + j] = 0f;
                }
            } else if (VectorGemm.TRANSPOSE_REGISTERS) {
                VectorGemm.packTransposed(b, bOff + (long) (jc + jr) * ldb + pc, ldb, nr, kc, bp, base);
            } else {
                for (int j = 0; j < NR; j++) {
                    if (j < nr) {
                        long src = bOff + (long) (jc + jr + j) * ldb + pc;
                        for (int p = 0; p < kc; p++) bp[base + p * NR + j] = b.getAtIndex(F, src + p);
                    } else {
                        for (int p = 0; p < kc; p++) bp[base + p * NR + j] = 0f;
                    }
                }
            }
        }
    }

    /** packB from a heap array (same layout as the segment version). */
    private static void packB(
            boolean transB,
            float[] b,
            int bOff,
            int ldb,
            int pc,
            int kc,
            int jc,
            int nc,
            float[] bp,
            int at,
            int[] rowOff) {
        for (int jr = 0; jr < nc; jr += NR) {
            int nr = Math.min(NR, nc - jr);
            int base = at + (jr / NR) * kc * NR;
            if (!transB) {
                for (int p = 0; p < kc; p++) {
                    int dst = base + p * NR;
                    System.arraycopy(b, bOff + (pc + p) * ldb + jc + jr, bp, dst, nr);
                    for (int j = nr; j < NR; j++) bp[dst + j] = 0f;
                }
            } else if (VectorGemm.TRANSPOSE_REGISTERS) {
                VectorGemm.packTransposed(b, bOff + (jc + jr) * ldb + pc, ldb, nr, kc, bp, base, rowOff);
            } else {
                for (int j = 0; j < NR; j++) {
                    if (j < nr) {
                        int src = bOff + (jc + jr + j) * ldb + pc;
                        for (int p = 0; p < kc; p++) bp[base + p * NR + j] = b[src + p];
                    } else {
                        for (int p = 0; p < kc; p++) bp[base + p * NR + j] = 0f;
                    }
                }
            }
        }
    }
}
