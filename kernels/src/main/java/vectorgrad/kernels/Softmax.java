package vectorgrad.kernels;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Softmax, log-softmax and cross-entropy over one dimension of a contiguous tensor seen as
 * {@code [outer, n, inner]}; all max-subtracted, so large logits do not overflow.
 */
public final class Softmax {
    private Softmax() {}

    private static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT;
    private static final ValueLayout.OfInt I = ValueLayout.JAVA_INT;

    private static void check(int outer, int n, int inner, MemorySegment x, MemorySegment out, String what) {
        if (outer < 0 || n <= 0 || inner <= 0)
            throw new IllegalArgumentException(what + ": bad sizes outer " + outer + ", n " + n + ", inner " + inner);
        Check.floats(x, 0, (long) outer * n * inner, what, "", " input");
        Check.floats(out, 0, (long) outer * n * inner, what, "", " output");
    }

    /**
     * Rows run on the vector path: contiguous ({@code inner} 1), at least a vector long (a shorter row would
     * run in the scalar tail anyway, with float exp instead of the double path's), vectors available with
     * float max (not x86 held to SSE). Either way each row is computed by one thread by one path, so
     * results do not depend on the thread count.
     */
    private static boolean vectorRows(int inner, int n) {
        return inner == 1 && Simd.VECTOR_AVAILABLE && Simd.FULL_FLOAT_VECTORS && n >= Simd.floatLanes();
    }

    /** Rows of n per parallel share: at least 16 K floats, so a share is worth waking a thread for. */
    private static int grain(int n) {
        return Math.max(1, (1 << 14) / n);
    }

    /** {@code out = softmax(x)} (or log-softmax with {@code log}) along the middle dimension. */
    public static void forward(int outer, int n, int inner, MemorySegment x, MemorySegment out, boolean log) {
        check(outer, n, inner, x, out, log ? "log_softmax" : "softmax");
        if (vectorRows(inner, n) && ColdStart.cold(ColdStart.Kernel.SOFTMAX_ROWS, (long) outer * n)) {
            ColdKernels.softmaxRows(x, out, outer, n, log);
            ColdStart.served(ColdStart.Kernel.SOFTMAX_ROWS, new ColdStart.SoftmaxCall(outer, n, log));
            return;
        }
        if (vectorRows(inner, n)) {
            Parallel.forRange(outer, grain(n), (o0, o1) -> {
                for (int o = o0; o < o1; o++) {
                    long base = (long) o * n;
                    float max = VectorAttention.max(x, base, n);
                    double sum = VectorSoftmax.expSum(x, base, n, max);
                    if (log) Elementwise.affine(x, base, 1f, -(max + (float) Math.log(sum)), out, base, n);
                    else VectorSoftmax.expScaled(x, base, n, max, (float) (1 / sum), out, base);
                }
            });
            return;
        }
        Parallel.forRange(outer, grain(n * inner), (o0, o1) -> {
            for (int o = o0; o < o1; o++) forwardScalar(o, n, inner, x, out, log);
        });
    }

    private static void forwardScalar(int o, int n, int inner, MemorySegment x, MemorySegment out, boolean log) {
        for (int i = 0; i < inner; i++) {
            long base = (long) o * n * inner + i;
            float max = Float.NEGATIVE_INFINITY;
            for (int k = 0; k < n; k++) max = Math.max(max, x.getAtIndex(F, base + (long) k * inner));
            double sum = 0;
            for (int k = 0; k < n; k++) sum += Math.exp(x.getAtIndex(F, base + (long) k * inner) - max);
            if (log) {
                float lse = (float) Math.log(sum);
                for (int k = 0; k < n; k++)
                    out.setAtIndex(F, base + (long) k * inner, x.getAtIndex(F, base + (long) k * inner) - max - lse);
            } else {
                double inv = 1.0 / sum;
                for (int k = 0; k < n; k++)
                    out.setAtIndex(F, base + (long) k * inner, (float) (Math.exp(
                                    x.getAtIndex(F, base + (long) k * inner) - max)
                            * inv));
            }
        }
    }

    /**
     * Backward of softmax/log-softmax given the forward's output {@code y} and upstream {@code dy}:
     * softmax: {@code dx = y·(dy - Σ dy·y)}; log-softmax: {@code dx = dy - exp(y)·Σ dy}.
     */
    public static void backward(
            int outer, int n, int inner, MemorySegment y, MemorySegment dy, MemorySegment dx, boolean log) {
        check(outer, n, inner, y, dx, log ? "log_softmax backward" : "softmax backward");
        Check.floats(dy, 0, (long) outer * n * inner, "softmax backward grad");
        if (vectorRows(inner, n)) {
            Parallel.forRange(outer, grain(n), (o0, o1) -> {
                for (int o = o0; o < o1; o++) {
                    long base = (long) o * n;
                    if (log)
                        VectorSoftmax.logSoftmaxGrad(y, dy, base, n, (float) VectorSoftmax.dot(dy, null, base, n), dx);
                    else VectorSoftmax.softmaxGrad(y, dy, base, n, (float) VectorSoftmax.dot(dy, y, base, n), dx);
                }
            });
            return;
        }
        Parallel.forRange(outer, grain(n * inner), (o0, o1) -> {
            for (int o = o0; o < o1; o++) backwardScalar(o, n, inner, y, dy, dx, log);
        });
    }

    private static void backwardScalar(
            int o, int n, int inner, MemorySegment y, MemorySegment dy, MemorySegment dx, boolean log) {
        for (int i = 0; i < inner; i++) {
            long base = (long) o * n * inner + i;
            double s = 0;
            for (int k = 0; k < n; k++) {
                long at = base + (long) k * inner;
                s += log ? dy.getAtIndex(F, at) : (double) dy.getAtIndex(F, at) * y.getAtIndex(F, at);
            }
            for (int k = 0; k < n; k++) {
                long at = base + (long) k * inner;
                float yv = y.getAtIndex(F, at), g = dy.getAtIndex(F, at);
                dx.setAtIndex(F, at, log ? (float) (g - Math.exp(yv) * s) : (float) (yv * (g - s)));
            }
        }
    }

    /**
     * Cross-entropy with class indices, fused with log-softmax over the class dimension:
     * {@code loss[b] = logsumexp(x[b, :]) - x[b, target[b]]} for logits {@code [batch, classes]}.
     * Targets outside {@code [0, classes)} are an error naming the batch position and value.
     */
    public static void crossEntropy(
            int batch, int classes, MemorySegment logits, MemorySegment target, MemorySegment loss) {
        crossEntropy(batch, classes, logits, target, loss, null);
    }

    /**
     * {@link #crossEntropy}, also writing each row's log-sum-exp, {@code max + log Σ exp(x - max)} rounded to
     * float, to {@code lse} ({@code [batch]}, or null) for {@link #crossEntropyBackward(int, int, MemorySegment,
     * MemorySegment, MemorySegment, MemorySegment, MemorySegment)}.
     */
    public static void crossEntropy(
            int batch, int classes, MemorySegment logits, MemorySegment target, MemorySegment loss, MemorySegment lse) {
        if (batch < 0 || classes <= 0)
            throw new IllegalArgumentException("cross_entropy: bad sizes batch " + batch + ", classes " + classes);
        Check.floats(logits, 0, (long) batch * classes, "cross_entropy input");
        Check.floats(target, 0, batch, "cross_entropy target");
        Check.floats(loss, 0, batch, "cross_entropy output");
        if (lse != null) Check.floats(lse, 0, batch, "cross_entropy log-sum-exp");
        for (int b = 0; b < batch; b++) {
            int t = target.getAtIndex(I, b);
            if (t < 0 || t >= classes) {
                throw new IllegalArgumentException("cross_entropy: target " + t + " at position " + b
                        + " is out of bounds for " + classes + " classes");
            }
        }
        boolean vector = vectorRows(1, classes);
        Parallel.forRange(batch, grain(classes), (b0, b1) -> {
            for (int b = b0; b < b1; b++) {
                int t = target.getAtIndex(I, b);
                long base = (long) b * classes;
                float max;
                double sum;
                if (vector) {
                    max = VectorAttention.max(logits, base, classes);
                    sum = VectorSoftmax.expSum(logits, base, classes, max);
                } else {
                    max = Float.NEGATIVE_INFINITY;
                    for (int k = 0; k < classes; k++) max = Math.max(max, logits.getAtIndex(F, base + k));
                    sum = 0;
                    for (int k = 0; k < classes; k++) sum += Math.exp(logits.getAtIndex(F, base + k) - max);
                }
                double logSum = Math.log(sum);
                loss.setAtIndex(F, b, (float) (logSum + max - logits.getAtIndex(F, base + t)));
                if (lse != null) lse.setAtIndex(F, b, (float) (max + logSum));
            }
        });
    }

    /**
     * {@link #crossEntropyBackward(int, int, MemorySegment, MemorySegment, MemorySegment, MemorySegment)} from
     * the forward's log-sum-exps ({@link #crossEntropy(int, int, MemorySegment, MemorySegment, MemorySegment,
     * MemorySegment)}): the probabilities are exp(x - lse), one pass of exp over each row instead of the
     * maximum, the sum of exps and the exps again. [4096, 113] (the GPT's logits), one thread, in cache: 780-790 → 400-420 µs.
     */
    public static void crossEntropyBackward(
            int batch,
            int classes,
            MemorySegment logits,
            MemorySegment target,
            MemorySegment lse,
            MemorySegment dloss,
            MemorySegment dlogits) {
        if (!vectorRows(1, classes)) {
            crossEntropyBackward(batch, classes, logits, target, dloss, dlogits);
            return;
        }
        Check.floats(logits, 0, (long) batch * classes, "cross_entropy input");
        Check.floats(target, 0, batch, "cross_entropy target");
        Check.floats(lse, 0, batch, "cross_entropy log-sum-exp");
        Check.floats(dloss, 0, batch, "cross_entropy grad");
        Check.floats(dlogits, 0, (long) batch * classes, "cross_entropy grad input");
        Parallel.forRange(batch, grain(classes), (b0, b1) -> {
            for (int b = b0; b < b1; b++) {
                int t = target.getAtIndex(I, b);
                long base = (long) b * classes;
                VectorSoftmax.expScaled(
                        logits, base, classes, lse.getAtIndex(F, b), dloss.getAtIndex(F, b), dlogits, base);
                // the target's g·(p_t - 1) as minus the others' sum, as the other form does
                dlogits.setAtIndex(F, base + t, 0f);
                dlogits.setAtIndex(F, base + t, (float) -VectorSoftmax.dot(dlogits, null, base, classes));
            }
        });
    }

    /** {@code dlogits[b, k] = dloss[b]·(softmax(x[b])[k] - [k == target[b]])}. */
    public static void crossEntropyBackward(
            int batch,
            int classes,
            MemorySegment logits,
            MemorySegment target,
            MemorySegment dloss,
            MemorySegment dlogits) {
        Check.floats(logits, 0, (long) batch * classes, "cross_entropy input");
        Check.floats(target, 0, batch, "cross_entropy target");
        Check.floats(dloss, 0, batch, "cross_entropy grad");
        Check.floats(dlogits, 0, (long) batch * classes, "cross_entropy grad input");
        boolean vector = vectorRows(1, classes);
        Parallel.forRange(batch, grain(classes), (b0, b1) -> {
            for (int b = b0; b < b1; b++) {
                int t = target.getAtIndex(I, b);
                long base = (long) b * classes;
                float g = dloss.getAtIndex(F, b);
                if (vector) {
                    float max = VectorAttention.max(logits, base, classes);
                    double sum = VectorSoftmax.expSum(logits, base, classes, max);
                    VectorSoftmax.expScaled(logits, base, classes, max, (float) (g / sum), dlogits, base);
                    // the target's g·(p_t - 1) as minus the others' sum, not g·p_t - g: when p_t is near 1 the
                    // difference cancels (relative error 6e-4 at p_t = 0.9999)
                    dlogits.setAtIndex(F, base + t, 0f);
                    dlogits.setAtIndex(F, base + t, (float) -VectorSoftmax.dot(dlogits, null, base, classes));
                    continue;
                }
                float max = Float.NEGATIVE_INFINITY;
                for (int k = 0; k < classes; k++) max = Math.max(max, logits.getAtIndex(F, base + k));
                double sum = 0;
                for (int k = 0; k < classes; k++) sum += Math.exp(logits.getAtIndex(F, base + k) - max);
                double inv = 1.0 / sum;
                for (int k = 0; k < classes; k++) {
                    double p = Math.exp(logits.getAtIndex(F, base + k) - max) * inv;
                    dlogits.setAtIndex(F, base + k, (float) (g * (p - (k == t ? 1 : 0))));
                }
            }
        });
    }
}
