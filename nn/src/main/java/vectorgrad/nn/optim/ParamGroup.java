package vectorgrad.nn.optim;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import vectorgrad.autograd.Tensor;

/**
 * A set of parameters with its own learning rate and weight decay, as one of PyTorch's
 * {@code optimizer.param_groups}. Give groups to any optimizer through {@link ParamGroups}: an option a
 * group leaves unset takes the optimizer's value (the constructor's argument), as PyTorch's defaults do.
 * <pre>{@code
 * var opt = new AdamW(ParamGroups.of(
 *         ParamGroup.of(decayed),                       // lr and weight decay of the optimizer
 *         ParamGroup.of(biasesAndNorms).weightDecay(0)), // no decay for these
 *     1e-3);
 * }</pre>
 * The optimizer holds groups of its own ({@link Optimizer#paramGroups()}), in the order given; setting
 * {@link #lr(double)} on one of those changes that group's learning rate for the next steps, as editing
 * {@code param_groups[i]['lr']} does. Other hyper-parameters (betas, momentum, ...) are the optimizer's.
 */
public final class ParamGroup {
    private final List<Tensor> params;
    private volatile double lr; // NaN: unset; volatile: a schedule or another thread may change it
    private volatile double weightDecay; // NaN: unset
    /** The learning rate when the first schedule was made on the optimizer (PyTorch's initial_lr); NaN before. */
    double initialLr = Double.NaN;

    private ParamGroup(List<Tensor> params, double lr, double weightDecay) {
        this.params = params;
        this.lr = lr;
        this.weightDecay = weightDecay;
    }

    /** A group of {@code params} with the optimizer's learning rate and weight decay. */
    public static ParamGroup of(Iterable<? extends Tensor> params) {
        List<Tensor> ps = new ArrayList<>();
        for (Tensor p : params) ps.add(p);
        return new ParamGroup(Collections.unmodifiableList(ps), Double.NaN, Double.NaN);
    }

    /** A group of {@code params} with the optimizer's learning rate and weight decay. */
    public static ParamGroup of(Tensor... params) {
        return of(List.of(params));
    }

    /** Sets this group's learning rate; returns this group. */
    public ParamGroup lr(double lr) {
        if (!(lr >= 0)) throw new IllegalArgumentException("Invalid learning rate: " + lr);
        this.lr = lr;
        return this;
    }

    /** Sets this group's weight decay (for the next steps, in an optimizer's group); returns this group. */
    public ParamGroup weightDecay(double weightDecay) {
        if (!(weightDecay >= 0)) throw new IllegalArgumentException("Invalid weight_decay value: " + weightDecay);
        this.weightDecay = weightDecay;
        return this;
    }

    /** The group's parameters, in the order given. */
    public List<Tensor> params() {
        return params;
    }

    /** The learning rate (NaN in a group not given to an optimizer yet that left it unset). */
    public double lr() {
        return lr;
    }

    /** The weight decay (NaN in a group not given to an optimizer yet that left it unset). */
    public double weightDecay() {
        return weightDecay;
    }

    /** A schedule's value, unchecked (see {@link Optimizer#scheduleLr}). */
    void scheduleLr(double lr) {
        if (Double.isNaN(lr)) throw new IllegalStateException("the schedule computed a NaN learning rate");
        this.lr = lr;
    }

    /** This group as an optimizer holds it: {@code params} checked, unset options from the optimizer. */
    ParamGroup resolved(List<Tensor> params, double defaultLr, double defaultWeightDecay) {
        return new ParamGroup(
                List.copyOf(params),
                Double.isNaN(lr) ? defaultLr : lr,
                Double.isNaN(weightDecay) ? defaultWeightDecay : weightDecay);
    }

    @Override
    public String toString() {
        return "ParamGroup(lr=" + lr + ", weight_decay=" + weightDecay + ", " + params.size() + " parameters)";
    }
}
