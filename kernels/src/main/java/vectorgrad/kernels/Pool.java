package vectorgrad.kernels;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * 2-D max pooling on NCHW memory, as PyTorch's {@code max_pool2d}: kernel, stride, padding (implicit
 * -inf), dilation, ceil mode. The forward keeps, for every output, the flat index {@code iy·W + ix} of
 * its maximum within the input plane (first one on ties; a NaN wins), which the backward uses.
 */
public final class Pool {
    private Pool() {}

    private static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT;
    private static final ValueLayout.OfInt I = ValueLayout.JAVA_INT;

    /** Geometry of one pooling; validates once. {@code planes} = batch·channels. */
    public record Geometry(int planes, int h, int w, int kh, int kw, int strideH, int strideW,
                           int padH, int padW, int dilH, int dilW, boolean ceilMode) {
        public Geometry {
            if (planes < 0 || h <= 0 || w <= 0) throw new IllegalArgumentException("max_pool2d: input planes " + planes + " of " + h + " x " + w);
            if (kh <= 0 || kw <= 0) throw new IllegalArgumentException("max_pool2d: kernel size must be positive, got " + kh + " x " + kw);
            if (strideH <= 0 || strideW <= 0) throw new IllegalArgumentException("max_pool2d: stride must be positive, got " + strideH + " x " + strideW);
            if (dilH <= 0 || dilW <= 0) throw new IllegalArgumentException("max_pool2d: dilation must be positive, got " + dilH + " x " + dilW);
            if (padH < 0 || padW < 0 || 2 * padH > kh || 2 * padW > kw) {
                throw new IllegalArgumentException("max_pool2d: pad should be at most half of the kernel size, but got pad = (" + padH + ", " + padW
                        + ") and kernel_size = (" + kh + ", " + kw + ")");
            }
            if (outSize(h, kh, strideH, padH, dilH, ceilMode) <= 0 || outSize(w, kw, strideW, padW, dilW, ceilMode) <= 0) {
                throw new IllegalArgumentException("max_pool2d: output size is too small for input " + h + " x " + w + ", kernel " + kh + " x " + kw);
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

    public static void maxForward(Geometry g, MemorySegment x, MemorySegment out, MemorySegment indices) {
        int oh = g.outH(), ow = g.outW();
        long outPlane = (long) oh * ow, inPlane = (long) g.h() * g.w();
        Check.floats(x, 0, g.planes() * inPlane, "max_pool2d input");
        Check.floats(out, 0, g.planes() * outPlane, "max_pool2d output");
        Check.floats(indices, 0, g.planes() * outPlane, "max_pool2d indices");
        Parallel.forRange(g.planes(), 8, (from, to) -> {
            for (int pl = from; pl < to; pl++) {
                long xo = pl * inPlane, oo = pl * outPlane;
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
                                float v = x.getAtIndex(F, xo + (long) iy * g.w() + ix);
                                if (v > best || bi < 0 || (v != v && best == best)) {
                                    best = v;
                                    bi = iy * g.w() + ix;
                                }
                            }
                        }
                        out.setAtIndex(F, oo + (long) oy * ow + ox, best);
                        indices.setAtIndex(I, oo + (long) oy * ow + ox, bi);
                    }
                }
            }
        });
    }

    /** dx (overwritten) = scatter-add of dy to the recorded argmax positions. */
    public static void maxBackward(Geometry g, MemorySegment dy, MemorySegment indices, MemorySegment dx) {
        int oh = g.outH(), ow = g.outW();
        long outPlane = (long) oh * ow, inPlane = (long) g.h() * g.w();
        Check.floats(dy, 0, g.planes() * outPlane, "max_pool2d grad output");
        Check.floats(indices, 0, g.planes() * outPlane, "max_pool2d indices");
        Check.floats(dx, 0, g.planes() * inPlane, "max_pool2d grad input");
        Parallel.forRange(g.planes(), 8, (from, to) -> {
            for (int pl = from; pl < to; pl++) {
                long xo = pl * inPlane, oo = pl * outPlane;
                dx.asSlice(xo * Float.BYTES, inPlane * Float.BYTES).fill((byte) 0);
                for (long o = 0; o < outPlane; o++) {
                    int idx = indices.getAtIndex(I, oo + o);
                    if (idx < 0 || idx >= inPlane) throw new IllegalArgumentException("max_pool2d backward: index " + idx + " outside the " + g.h() + " x " + g.w() + " plane");
                    long at = xo + idx;
                    dx.setAtIndex(F, at, dx.getAtIndex(F, at) + dy.getAtIndex(F, oo + o));
                }
            }
        });
    }
}
