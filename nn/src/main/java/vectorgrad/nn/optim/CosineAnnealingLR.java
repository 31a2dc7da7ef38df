package vectorgrad.nn.optim;

/**
 * {@code CosineAnnealingLR(optimizer, T_max, eta_min=0)}: from the initial learning rate down to
 * {@code etaMin} along half a cosine over {@code tMax} epochs, {@code eta_min + (base - eta_min)·(1 +
 * cos(π·e/T_max))/2}; past {@code tMax} the cosine goes on (back up over the next {@code tMax}), as PyTorch's.
 */
public final class CosineAnnealingLR extends LRScheduler {
    private final int tMax;
    private final double etaMin;

    public CosineAnnealingLR(Optimizer optimizer, int tMax) {
        this(optimizer, tMax, 0);
    }

    public CosineAnnealingLR(Optimizer optimizer, int tMax, double etaMin) {
        super(optimizer);
        if (tMax <= 0) throw new IllegalArgumentException("CosineAnnealingLR: T_max must be positive, got " + tMax);
        this.tMax = tMax;
        this.etaMin = etaMin;
    }

    @Override
    protected double lrAt(int epoch, int group) {
        return etaMin + (baseLrs[group] - etaMin) * (1 + Math.cos(Math.PI * epoch / tMax)) / 2;
    }
}
