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
        for (Tensor g : grads) {
            float n = norm(g.toFloatArray(), normType);
            acc = inf ? Math.max(acc, n) : acc + Math.pow(n, normType);
        }
        float total = inf ? (float) acc : (float) Math.pow(acc, 1 / normType);
        float coef = Math.min(1f, (float) maxNorm / (total + 1e-6f));
        try (var noGrad = Tensor.noGrad()) {
            for (Tensor g : grads) {
                try (Tensor scaled = g.mul(coef)) {
                    g.copy_(scaled);
                }
            }
        }
        return total;
    }

    /** Clamps every gradient element to {@code [-clipValue, clipValue]} in place. */
    public static void clipGradValue_(Iterable<? extends Tensor> parameters, double clipValue) {
        float c = (float) Math.abs(clipValue);
        for (Tensor p : parameters) {
            Tensor g = p.grad();
            if (g == null) continue;
            float[] v = g.toFloatArray();
            for (int i = 0; i < v.length; i++) v[i] = Math.max(-c, Math.min(c, v[i]));
            try (Tensor clamped = Tensor.of(v, g.shape())) {
                g.copy_(clamped);
            }
        }
    }

    /** A gradient's norm, accumulated in double and rounded to float32 as PyTorch's CPU reduction. */
    private static float norm(float[] v, double p) {
        if (Double.isInfinite(p)) {
            float m = 0;
            for (float x : v) m = Math.max(m, Math.abs(x));
            return m;
        }
        double s = 0;
        for (float x : v) s += p == 2 ? (double) x * x : p == 1 ? Math.abs(x) : Math.pow(Math.abs(x), p);
        return (float) (p == 2 ? Math.sqrt(s) : p == 1 ? s : Math.pow(s, 1 / p));
    }
}
