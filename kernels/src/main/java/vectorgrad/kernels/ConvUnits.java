package vectorgrad.kernels;

import java.lang.foreign.MemorySegment;
import java.util.Arrays;

/**
 * The work units of the convolution's backward passes for the lanes and Winograd algorithms, which
 * {@link Conv#backward} can pair on one trip to the pool and {@link Conv#backwardInput} and
 * {@link Conv#backwardWeight} run alone.
 */
final class ConvUnits {
    private ConvUnits() {}

    /** The lanes and Winograd weight gradients' partial sums, one slot per work unit. */
    private static final ThreadScratch.FloatSlots HEAP_SLOTS = new ThreadScratch.FloatSlots();

    /** The input gradient's work units for the lanes or Winograd algorithm: (image, band of the padded input's rows). */
    static final class InputGrad {
        final Conv.Geometry g;
        final MemorySegment dy, dx;
        final LanesConv.InputShape is;
        /** The weight as the algorithm reads it (packed for lanes, transformed for Winograd). */
        final float[] wt;

        final boolean winograd;
        /** Winograd's tile rows (its bands start at whole tiles from the padding's end), else 1. */
        final int tile;

        /** Images a unit takes (Winograd's {@link WinogradConv#inputImagesPerUnit}, else 1; bands only at 1). */
        final int group;

        final int bands, units;

        InputGrad(Conv.Geometry g, MemorySegment dy, MemorySegment weight, MemorySegment dx) {
            this.g = g;
            this.dy = dy;
            this.dx = dx;
            is = LanesConv.inputShape(g);
            winograd = ConvPlan.inputGrad(g) == ConvPlan.Algorithm.WINOGRAD;
            wt = winograd ? WinogradConv.inputWeights(g, weight) : LanesConv.inputWeight(g, weight);
            tile = winograd ? ConvPlan.winogradTile(g.h(), g.w()) : 1;
            group = winograd ? WinogradConv.inputImagesPerUnit(g) : 1;
            bands = WorkSplit.partsPerImage(g.batch(), is.hp());
            units = (g.batch() + group - 1) / group * bands;
        }

        void unit(int u) {
            int b = u / bands * group, part = u % bands, hp = is.hp(), images = Math.min(group, g.batch() - b);
            long dyOff = (long) b * g.outC() * g.positions(), dxOff = (long) b * g.inC() * g.h() * g.w();
            int y0 = WorkSplit.alignedBound(hp, part, bands, g.padH(), tile),
                    y1 = WorkSplit.alignedBound(hp, part + 1, bands, g.padH(), tile);
            if (winograd) WinogradConv.backwardInput(g, dy, dyOff, wt, dx, dxOff, y0, y1, images);
            else LanesConv.backwardInput(is, dy, dyOff, wt, dx, dxOff, y0, y1);
        }
    }

    /**
     * The weight gradient's work units for the lanes or Winograd algorithm: (chunk of images, band of output rows), each summing into its
     * own slot (a heap array of the calling thread's); {@link #finish} adds the slots in unit order and
     * makes dW of the sum once.
     */
    static final class WeightGrad {
        final Conv.Geometry g;
        final MemorySegment x, dy;
        final boolean withBias, winograd;
        final ImplicitGemmConv.Shape sh;
        final int chunks, bands, units, slot;
        final float[][] slots;

        WeightGrad(Conv.Geometry g, MemorySegment x, MemorySegment dy, boolean withBias) {
            this.g = g;
            this.x = x;
            this.dy = dy;
            this.withBias = withBias;
            winograd = ConvPlan.weightGrad(g) == ConvPlan.Algorithm.WINOGRAD;
            sh = winograd ? null : ImplicitGemmConv.shape(g);
            // fixed chunks (not one per thread) so the summation order is the same for any thread count
            chunks = WorkSplit.chunks(g.batch());
            bands = WorkSplit.partsPerImage(chunks, g.outH());
            units = chunks * bands;
            slot = winograd ? WinogradConv.sumsSize(g) : LanesConv.sumsSize(g);
            slots = HEAP_SLOTS.get(Math.max(1, units), slot);
            if (units == 0) Arrays.fill(slots[0], 0, slot, 0f);
        }

        void unit(int u) {
            int chunk = u / bands, band = u % bands;
            int b0 = WorkSplit.bound(g.batch(), chunk, chunks), b1 = WorkSplit.bound(g.batch(), chunk + 1, chunks);
            int tile = winograd ? ConvPlan.winogradGradTile(g) : 1;
            int y0 = WorkSplit.alignedBound(g.outH(), band, bands, 0, tile),
                    y1 = WorkSplit.alignedBound(g.outH(), band + 1, bands, 0, tile);
            if (y0 == y1) {
                Arrays.fill(slots[u], 0, slot, 0f); // an empty band: nothing to add
                return;
            }
            if (winograd) WinogradConv.backwardWeight(g, x, dy, b0, b1, y0, y1, slots[u], withBias);
            else LanesConv.backwardWeight(sh, x, dy, b0, b1, y0, y1, slots[u], withBias);
        }

        void finish(MemorySegment dWeight, MemorySegment dBias) {
            // block by block, each block of the first slot taking every other slot's in unit order while it is in
            // the L1: the same sums in the same order as slot after slot, with the first slot read and written
            // once instead of once a unit
            int blocks = (slot + SUM_BLOCK - 1) / SUM_BLOCK;
            Parallel.RangeBody add = (from, to) -> {
                for (int blk = from; blk < to; blk++) {
                    int lo = blk * SUM_BLOCK, n = Math.min(SUM_BLOCK, slot - lo);
                    for (int u = 1; u < units; u++) VectorKernels.addRun(slots[u], lo, slots[0], lo, n);
                }
            };
            boolean pool = (long) slot * (units - 1) >= POOL_SUMS;
            if (units > 1) {
                if (pool) Parallel.forRange(blocks, 1, add);
                else add.run(0, blocks);
            }
            if (!winograd) {
                LanesConv.toWeight(g, slots[0], dWeight, dBias);
            } else if (pool) {
                Parallel.forRange(g.outC(), 1, (o0, o1) -> WinogradConv.toWeight(g, slots[0], o0, o1, dWeight));
                WinogradConv.toBias(g, slots[0], dBias);
            } else {
                WinogradConv.toWeight(g, slots[0], 0, g.outC(), dWeight);
                WinogradConv.toBias(g, slots[0], dBias);
            }
        }
    }

    /** Floats of a slot {@link WeightGrad#finish} adds at a time: 16 KiB, with the other slots' blocks, in the L1. */
    private static final int SUM_BLOCK = 4096;

    /**
     * Floats added in all (slot size times the slots after the first) from which {@link WeightGrad#finish} adds on
     * the pool: the ResNet's 128-channel 7x7 layer at batch 64, eight slots of 608K floats, took 1.2-1.5 ms on one
     * thread; the MNIST model's conv2, 37K floats a slot, is far less than waking the pool costs.
     */
    private static final long POOL_SUMS = 1L << 20;
}
