package vectorgrad.nn.optim;

import java.util.Arrays;
import java.util.List;

/**
 * {@code SequentialLR(optimizer, schedulers, milestones)}: the schedules one after another — the first
 * until {@code milestones[0]}, the second from there (restarting at its own epoch 0) until
 * {@code milestones[1]}, and so on. Linear warm-up then cosine decay, as many transformers train:
 * <pre>{@code
 * var warmup = new LinearLR(opt, 0.01, 1.0, 100);
 * var decay = new CosineAnnealingLR(opt, 2900, 1e-4);
 * var schedule = new SequentialLR(opt, List.of(warmup, decay), new int[] {100});
 * }</pre>
 * Every schedule must be made on {@code optimizer} before this one (each reads the same initial learning
 * rate); the learning rate is the first schedule's epoch 0 after construction, as in PyTorch.
 */
public final class SequentialLR extends LRScheduler {
    private final List<LRScheduler> schedulers;
    private final int[] milestones;

    public SequentialLR(Optimizer optimizer, List<? extends LRScheduler> schedulers, int[] milestones) {
        super(optimizer);
        if (schedulers.isEmpty()) throw new IllegalArgumentException("SequentialLR expects at least one scheduler");
        if (milestones.length != schedulers.size() - 1) {
            throw new IllegalArgumentException("SequentialLR expects " + (schedulers.size() - 1) + " milestones for "
                    + schedulers.size() + " schedulers, got " + milestones.length);
        }
        for (LRScheduler s : schedulers) {
            if (s.optimizer != optimizer) {
                throw new IllegalArgumentException("SequentialLR: every scheduler must belong to the same optimizer");
            }
        }
        for (int i = 1; i < milestones.length; i++) {
            if (milestones[i] < milestones[i - 1]) {
                throw new IllegalArgumentException(
                        "SequentialLR: milestones must be increasing, got " + Arrays.toString(milestones));
            }
        }
        this.schedulers = List.copyOf(schedulers);
        this.milestones = milestones.clone();
        apply(0);
    }

    @Override
    protected double lrAt(int epoch, int group) {
        int idx = active(epoch);
        return schedulers.get(idx).lrAt(local(epoch, idx), group);
    }

    /** The active schedule sets the rates (and, for OneCycleLR, the momentum). */
    @Override
    void apply(int epoch) {
        int idx = active(epoch);
        schedulers.get(idx).apply(local(epoch, idx));
    }

    private int active(int epoch) {
        int idx = 0;
        while (idx < milestones.length && milestones[idx] <= epoch) idx++;
        return idx;
    }

    private int local(int epoch, int idx) {
        return idx == 0 ? epoch : epoch - milestones[idx - 1];
    }
}
