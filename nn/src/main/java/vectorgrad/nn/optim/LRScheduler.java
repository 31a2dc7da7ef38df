package vectorgrad.nn.optim;

import java.util.Arrays;
import java.util.List;
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
    /** Each group's learning rate when the first schedule was made on the optimizer ({@code base_lrs}). */
    protected final double[] baseLrs;

    private int lastEpoch;

    protected LRScheduler(Optimizer optimizer) {
        this.optimizer = optimizer;
        // the first schedule made on an optimizer records its groups' learning rates; later ones (chained by
        // SequentialLR) start from the same values, as PyTorch's param_group['initial_lr']
        List<ParamGroup> groups = optimizer.paramGroups();
        baseLrs = new double[groups.size()];
        for (int i = 0; i < baseLrs.length; i++) {
            ParamGroup g = groups.get(i);
            if (Double.isNaN(g.initialLr)) g.initialLr = g.lr();
            baseLrs[i] = g.initialLr;
        }
    }

    /**
     * The learning rate of parameter group {@code group} (which started from {@code baseLrs[group]}) at
     * epoch {@code epoch} (0: the learning rate the schedule starts from).
     */
    protected abstract double lrAt(int epoch, int group);

    /** Sets every group's learning rate for epoch {@code epoch}. */
    void apply(int epoch) {
        List<ParamGroup> groups = optimizer.paramGroups();
        for (int i = 0; i < baseLrs.length; i++) groups.get(i).scheduleLr(lrAt(epoch, i));
    }

    /** Advances one epoch and sets the optimizer's learning rates. */
    public void step() {
        lastEpoch++;
        apply(lastEpoch);
    }

    /** The first group's learning rate the last {@link #step()} set ({@code get_last_lr()[0]}). */
    public double getLastLr() {
        return optimizer.getLr();
    }

    /** Every group's learning rate the last {@link #step()} set ({@code get_last_lr()}). */
    public double[] getLastLrs() {
        return optimizer.paramGroups().stream().mapToDouble(ParamGroup::lr).toArray();
    }

    /** Steps taken ({@code last_epoch}). */
    public int lastEpoch() {
        return lastEpoch;
    }

    /** The schedule's position, to save with a checkpoint ({@code state_dict()}). */
    public Map<String, String> stateDict() {
        return Map.of("last_epoch", Integer.toString(lastEpoch), "base_lrs", Arrays.toString(baseLrs));
    }

    /** Restores a position from {@link #stateDict()} and sets the optimizer's learning rates for it. */
    public void loadStateDict(Map<String, String> state) {
        String e = state.get("last_epoch");
        if (e == null) throw new IllegalArgumentException("loadStateDict: the state has no last_epoch");
        lastEpoch = Integer.parseInt(e);
        apply(lastEpoch);
    }
}
