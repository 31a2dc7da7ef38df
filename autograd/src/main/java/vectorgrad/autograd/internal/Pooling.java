package vectorgrad.autograd.internal;

import static vectorgrad.autograd.internal.TensorAccess.*;

import java.lang.ref.Reference;
import vectorgrad.autograd.Tensor;
import vectorgrad.kernels.AvgPool;

/**
 * Average pooling with forward beside backward: {@code avg_pool2d} and {@code adaptive_avg_pool2d}
 * over {@code [B, C, H, W]} or unbatched {@code [C, H, W]} input, as {@code torch.nn.functional}.
 */
public final class Pooling {
    private Pooling() {}

    /**
     * {@code F.avg_pool2d(x, kernel_size, stride, padding, ceil_mode, count_include_pad)}  |  each output's
     * gradient spread evenly over its window.
     */
    public static Tensor avgPool2d(
            Tensor x, int[] kernel, int[] stride, int[] padding, boolean ceilMode, boolean countIncludePad) {
        int[] xs = planes(x, "avg_pool2d");
        for (int d = 0; d < 2; d++) {
            if (kernel[d] <= 0 || stride[d] <= 0 || padding[d] < 0)
                throw new IllegalArgumentException("avg_pool2d: kernel_size and stride must be positive and padding"
                        + " non-negative, got kernel_size=" + Shapes.str(kernel) + ", stride=" + Shapes.str(stride)
                        + ", padding=" + Shapes.str(padding));
            if (2 * padding[d] > kernel[d])
                throw new IllegalArgumentException("avg_pool2d: pad should be at most half of effective kernel size,"
                        + " but got pad=" + padding[d] + ", kernel_size=" + kernel[d]);
        }
        int h = xs[xs.length - 2], w = xs[xs.length - 1];
        return pool(
                x,
                AvgPool.pooling(h, kernel[0], stride[0], padding[0], ceilMode, countIncludePad),
                AvgPool.pooling(w, kernel[1], stride[1], padding[1], ceilMode, countIncludePad),
                "avg_pool2d");
    }

    /** {@code F.adaptive_avg_pool2d(x, output_size)}: windows {@code [⌊i·H/oh⌋, ⌈(i+1)·H/oh⌉)}  |  as avg_pool2d. */
    public static Tensor adaptiveAvgPool2d(Tensor x, int[] outputSize) {
        int[] xs = planes(x, "adaptive_avg_pool2d");
        int h = xs[xs.length - 2], w = xs[xs.length - 1];
        return pool(
                x,
                AvgPool.adaptive(h, outputSize[0] < 0 ? h : outputSize[0]),
                AvgPool.adaptive(w, outputSize[1] < 0 ? w : outputSize[1]),
                "adaptive_avg_pool2d");
    }

    private static int[] planes(Tensor x, String name) {
        requireFloat(x, name);
        int[] xs = x.shape();
        if (xs.length != 3 && xs.length != 4)
            throw new IllegalArgumentException(
                    name + ": expected 3-D [C, H, W] or 4-D [B, C, H, W] input, got " + Shapes.str(xs));
        if (xs[xs.length - 1] == 0 || xs[xs.length - 2] == 0)
            throw new IllegalArgumentException(name + ": input " + Shapes.str(xs) + " has an empty plane");
        return xs;
    }

    private static Tensor pool(Tensor x, AvgPool.Windows rows, AvgPool.Windows cols, String name) {
        int[] xs = x.shape();
        int planes = (int) (x.numel() / ((long) rows.in() * cols.in()));
        int[] ys = xs.clone();
        ys[ys.length - 2] = rows.out();
        ys[ys.length - 1] = cols.out();
        Tensor y = empty(ys);
        AvgPool.forward(planes, rows, cols, segment(x), segment(y));
        Reference.reachabilityFence(x);
        return record(
                y,
                name,
                (g, need) -> {
                    Tensor gx = empty(xs);
                    AvgPool.backward(planes, rows, cols, segment(g), segment(gx));
                    Reference.reachabilityFence(g);
                    return new Tensor[] {gx};
                },
                x);
    }
}
