package vectorgrad.nn.optim;

/** {@code ExponentialLR(optimizer, gamma)}: the learning rate times {@code gamma} every epoch. */
public final class ExponentialLR extends LRScheduler {
    private final double gamma;

    public ExponentialLR(Optimizer optimizer, double gamma) {
        super(optimizer);
        this.gamma = gamma;
    }

    @Override
    protected double lrAt(int epoch, int group) {
        return baseLrs[group] * Math.pow(gamma, epoch);
    }
}
