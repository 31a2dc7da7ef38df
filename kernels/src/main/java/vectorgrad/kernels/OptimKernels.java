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
        // elementwise, so chunks on different threads give the same bits as one pass
        int chunks = (int) Math.min(64, Math.max(1, n >> 16));
        Parallel.forRange(chunks, 1, (c0, c1) -> {
            for (int c = c0; c < c1; c++) {
                long lo = n * c / chunks, hi = n * (c + 1) / chunks;
                MemorySegment ps = p.asSlice(lo * 4, (hi - lo) * 4), gs = grad.asSlice(lo * 4, (hi - lo) * 4);
                MemorySegment ms = m.asSlice(lo * 4, (hi - lo) * 4), vs = v.asSlice(lo * 4, (hi - lo) * 4);
                MemorySegment xs = vmax == null ? null : vmax.asSlice(lo * 4, (hi - lo) * 4);
                long len = hi - lo;
                long from = Simd.VECTOR_AVAILABLE
                        ? VectorOptim.adam(
                                len, ps, gs, ms, vs, xs, w1, beta2, w2, eps, weightDecay, stepSize, biasCorrection2Sqrt)
                        : 0;
                adamScalar(
                        from, len, ps, gs, ms, vs, xs, w1, beta2, w2, eps, weightDecay, stepSize, biasCorrection2Sqrt);
            }
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
}
