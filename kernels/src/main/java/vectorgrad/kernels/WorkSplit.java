package vectorgrad.kernels;

/**
 * How the kernels cut work into units — written once, because every cut must be a function of the shape
 * only, never of the thread count: the cut decides which partial sums exist and in what order they are
 * added, and results must not depend on how many threads run the units.
 */
final class WorkSplit {
    private WorkSplit() {}

    /** Units a pass over a batch is cut into at the least, so two threads get near-equal shares. */
    static final int MIN_UNITS = 8;

    /**
     * Where part {@code i} of {@code parts} near-equal parts of {@code [0, total)} starts (part {@code i}
     * is {@code [bound(total, i, parts), bound(total, i + 1, parts))}).
     */
    static int bound(int total, int i, int parts) {
        return (int) ((long) total * i / parts);
    }

    /**
     * {@link #bound} moved to the nearest row {@code origin + k·multiple} inside {@code [0, total]}, the ends
     * kept: the cut of a pass whose tiles of {@code multiple} rows start there (Winograd's), so that no two
     * parts compute the same tile. A part may come out empty.
     */
    static int alignedBound(int total, int i, int parts, int origin, int multiple) {
        int b = bound(total, i, parts);
        if (b == 0 || b == total || multiple == 1) return b;
        int k = origin + Math.floorDiv(b - origin + multiple / 2, multiple) * multiple;
        return Math.max(0, Math.min(total, k));
    }

    /**
     * How many parts each image's work is cut into. With few images the pool's threads would get
     * unequal shares (5 images on 2 threads: 3 and 2), so small batches are cut finer, into at least
     * {@link #MIN_UNITS} units; {@code extent} (rows, channels) bounds the cut.
     */
    static int partsPerImage(int batch, int extent) {
        if (batch >= MIN_UNITS || batch == 0) return 1;
        return Math.max(1, Math.min(extent, (MIN_UNITS + batch - 1) / batch));
    }

    /**
     * Fixed chunks of images for a summed pass (a weight gradient): at most {@link #MIN_UNITS}, so the
     * partial sums and their order are the same for any thread count.
     */
    static int chunks(int batch) {
        return Math.min(batch, MIN_UNITS);
    }
}
