package vectorgrad.nn.utils;

import vectorgrad.autograd.Tensor;

/**
 * Gradient clipping, as {@code torch.nn.utils.clip_grad_norm_} and {@code clip_grad_value_}: call between
 * {@code backward()} and {@code optimizer.step()}. Parameters without a gradient are skipped. The
 * arithmetic follows PyTorch's in float32: each gradient's norm, the norm of those norms, and one scale
 * {@code min(1, maxNorm / (total + 1e-6))} applied to every gradient.
 */
public final class ClipGrad {
    private ClipGrad() {}

    /** {@link #clipGradNorm_(Iterable, double, double)} with the 2-norm. */
    public static float clipGradNorm_(Iterable<? extends Tensor> parameters, double maxNorm) {
        return clipGradNorm_(parameters, maxNorm, 2);
    }

    /**
     * Scales the gradients in place so that their joint {@code normType}-norm (as if they were one vector;
     * {@code Double.POSITIVE_INFINITY} for the largest magnitude) is at most {@code maxNorm}. Returns the
     * norm before clipping.
     */
    public static float clipGradNorm_(Iterable<? extends Tensor> parameters, double maxNorm, double normType) {
        if (!(normType > 0))
            throw new IllegalArgumentException("clip_grad_norm_: norm_type must be positive, got " + normType);
        java.util.List<Tensor> grads = new java.util.ArrayList<>();
        for (Tensor p : parameters) if (p.grad() != null) grads.add(p.grad());
        if (grads.isEmpty()) return 0f;
        boolean inf = Double.isInfinite(normType);
        double acc = 0;
        try (var noGrad = Tensor.noGrad()) {
            for (Tensor g : grads) {
                float n = norm(g, normType);
                acc = inf ? Math.max(acc, n) : acc + Math.pow(n, normType);
            }
            float total = inf ? (float) acc : (float) Math.pow(acc, 1 / normType);
            float coef = Math.min(1f, (float) maxNorm / (total + 1e-6f));
            for (Tensor g : grads) g.mul_(coef);
            return total;
        }
    }

    /** Clamps every gradient element to {@code [-clipValue, clipValue]} in place. */
    public static void clipGradValue_(Iterable<? extends Tensor> parameters, double clipValue) {
        float c = (float) Math.abs(clipValue);
        for (Tensor p : parameters) {
            Tensor g = p.grad();
            if (g == null) continue;
            try (var noGrad = Tensor.noGrad();
                    Tensor clamped = g.clamp(-c, c)) {
                g.copy_(clamped);
            }
        }
    }

    /** A gradient's norm, by the tensor kernels (no copy to the heap; their temporaries closed at once). */
    private static float norm(Tensor g, double p) {
        if (Double.isInfinite(p)) {
            try (Tensor a = g.abs();
                    Tensor m = a.max()) {
                return m.item();
            }
        }
        if (p == 2) {
            try (Tensor sq = g.mul(g);
                    Tensor s = sq.sum()) {
                return (float) Math.sqrt(s.item());
            }
        }
        try (Tensor a = g.abs();
                Tensor pw = a.pow(p);
                Tensor s = pw.sum()) {
            return (float) Math.pow(s.item(), 1 / p);
        }
    }
}
