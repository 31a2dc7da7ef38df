package vectorgrad.nn.optim;

/**
 * {@code ReduceLROnPlateau(optimizer, mode='min', factor=0.1, patience=10, threshold=1e-4,
 * threshold_mode='rel', cooldown=0, min_lr=0, eps=1e-8)}: multiplies the learning rate by {@code factor}
 * when a metric (a validation loss, say) has not improved for more than {@code patience} calls of
 * {@link #step(double)}; then waits {@code cooldown} calls before counting again. "Improved" is below the
 * best by more than {@code threshold} (relative or absolute; above, in mode {@code "max"}). A reduction
 * smaller than {@code eps} is skipped, and the rate never goes below {@code minLr}. Each parameter group's
 * rate is reduced so.
 */
public final class ReduceLROnPlateau {
    private final Optimizer optimizer;
    private final boolean max, relative;
    private final double factor, threshold, minLr, eps;
    private final int patience, cooldown;
    private double best;
    private int badEpochs, cooldownLeft, lastEpoch;

    /** PyTorch's defaults. */
    public ReduceLROnPlateau(Optimizer optimizer) {
        this(optimizer, "min", 0.1, 10, 1e-4, "rel", 0, 0, 1e-8);
    }

    public ReduceLROnPlateau(
            Optimizer optimizer,
            String mode,
            double factor,
            int patience,
            double threshold,
            String thresholdMode,
            int cooldown,
            double minLr,
            double eps) {
        if (!mode.equals("min") && !mode.equals("max"))
            throw new IllegalArgumentException("mode " + mode + " is unknown! (min, max)");
        if (!thresholdMode.equals("rel") && !thresholdMode.equals("abs")) {
            throw new IllegalArgumentException("threshold mode " + thresholdMode + " is unknown! (rel, abs)");
        }
        if (!(factor < 1.0)) throw new IllegalArgumentException("Factor should be < 1.0, got " + factor);
        this.optimizer = optimizer;
        this.max = mode.equals("max");
        this.relative = thresholdMode.equals("rel");
        this.factor = factor;
        this.patience = patience;
        this.threshold = threshold;
        this.cooldown = cooldown;
        this.minLr = minLr;
        this.eps = eps;
        this.best = max ? Double.NEGATIVE_INFINITY : Double.POSITIVE_INFINITY;
    }

    /** Records this epoch's {@code metric} and reduces the learning rate if it has stopped improving. */
    public void step(double metric) {
        lastEpoch++;
        if (better(metric)) {
            best = metric;
            badEpochs = 0;
        } else {
            badEpochs++;
        }
        if (cooldownLeft > 0) {
            cooldownLeft--;
            badEpochs = 0;
        }
        if (badEpochs > patience) {
            for (ParamGroup group : optimizer.paramGroups()) {
                double old = group.lr(), lr = Math.max(old * factor, minLr);
                if (old - lr > eps) group.lr(lr);
            }
            cooldownLeft = cooldown;
            badEpochs = 0;
        }
    }

    private boolean better(double a) {
        if (!max) return relative ? a < best * (1 - threshold) : a < best - threshold;
        return relative ? a > best * (threshold + 1) : a > best + threshold;
    }

    public double getLastLr() {
        return optimizer.getLr();
    }

    /** Calls of {@link #step(double)} so far. */
    public int lastEpoch() {
        return lastEpoch;
    }
}
