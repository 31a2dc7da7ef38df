package vectorgrad.kernels;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Fused parameter updates, one pass over each parameter. The arithmetic follows PyTorch's single-tensor
 * CPU implementations operation by operation (same order, float32), so trajectories agree to rounding.
 */
public final class OptimKernels {
    private OptimKernels() {}

    private static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT;

    /**
     * One Adam update of {@code n} floats, as {@code torch.optim.Adam}:
     * <pre>
     *   g  = grad + weightDecay * p
     *   m  = m + w1 * (g - m)                       (lerp, w1 = 1 - beta1)
     *   v  = v * beta2 + w2 * g * g                 (mul_, addcmul_, w2 = 1 - beta2)
     *   vmax = max(vmax, v); use vmax for v          (amsgrad only; vmax may be null otherwise)
     *   p  = p - stepSize * m / (sqrt(v) / biasCorrection2Sqrt + eps)
     * </pre>
     * {@code stepSize = lr / (1 - beta1^t)} and {@code biasCorrection2Sqrt = sqrt(1 - beta2^t)} are computed
     * by the caller in double, as PyTorch does in Python; so are {@code w1} and {@code w2} (in float,
     * {@code 1f - 0.999f} is not {@code (float) (1 - 0.999)}).
     */
    public static void adam(
            long n,
            MemorySegment p,
            MemorySegment grad,
            MemorySegment m,
            MemorySegment v,
            MemorySegment vmax,
            float w1,
            float beta2,
            float w2,
            float eps,
            float weightDecay,
            float stepSize,
            float biasCorrection2Sqrt) {
        Check.floats(p, 0, n, "adam param");
        Check.floats(grad, 0, n, "adam grad");
        Check.floats(m, 0, n, "adam exp_avg");
        Check.floats(v, 0, n, "adam exp_avg_sq");
        if (vmax != null) Check.floats(vmax, 0, n, "adam max_exp_avg_sq");
        inChunks(n, (lo, len) -> {
            MemorySegment ps = slice(p, lo, len), gs = slice(grad, lo, len), ms = slice(m, lo, len);
            MemorySegment vs = slice(v, lo, len), xs = slice(vmax, lo, len);
            long from = Simd.FULL_FLOAT_VECTORS
                    ? VectorOptim.adam(
                            len, ps, gs, ms, vs, xs, w1, beta2, w2, eps, weightDecay, stepSize, biasCorrection2Sqrt)
                    : 0;
            adamScalar(from, len, ps, gs, ms, vs, xs, w1, beta2, w2, eps, weightDecay, stepSize, biasCorrection2Sqrt);
        });
    }

    static void adamScalar(
            long from,
            long n,
            MemorySegment p,
            MemorySegment grad,
            MemorySegment m,
            MemorySegment v,
            MemorySegment vmax,
            float w1,
            float beta2,
            float w2,
            float eps,
            float weightDecay,
            float stepSize,
            float bc2Sqrt) {
        for (long i = from; i < n; i++) {
            float pi = p.getAtIndex(F, i);
            float g = grad.getAtIndex(F, i);
            if (weightDecay != 0f) g = g + weightDecay * pi;
            float mi = m.getAtIndex(F, i);
            mi = mi + w1 * (g - mi);
            float vi = v.getAtIndex(F, i) * beta2 + w2 * g * g;
            m.setAtIndex(F, i, mi);
            v.setAtIndex(F, i, vi);
            if (vmax != null) {
                vi = Math.max(vmax.getAtIndex(F, i), vi);
                vmax.setAtIndex(F, i, vi);
            }
            float denom = (float) Math.sqrt(vi) / bc2Sqrt + eps;
            p.setAtIndex(F, i, pi + (-stepSize) * (mi / denom));
        }
    }

    /**
     * One SGD update, as {@code torch.optim.SGD}:
     * <pre>
     *   d = grad + weightDecay * p
     *   buf = first ? d : buf * momentum + (1 - dampening) * d      (momentum != 0 only)
     *   d = nesterov ? d + momentum * buf : buf
     *   p = p - lr * d
     * </pre>
     * {@code buf} may be null when momentum is 0. {@code oneMinusDampening} is computed by the caller in double.
     */
    public static void sgd(
            long n,
            MemorySegment p,
            MemorySegment grad,
            MemorySegment buf,
            boolean firstStep,
            float lr,
            float momentum,
            float oneMinusDampening,
            boolean nesterov,
            float weightDecay) {
        Check.floats(p, 0, n, "sgd param");
        Check.floats(grad, 0, n, "sgd grad");
        if (momentum != 0f) {
            if (buf == null) throw new IllegalArgumentException("sgd: momentum buffer missing");
            Check.floats(buf, 0, n, "sgd momentum buffer");
        }
        float w = oneMinusDampening;
        for (long i = 0; i < n; i++) {
            float pi = p.getAtIndex(F, i);
            float d = grad.getAtIndex(F, i);
            if (weightDecay != 0f) d = d + weightDecay * pi;
            if (momentum != 0f) {
                float b = firstStep ? d : buf.getAtIndex(F, i) * momentum + w * d;
                buf.setAtIndex(F, i, b);
                d = nesterov ? d + momentum * b : b;
            }
            p.setAtIndex(F, i, pi + (-lr) * d);
        }
    }

    /**
     * One RMSprop update, as {@code torch.optim.RMSprop}:
     * <pre>
     *   g = grad + weightDecay * p
     *   sq = sq * alpha + (1 - alpha) * g * g
     *   ga = ga * alpha + (1 - alpha) * g                          (centered only)
     *   avg = sqrt(centered ? sq - ga * ga : sq) + eps
     *   buf = buf * momentum + g / avg;  p = p - lr * buf           (momentum != 0)
     *   p = p - lr * (g / avg)                                     (otherwise)
     * </pre>
     * {@code gradAvg} is null unless centered, {@code buf} null unless momentum is nonzero.
     */
    public static void rmsprop(
            long n,
            MemorySegment p,
            MemorySegment grad,
            MemorySegment squareAvg,
            MemorySegment gradAvg,
            MemorySegment buf,
            float lr,
            float alpha,
            float eps,
            float weightDecay,
            float momentum) {
        Check.floats(p, 0, n, "rmsprop param");
        Check.floats(grad, 0, n, "rmsprop grad");
        Check.floats(squareAvg, 0, n, "rmsprop square_avg");
        if (gradAvg != null) Check.floats(gradAvg, 0, n, "rmsprop grad_avg");
        if (momentum != 0f) {
            if (buf == null) throw new IllegalArgumentException("rmsprop: momentum buffer missing");
            Check.floats(buf, 0, n, "rmsprop momentum buffer");
        }
        inChunks(n, (lo, len) -> {
            MemorySegment ps = slice(p, lo, len), gs = slice(grad, lo, len), sq = slice(squareAvg, lo, len);
            MemorySegment ga = slice(gradAvg, lo, len), bs = slice(buf, lo, len);
            long from = Simd.FULL_FLOAT_VECTORS
                    ? VectorOptim.rmsprop(len, ps, gs, sq, ga, bs, lr, alpha, eps, weightDecay, momentum)
                    : 0;
            rmspropScalar(from, len, ps, gs, sq, ga, bs, lr, alpha, eps, weightDecay, momentum);
        });
    }

    static void rmspropScalar(
            long from,
            long n,
            MemorySegment p,
            MemorySegment grad,
            MemorySegment squareAvg,
            MemorySegment gradAvg,
            MemorySegment buf,
            float lr,
            float alpha,
            float eps,
            float weightDecay,
            float momentum) {
        float w = 1f - alpha;
        for (long i = from; i < n; i++) {
            float pi = p.getAtIndex(F, i);
            float g = grad.getAtIndex(F, i);
            if (weightDecay != 0f) g = g + weightDecay * pi;
            float sq = squareAvg.getAtIndex(F, i) * alpha + w * g * g;
            squareAvg.setAtIndex(F, i, sq);
            float avg;
            if (gradAvg != null) {
                float ga = gradAvg.getAtIndex(F, i) * alpha + w * g;
                gradAvg.setAtIndex(F, i, ga);
                avg = (float) Math.sqrt(sq - ga * ga) + eps;
            } else {
                avg = (float) Math.sqrt(sq) + eps;
            }
            if (momentum != 0f) {
                float b = buf.getAtIndex(F, i) * momentum + g / avg;
                buf.setAtIndex(F, i, b);
                p.setAtIndex(F, i, pi + (-lr) * b);
            } else {
                p.setAtIndex(F, i, pi + (-lr) * (g / avg));
            }
        }
    }

    /**
     * One Adagrad update, as {@code torch.optim.Adagrad} ({@code clr} = lr / (1 + (step - 1)·lr_decay),
     * computed by the caller):
     * <pre>
     *   g = grad + weightDecay * p
     *   sum = sum + g * g
     *   p = p - clr * (g / (sqrt(sum) + eps))
     * </pre>
     */
    public static void adagrad(
            long n, MemorySegment p, MemorySegment grad, MemorySegment sum, float clr, float eps, float weightDecay) {
        Check.floats(p, 0, n, "adagrad param");
        Check.floats(grad, 0, n, "adagrad grad");
        Check.floats(sum, 0, n, "adagrad sum");
        inChunks(n, (lo, len) -> {
            MemorySegment ps = slice(p, lo, len), gs = slice(grad, lo, len), ss = slice(sum, lo, len);
            long from = Simd.FULL_FLOAT_VECTORS ? VectorOptim.adagrad(len, ps, gs, ss, clr, eps, weightDecay) : 0;
            adagradScalar(from, len, ps, gs, ss, clr, eps, weightDecay);
        });
    }

    private interface Chunk {
        void run(long lo, long len);
    }

    /** Up to 64 chunks of at least 2^16 elements among the threads: elementwise, so any split gives the same bits. */
    private static void inChunks(long n, Chunk body) {
        int chunks = (int) Math.min(64, Math.max(1, n >> 16));
        Parallel.forRange(chunks, 1, (c0, c1) -> {
            for (int c = c0; c < c1; c++) {
                long lo = n * c / chunks, hi = n * (c + 1) / chunks;
                body.run(lo, hi - lo);
            }
        });
    }

    private static MemorySegment slice(MemorySegment m, long lo, long len) {
        return m == null ? null : m.asSlice(lo * 4, len * 4);
    }

    static void adagradScalar(
            long from,
            long n,
            MemorySegment p,
            MemorySegment grad,
            MemorySegment sum,
            float clr,
            float eps,
            float weightDecay) {
        for (long i = from; i < n; i++) {
            float pi = p.getAtIndex(F, i);
            float g = grad.getAtIndex(F, i);
            if (weightDecay != 0f) g = g + weightDecay * pi;
            float s = sum.getAtIndex(F, i) + g * g;
            sum.setAtIndex(F, i, s);
            p.setAtIndex(F, i, pi + (-clr) * (g / ((float) Math.sqrt(s) + eps)));
        }
    }
}
