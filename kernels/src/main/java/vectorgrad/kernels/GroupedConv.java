package vectorgrad.kernels;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Grouped convolution (PyTorch's {@code groups}) as one ordinary convolution per group: the group's
 * input channels (and, for the backward passes, its output gradient channels) are gathered into
 * contiguous scratch, the group runs through {@link Conv} with all its paths (direct, implicit GEMM,
 * im2col), and the result is scattered back. Groups big enough for the pool on their own (Conv.run: 4
 * MFLOP) run one after another, each parallel over the batch; smaller ones (a depthwise convolution's)
 * run side by side on the pool, a group to a thread, when all of them together are worth it. Either way each group is computed by the same
 * operations whatever the thread count (a convolution called on a pool thread runs inline). The weight, bias and
 * their gradients need no copy: a group's rows are contiguous in {@code [outC, inC/groups, kh, kw]}.
 * The gathers move each activation once more per pass, small beside the convolution's multiply-adds.
 */
final class GroupedConv {
    private GroupedConv() {}

    private static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT;

    /** The calling thread's gather buffers, grown as needed and reused (steady state allocates nothing). */
    private static final ThreadScratch.NativeFloats[] SCRATCH = {
        new ThreadScratch.NativeFloats(), new ThreadScratch.NativeFloats(), new ThreadScratch.NativeFloats()
    };

    private static MemorySegment scratch(int which, long floats) {
        return SCRATCH[which].get(floats);
    }

    /**
     * Copies channels [c0, c0 + n) of every image of {@code src} (images of {@code channels} planes of
     * {@code plane} floats) into {@code dst} as images of n planes, or back when {@code gather} is false.
     */
    private static void move(
            boolean gather, MemorySegment src, int channels, int c0, int n, long plane, int batch, MemorySegment dst) {
        long run = n * plane * Float.BYTES;
        for (int b = 0; b < batch; b++) {
            long full = ((long) b * channels + c0) * plane * Float.BYTES, packed = (long) b * n * plane * Float.BYTES;
            if (gather) MemorySegment.copy(src, full, dst, packed, run);
            else MemorySegment.copy(dst, packed, src, full, run);
        }
    }

    /**
     * Runs {@code body} over the groups: on the pool when each group is too small to use it itself but
     * the whole pass is not (Conv.run's 4 MFLOP: below it, waking a second thread costs more than it brings).
     */
    private static void overGroups(Conv.Geometry g, Parallel.RangeBody body) {
        Conv.Geometry one = g.group();
        long flops = 2L * one.batch() * one.outC() * one.patch() * one.positions();
        if (flops < (1L << 22) && flops * g.groups() >= (1L << 22)) Parallel.forRange(g.groups(), 1, body);
        else body.run(0, g.groups());
    }

    private static MemorySegment weightOf(Conv.Geometry g, MemorySegment weight, int group) {
        long size = (long) g.outC() / g.groups() * g.patch() * Float.BYTES;
        return weight.asSlice(group * size, size);
    }

    static void forward(Conv.Geometry g, MemorySegment x, MemorySegment weight, MemorySegment bias, MemorySegment out) {
        Conv.Geometry one = g.group();
        long inPlane = (long) g.h() * g.w(), outPlane = (long) g.outH() * g.outW();
        overGroups(g, (from, to) -> {
            MemorySegment xs = scratch(0, one.inputSize()), ys = scratch(1, one.outputSize());
            for (int i = from; i < to; i++) {
                move(true, x, g.inC(), i * one.inC(), one.inC(), inPlane, g.batch(), xs);
                MemorySegment bs = bias == null
                        ? null
                        : bias.asSlice((long) i * one.outC() * Float.BYTES, (long) one.outC() * Float.BYTES);
                Conv.forward(one, xs, weightOf(g, weight, i), bs, ys);
                move(false, out, g.outC(), i * one.outC(), one.outC(), outPlane, g.batch(), ys);
            }
        });
    }

    static void backwardInput(Conv.Geometry g, MemorySegment dy, MemorySegment weight, MemorySegment dx) {
        Conv.Geometry one = g.group();
        long inPlane = (long) g.h() * g.w(), outPlane = (long) g.outH() * g.outW();
        overGroups(g, (from, to) -> {
            MemorySegment dys = scratch(1, one.outputSize()), dxs = scratch(2, one.inputSize());
            for (int i = from; i < to; i++) {
                move(true, dy, g.outC(), i * one.outC(), one.outC(), outPlane, g.batch(), dys);
                Conv.backwardInput(one, dys, weightOf(g, weight, i), dxs);
                move(false, dx, g.inC(), i * one.inC(), one.inC(), inPlane, g.batch(), dxs);
            }
        });
    }

    static void backwardWeight(
            Conv.Geometry g, MemorySegment x, MemorySegment dy, MemorySegment dWeight, MemorySegment dBias) {
        Conv.Geometry one = g.group();
        long inPlane = (long) g.h() * g.w(), outPlane = (long) g.outH() * g.outW();
        overGroups(g, (from, to) -> {
            MemorySegment xs = scratch(0, one.inputSize()), dys = scratch(1, one.outputSize());
            for (int i = from; i < to; i++) {
                move(true, x, g.inC(), i * one.inC(), one.inC(), inPlane, g.batch(), xs);
                move(true, dy, g.outC(), i * one.outC(), one.outC(), outPlane, g.batch(), dys);
                MemorySegment db = dBias == null
                        ? null
                        : dBias.asSlice((long) i * one.outC() * Float.BYTES, (long) one.outC() * Float.BYTES);
                Conv.backwardWeight(one, xs, dys, weightOf(g, dWeight, i), db);
            }
        });
    }
}
