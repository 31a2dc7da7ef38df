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
            // on this thread: units - 1 adds of one slot (37K floats for conv2 by Winograd), less than waking the pool
            // costs
            for (int u = 1; u < units; u++) VectorKernels.addRun(slots[u], 0, slots[0], 0, slot);
            if (winograd) WinogradConv.toWeight(g, slots[0], dWeight, dBias);
            else LanesConv.toWeight(g, slots[0], dWeight, dBias);
        }
    }
}
