package vectorgrad.kernels;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import vectorgrad.kernels.AttentionHeap.Scratch;

/**
 * {@link Attention}'s softmax rows: a block's scores turned into probabilities, by their maximum for the
 * forward (which keeps each row's log-sum-exp) and by that log-sum-exp for the backward, masks added and
 * rows with every key removed given no weights.
 */
final class AttentionRows {
    private AttentionRows() {}

    private static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT;
    private static final boolean V = Simd.VECTOR_AVAILABLE;
    /**
     * Whether the softmax rows take their vector passes: their max, NaN test and masked last vector are
     * float compares and maxima, which on x86 held to SSE C2 leaves to the Vector API's Java fallback (the
     * GPT step at {@code -XX:UseAVX=0} allocated 1.27 GB of heap a step there); the scalar loops serve them
     * at that width.
     */
    private static final boolean ROW_VECTORS = Simd.FULL_FLOAT_VECTORS;

    /**
     * The forward's probabilities of rows [i0, i1) of problem b, from the scores in {@code p} (row stride
     * {@code ld}, columns up to each row's key count; zeros past it up to {@code width}, the block's key
     * count, which is all the products after read): each row is left as exp(s - max), its 1/Σ goes to the
     * scratch's {@code rowScale} (the forward scales the row's output, dv floats, instead of its n
     * probabilities) and its log-sum-exp to {@code lseOut}. The rows go through each step together — all
     * maxima, then all exps with their vector sums, then every row's lanes folded side by side
     * ({@link VectorKernels#rowSums}), then each row's log and 1/Σ — so one
     * row's chain of dependent steps (max, exp, sum, log) overlaps the next row's instead of waiting on it;
     * the scratch's {@code rowMax} and {@code lanes} (a vector's floats a row) carry them from step to step.
     * The backward's rows come from {@link #fromLse}.
     */
    static void fromScores(
            Attention.Shape sh,
            int b,
            int i0,
            int i1,
            float[] p,
            int ld,
            int width,
            MemorySegment mask,
            long maskOff,
            MemorySegment lseOut,
            Scratch sc) {
        float[] rowScale = sc.rowScale, rowMax = sc.rowMax, lanes = sc.lanes;
        for (int i = i0; i < i1; i++) {
            int row = (i - i0) * ld;
            int n = Attention.keys(sh, i);
            if (mask != null) addMaskRow(sh, i, p, row, n, mask, maskOff);
            float m = ROW_VECTORS ? VectorAttention.maxPadded(p, row, n) : Float.NEGATIVE_INFINITY;
            if (!ROW_VECTORS) for (int j = 0; j < n; j++) m = Math.max(m, p[row + j]);
            rowMax[i - i0] = m;
        }
        int lanesPerRow = Simd.floatLanes();
        for (int i = i0; i < i1; i++) {
            int row = (i - i0) * ld;
            int n = Attention.keys(sh, i);
            float m = rowMax[i - i0];
            if (m == Float.NEGATIVE_INFINITY) {
                // every key removed: no weights (PyTorch's NaN is of no use to a caller)
                java.util.Arrays.fill(p, row, row + width, 0f);
                java.util.Arrays.fill(lanes, (i - i0) * lanesPerRow, (i - i0 + 1) * lanesPerRow, 0f);
                continue;
            }
            if (ROW_VECTORS) {
                VectorAttention.expShiftedLanes(p, row, n, m, lanes, (i - i0) * lanesPerRow);
            } else {
                float sum = 0f; // runSum's order without vectors: one float sum
                for (int j = 0; j < n; j++) {
                    p[row + j] = ScalarExp.exp(p[row + j] - m);
                    sum += p[row + j];
                }
                lanes[(i - i0) * lanesPerRow] = sum;
            }
            if (n < width) java.util.Arrays.fill(p, row + n, row + width, 0f);
        }
        // every row's lanes summed (sumLanes' tree, rows side by side in vectors), then 1/Σ and log-sum-exp
        float[] rowSum = sc.rowSum;
        if (ROW_VECTORS) VectorKernels.rowSums(lanes, i1 - i0, rowSum);
        else for (int r = 0; r < i1 - i0; r++) rowSum[r] = lanes[r * lanesPerRow];
        for (int i = i0; i < i1; i++) {
            float m = rowMax[i - i0];
            long at = (long) b * sh.t() + i;
            if (m == Float.NEGATIVE_INFINITY) {
                lseOut.setAtIndex(F, at, Float.NEGATIVE_INFINITY);
                rowScale[i - i0] = 0f;
                continue;
            }
            float sum = rowSum[i - i0];
            rowScale[i - i0] = 1f / sum; // the float of 1/(double) sum: a double quotient rounds to float exactly
            lseOut.setAtIndex(F, at, (float) (m + Math.log(sum)));
        }
    }

    /**
     * The backward's probabilities of rows [i0, i1) of problem b: exp(s - lse) from the scores in {@code p}
     * and the forward's log-sum-exps, laid out as {@link #fromScores} lays them out.
     */
    static void fromLse(
            Attention.Shape sh,
            int b,
            int i0,
            int i1,
            float[] p,
            int ld,
            int width,
            MemorySegment mask,
            long maskOff,
            MemorySegment lse) {
        for (int i = i0; i < i1; i++) {
            int row = (i - i0) * ld;
            int n = Attention.keys(sh, i);
            if (mask != null) addMaskRow(sh, i, p, row, n, mask, maskOff);
            float m = lse.getAtIndex(F, (long) b * sh.t() + i);
            if (m == Float.NEGATIVE_INFINITY) {
                java.util.Arrays.fill(p, row, row + width, 0f);
                continue;
            }
            if (ROW_VECTORS) {
                VectorAttention.expShifted(p, row, n, m);
            } else {
                for (int j = 0; j < n; j++) p[row + j] = ScalarExp.exp(p[row + j] - m);
            }
            if (n < width) java.util.Arrays.fill(p, row + n, row + width, 0f);
        }
    }

    /** Row i of an additive mask onto the scores of its n keys at {@code p[row..]}. */
    private static void addMaskRow(
            Attention.Shape sh, int i, float[] p, int row, int n, MemorySegment mask, long maskOff) {
        long at = maskOff + (long) i * sh.s();
        if (V) VectorAttention.addRow(mask, at, p, row, n);
        else for (int j = 0; j < n; j++) p[row + j] += mask.getAtIndex(F, at + j);
    }
}
