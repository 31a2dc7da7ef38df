package vectorgrad.nn.optim;

import java.util.Map;

/**
 * Base of the learning-rate schedules, as {@code torch.optim.lr_scheduler}: a schedule reads the optimizer's
 * learning rate when the first schedule on it is made (PyTorch's {@code initial_lr}), and sets a new one at each
 * {@link #step()} — call it once per epoch (or per batch, as the schedule is meant), after
 * {@code optimizer.step()}.
 *
 * <p>Each subclass gives the learning rate at epoch {@code e} in closed form; PyTorch computes most of them
 * recursively, which agrees to rounding (the parity test compares 40 steps of each at a relative 1e-9).
 */
public abstract class LRScheduler {
    protected final Optimizer optimizer;
    /** The optimizer's learning rate when the schedule was made ({@code base_lr}). */
    protected final double baseLr;

    private int lastEpoch;

    protected LRScheduler(Optimizer optimizer) {
        this.optimizer = optimizer;
        // the first schedule made on an optimizer records its learning rate; later ones (chained by
        // SequentialLR) start from the same value, as PyTorch's param_group['initial_lr']
        if (Double.isNaN(optimizer.initialLr)) optimizer.initialLr = optimizer.getLr();
        this.baseLr = optimizer.initialLr;
    }

    /** The learning rate at epoch {@code epoch} (0: the learning rate the schedule started from). */
    protected abstract double lrAt(int epoch);

    /** Advances one epoch and sets the optimizer's learning rate. */
    public void step() {
        lastEpoch++;
        optimizer.scheduleLr(lrAt(lastEpoch));
    }

    /** The learning rate the last {@link #step()} set ({@code get_last_lr()}). */
    public double getLastLr() {
        return optimizer.getLr();
    }

    /** Steps taken ({@code last_epoch}). */
    public int lastEpoch() {
        return lastEpoch;
    }

    /** The schedule's position, to save with a checkpoint ({@code state_dict()}). */
    public Map<String, String> stateDict() {
        return Map.of("last_epoch", Integer.toString(lastEpoch), "base_lr", Double.toString(baseLr));
    }

    /** Restores a position from {@link #stateDict()} and sets the optimizer's learning rate for it. */
    public void loadStateDict(Map<String, String> state) {
        String e = state.get("last_epoch");
        if (e == null) throw new IllegalArgumentException("loadStateDict: the state has no last_epoch");
        lastEpoch = Integer.parseInt(e);
        optimizer.scheduleLr(lrAt(lastEpoch));
    }
}
