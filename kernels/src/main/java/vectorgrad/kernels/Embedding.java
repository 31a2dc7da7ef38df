package vectorgrad.kernels;

import java.lang.foreign.MemorySegment;

/**
 * An embedding table's rows: gather {@code out[i] = weight[idx[i]]} and its adjoint, the scatter-add
 * {@code dweight[idx[i]] += dy[i]} (rows of {@code d} floats). The scatter runs in parallel over blocks
 * of columns, each block adding every index in order, so repeated indices sum in the same order for any
 * thread count.
 */
public final class Embedding {
    private Embedding() {}

    /** Columns per parallel block of the scatter-add. */
    private static final int BLOCK = 64;

    private static void checkIndices(int[] idx, int num) {
        for (int i = 0; i < idx.length; i++) {
            if (idx[i] < 0 || idx[i] >= num)
                throw new IndexOutOfBoundsException("embedding: index " + idx[i] + " at position " + i
                        + " is out of range for a table of " + num + " rows");
        }
    }

    /** {@code out[i, :] = weight[idx[i], :]} for a {@code [num, d]} table. */
    public static void gather(int[] idx, MemorySegment weight, int num, int d, MemorySegment out) {
        checkIndices(idx, num);
        Check.floats(weight, 0, (long) num * d, "embedding weight");
        Check.floats(out, 0, (long) idx.length * d, "embedding output");
        long row = (long) d * Float.BYTES;
        Parallel.forRange(idx.length, Math.max(1, (1 << 14) / Math.max(1, d)), (from, to) -> {
            for (int i = from; i < to; i++) MemorySegment.copy(weight, idx[i] * row, out, i * row, row);
        });
    }

    /**
     * {@code dweight = Σ_i onehot(idx[i]) ⊗ dy[i, :]}, overwriting the {@code [num, d]} {@code dweight};
     * rows of index {@code paddingIdx} (or none, with -1) stay zero.
     */
    public static void scatterAdd(int[] idx, MemorySegment dy, int num, int d, int paddingIdx, MemorySegment dweight) {
        checkIndices(idx, num);
        Check.floats(dy, 0, (long) idx.length * d, "embedding grad output");
        Check.floats(dweight, 0, (long) num * d, "embedding grad weight");
        dweight.asSlice(0, (long) num * d * Float.BYTES).fill((byte) 0);
        int blocks = (d + BLOCK - 1) / BLOCK;
        int grain = Math.max(1, (1 << 15) / Math.max(1, idx.length * Math.min(d, BLOCK)));
        Parallel.forRange(blocks, grain, (from, to) -> {
            int c0 = from * BLOCK, c1 = Math.min(d, to * BLOCK);
            for (int i = 0; i < idx.length; i++) {
                if (idx[i] == paddingIdx) continue;
                Elementwise.axpy(c1 - c0, 1f, dy, (long) i * d + c0, dweight, (long) idx[i] * d + c0);
            }
        });
    }
}
