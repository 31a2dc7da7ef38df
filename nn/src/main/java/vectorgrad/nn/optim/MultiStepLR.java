package vectorgrad.nn.optim;

import java.util.Arrays;

/**
 * {@code MultiStepLR(optimizer, milestones, gamma=0.1)}: the learning rate times {@code gamma} at each
 * milestone epoch (a milestone given twice counts twice, as in PyTorch).
 */
public final class MultiStepLR extends LRScheduler {
    private final int[] milestones;
    private final double gamma;

    public MultiStepLR(Optimizer optimizer, int[] milestones) {
        this(optimizer, milestones, 0.1);
    }

    public MultiStepLR(Optimizer optimizer, int[] milestones, double gamma) {
        super(optimizer);
        this.milestones = milestones.clone();
        Arrays.sort(this.milestones);
        this.gamma = gamma;
    }

    @Override
    protected double lrAt(int epoch, int group) {
        int passed = 0;
        for (int m : milestones) if (m <= epoch) passed++;
        return baseLrs[group] * Math.pow(gamma, passed);
    }
}
