package vectorgrad.kernels;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * 2-D max pooling on NCHW memory, as PyTorch's {@code max_pool2d}: kernel, stride, padding (implicit
 * -inf), dilation, ceil mode. The forward keeps, for every output, the flat index {@code iy·W + ix} of
 * its maximum within the input plane (first one on ties; a NaN wins), which the backward uses, or, asked for
 * no indices (a forward that records no graph), the maxima alone.
 */
public final class MaxPool {
    private MaxPool() {}

    private static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT;
    private static final ValueLayout.OfInt I = ValueLayout.JAVA_INT;

    /** Geometry of one pooling; validates once. {@code planes} = batch·channels. */
    public record Geometry(
            int planes,
            int h,
            int w,
            int kh,
            int kw,
            int strideH,
            int strideW,
            int padH,
            int padW,
            int dilH,
            int dilW,
            boolean ceilMode) {
        public Geometry {
            if (planes < 0 || h <= 0 || w <= 0)
                throw new IllegalArgumentException("max_pool2d: input planes " + planes + " of " + h + " x " + w);
            if (kh <= 0 || kw <= 0)
                throw new IllegalArgumentException("max_pool2d: kernel size must be positive, got " + kh + " x " + kw);
            if (strideH <= 0 || strideW <= 0)
                throw new IllegalArgumentException(
                        "max_pool2d: stride must be positive, got " + strideH + " x " + strideW);
            if (dilH <= 0 || dilW <= 0)
                throw new IllegalArgumentException("max_pool2d: dilation must be positive, got " + dilH + " x " + dilW);
            if (padH < 0 || padW < 0 || 2 * padH > kh || 2 * padW > kw) {
                throw new IllegalArgumentException(
                        "max_pool2d: pad should be at most half of the kernel size, but got pad = (" + padH + ", "
                                + padW + ") and kernel_size = (" + kh + ", " + kw + ")");
            }
            if (outSize(h, kh, strideH, padH, dilH, ceilMode) <= 0
                    || outSize(w, kw, strideW, padW, dilW, ceilMode) <= 0) {
                throw new IllegalArgumentException("max_pool2d: output size is too small for input " + h + " x " + w
                        + ", kernel " + kh + " x " + kw);
            }
        }

        /** PyTorch's pooling_output_shape: in ceil mode the last window must start inside the padded input. */
        static int outSize(int in, int k, int s, int p, int d, boolean ceil) {
            int span = in + 2 * p - d * (k - 1) - 1;
            int out = (ceil ? (span + s - 1) / s : span / s) + 1;
            if (ceil && (out - 1) * s >= in + p) out--;
            return out;
        }

        public int outH() {
            return outSize(h, kh, strideH, padH, dilH, ceilMode);
        }

        public int outW() {
            return outSize(w, kw, strideW, padW, dilW, ceilMode);
        }
    }

    /**
     * Planes per task: at least 2^18 input elements. Pooling moves memory more than it computes, and a
     * second thread costs tens of microseconds to start (measured at batch 5: 2 threads 77 µs, 1 thread 64).
     */
    static int grain(int inPlane) {
        return Math.max(8, (1 << 18) / Math.max(1, inPlane));
    }

    /**
     * {@code out} = each window's maximum, and {@code indices} (int32, or null) its flat index in the input
     * plane for the backward. Without indices (a forward that records no graph) 2x2 windows at stride 2 take
     * {@link VectorPool#forwardValues}, which reads the planes in place; the values are the same bits either way.
     */
    public static void maxForward(Geometry g, MemorySegment x, MemorySegment out, MemorySegment indices) {
        int oh = g.outH(), ow = g.outW();
        int outPlane = oh * ow, inPlane = g.h() * g.w();
        Check.floats(x, 0, (long) g.planes() * inPlane, "max_pool2d input");
        Check.floats(out, 0, (long) g.planes() * outPlane, "max_pool2d output");
        if (indices != null) Check.floats(indices, 0, (long) g.planes() * outPlane, "max_pool2d indices");
        boolean fast2x2 = g.kh() == 2
                && g.kw() == 2
                && g.strideH() == 2
                && g.strideW() == 2
                && g.padH() == 0
                && g.padW() == 0
                && g.dilH() == 1
                && g.dilW() == 1
                && 2 * oh <= g.h()
                && 2 * ow <= g.w();
        boolean values = indices == null;
        // the vector forms compare and blend: scalar code is faster where those are not instructions
        // (and while the vector forms are cold, the scalar loop: the same values and indices)
        boolean vector = fast2x2
                && Simd.FULL_FLOAT_VECTORS
                && !ColdStart.cold(ColdStart.Kernel.MAX_POOL_2X2, (long) g.planes() * inPlane);
        if (fast2x2 && Simd.FULL_FLOAT_VECTORS && !vector) {
            ColdStart.served(ColdStart.Kernel.MAX_POOL_2X2, new ColdStart.PoolCall(g, !values));
        }
        if (vector && values) {
            Parallel.forRange(g.planes(), grain(inPlane), (from, to) -> {
                for (int pl = from; pl < to; pl++)
                    VectorPool.forwardValues(x, (long) pl * inPlane, g.w(), oh, ow, out, (long) pl * outPlane);
            });
            return;
        }
        if (vector && VectorPool.SELECTS) {
            Parallel.forRange(g.planes(), grain(inPlane), (from, to) -> {
                for (int pl = from; pl < to; pl++)
                    VectorPool.forward(x, (long) pl * inPlane, g.w(), oh, ow, out, indices, (long) pl * outPlane);
            });
            return;
        }
        int[] corner = vector ? corners(g, oh, ow) : null;
        Parallel.forRange(g.planes(), grain(inPlane), (from, to) -> {
            // one plane at a time through heap arrays: bulk copies in and out, and loops C2 compiles
            // without per-element segment checks (several times faster than reading the segment directly)
            float[] in = new float[inPlane], o = new float[outPlane];
            int[] ix = new int[outPlane];
            for (int pl = from; pl < to; pl++) {
                MemorySegment.copy(x, F, (long) pl * inPlane * Float.BYTES, in, 0, inPlane);
                if (fast2x2) {
                    // every window lies inside the plane (ceil mode can add windows hanging off the edge)
                    int done = corner != null ? VectorPool.gathered(in, g.w(), oh, ow, o, ix, corner) : 0;
                    if (done == 0) pool2x2(in, g.w(), oh, ow, o, ix);
                    else pool2x2(in, g.w(), ow, o, ix, done, oh * ow);
                } else {
                    poolGeneric(g, in, oh, ow, o, ix);
                }
                MemorySegment.copy(o, 0, out, F, (long) pl * outPlane * Float.BYTES, outPlane);
                if (indices != null)
                    MemorySegment.copy(ix, 0, indices, I, (long) pl * outPlane * Integer.BYTES, outPlane);
            }
        });
    }

    /**
     * 2x2 windows, stride 2, no padding (the MNIST model's pooling), window by window: the scalar twin of
     * the vector forms while those are cold, and the path where vector compares are not instructions. The
     * same values and indices as the vector forms.
     */
    static void pool2x2(float[] in, int w, int oh, int ow, float[] out, int[] idx) {
        for (int oy = 0; oy < oh; oy++) {
            for (int ox = 0, win = oy * ow; ox < ow; ox++, win++) {
                int a = 2 * oy * w + 2 * ox, b = a + w;
                int bi = argmax2x2(in[a], in[a + 1], in[b], in[b + 1], a, w);
                out[win] = in[bi];
                idx[win] = bi;
            }
        }
    }

    /** {@link #pool2x2} for windows [from, to) of the plane. */
    static void pool2x2(float[] in, int w, int ow, float[] out, int[] idx, int from, int to) {
        for (int win = from; win < to; win++) {
            int a = 2 * (win / ow) * w + 2 * (win % ow), b = a + w;
            int bi = argmax2x2(in[a], in[a + 1], in[b], in[b + 1], a, w);
            out[win] = in[bi];
            idx[win] = bi;
        }
    }

    /** Top-left corner of every 2x2 window of a plane, in output order ({@link VectorPool#gathered}'s map). */
    private static int[] corners(Geometry g, int oh, int ow) {
        int[] c = new int[oh * ow];
        for (int oy = 0; oy < oh; oy++) for (int ox = 0; ox < ow; ox++) c[oy * ow + ox] = 2 * oy * g.w() + 2 * ox;
        return c;
    }

    /**
     * {@link #pool2x2} for n windows of one row on the segments (first corner at plane index corner); without
     * the indices when {@code idx} is null (the windows {@link VectorPool#forwardValues} leaves to the scalar rule).
     */
    static void pool2x2(
            MemorySegment x, long xPlane, int w, int corner, int n, MemorySegment out, MemorySegment idx, long o) {
        for (int i = 0; i < n; i++) {
            int a = corner + 2 * i;
            long at = xPlane + a;
            int bi = argmax2x2(
                    x.getAtIndex(F, at),
                    x.getAtIndex(F, at + 1),
                    x.getAtIndex(F, at + w),
                    x.getAtIndex(F, at + w + 1),
                    a,
                    w);
            out.setAtIndex(F, o + i, x.getAtIndex(F, xPlane + bi));
            if (idx != null) idx.setAtIndex(I, o + i, bi);
        }
    }

    /**
     * The index of the maximum of the 2x2 window whose top-left corner is at {@code a} in a plane {@code w}
     * wide, given its values in row order: the generic loop's rule (row by row, strictly greater wins, the
     * first NaN wins). Selects rather than branches: on real activations the comparisons are
     * unpredictable, and the branchy form spent most of its time in mispredictions. One well-predicted
     * test sends a window holding a NaN aside.
     */
    static int argmax2x2(float v0, float v1, float v2, float v3, int a, int w) {
        int b = a + w;
        float any = v0 + v1 + v2 + v3;
        if (any != any) {
            // a NaN in the window (or infinities of both signs): the first NaN wins, as the generic loop
            int nan = v0 != v0 ? a : v1 != v1 ? a + 1 : v2 != v2 ? b : v3 != v3 ? b + 1 : -1;
            if (nan >= 0) return nan;
        }
        boolean c1 = v1 > v0;
        float best = c1 ? v1 : v0;
        int bi = c1 ? a + 1 : a;
        boolean c2 = v2 > best;
        best = c2 ? v2 : best;
        bi = c2 ? b : bi;
        return v3 > best ? b + 1 : bi;
    }

    private static void poolGeneric(Geometry g, float[] in, int oh, int ow, float[] out, int[] idx) {
        for (int oy = 0; oy < oh; oy++) {
            for (int ox = 0; ox < ow; ox++) {
                float best = Float.NEGATIVE_INFINITY;
                int bi = -1;
                for (int i = 0; i < g.kh(); i++) {
                    int iy = oy * g.strideH() - g.padH() + i * g.dilH();
                    if (iy < 0 || iy >= g.h()) continue;
                    for (int j = 0; j < g.kw(); j++) {
                        int ix = ox * g.strideW() - g.padW() + j * g.dilW();
                        if (ix < 0 || ix >= g.w()) continue;
                        float v = in[iy * g.w() + ix];
                        if (v > best || bi < 0 || (v != v && best == best)) {
                            best = v;
                            bi = iy * g.w() + ix;
                        }
                    }
                }
                out[oy * ow + ox] = best;
                idx[oy * ow + ox] = bi;
            }
        }
    }

    /** dx (overwritten) = scatter-add of dy to the recorded argmax positions. */
    public static void maxBackward(Geometry g, MemorySegment dy, MemorySegment indices, MemorySegment dx) {
        int oh = g.outH(), ow = g.outW();
        int outPlane = oh * ow, inPlane = g.h() * g.w();
        Check.floats(dy, 0, (long) g.planes() * outPlane, "max_pool2d grad output");
        Check.floats(indices, 0, (long) g.planes() * outPlane, "max_pool2d indices");
        Check.floats(dx, 0, (long) g.planes() * inPlane, "max_pool2d grad input");
        Parallel.forRange(g.planes(), grain(inPlane), (from, to) -> {
            float[] d = new float[inPlane], gy = new float[outPlane];
            int[] ix = new int[outPlane];
            for (int pl = from; pl < to; pl++) {
                java.util.Arrays.fill(d, 0f);
                MemorySegment.copy(dy, F, (long) pl * outPlane * Float.BYTES, gy, 0, outPlane);
                MemorySegment.copy(indices, I, (long) pl * outPlane * Integer.BYTES, ix, 0, outPlane);
                for (int o = 0; o < outPlane; o++) {
                    int at = ix[o];
                    if (at < 0 || at >= inPlane)
                        throw new IllegalArgumentException("max_pool2d backward: index " + at + " outside the " + g.h()
                                + " x " + g.w() + " plane");
                    d[at] += gy[o];
                }
                MemorySegment.copy(d, 0, dx, F, (long) pl * inPlane * Float.BYTES, inPlane);
            }
        });
    }
}
