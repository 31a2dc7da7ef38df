package vectorgrad.nn.optim;

import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import vectorgrad.autograd.Tensor;

/**
 * Base of the optimizers: holds the parameters (each once, in the order given), in one or more
 * {@link ParamGroup}s with their own learning rate and weight decay. As in PyTorch, {@link #step()} skips
 * parameters whose gradient is null.
 */
public abstract class Optimizer {
    /** Every parameter, group after group: the numbering of {@link #stateDict()}. */
    protected final List<Tensor> params;
    /** The groups, in the order given; one group of all parameters when none were given. */
    protected final List<ParamGroup> groups;

    /** An optimizer without weight decay. */
    protected Optimizer(Iterable<? extends Tensor> parameters, double lr) {
        this(parameters, lr, 0);
    }

    /**
     * {@code parameters}: tensors, or {@link ParamGroups}, whose groups take {@code lr} and
     * {@code weightDecay} where they leave them unset.
     */
    protected Optimizer(Iterable<? extends Tensor> parameters, double lr, double weightDecay) {
        if (!(lr >= 0)) throw new IllegalArgumentException("Invalid learning rate: " + lr);
        nonNegative("weight_decay", weightDecay);
        List<ParamGroup> given =
                parameters instanceof ParamGroups pg ? pg.groups() : List.of(ParamGroup.of(parameters));
        List<Tensor> all = new ArrayList<>();
        List<ParamGroup> resolved = new ArrayList<>();
        Set<Tensor> seen = Collections.newSetFromMap(new IdentityHashMap<>());
        for (ParamGroup group : given) {
            List<Tensor> ps = new ArrayList<>();
            for (Tensor p : group.params()) {
                if (!p.requiresGrad())
                    throw new IllegalArgumentException("optimizer got a tensor that does not require grad (shape "
                            + java.util.Arrays.toString(p.shape()) + ")");
                if (!p.isLeaf())
                    throw new IllegalArgumentException(
                            "can't optimize a non-leaf Tensor (shape " + java.util.Arrays.toString(p.shape()) + ")");
                if (seen.add(p)) ps.add(p);
                else if (given.size() > 1)
                    throw new IllegalArgumentException("some parameters appear in more than one parameter group");
            }
            all.addAll(ps);
            resolved.add(group.resolved(ps, lr, weightDecay));
        }
        if (all.isEmpty()) throw new IllegalArgumentException("optimizer got an empty parameter list");
        this.params = List.copyOf(all);
        this.groups = List.copyOf(resolved);
    }

    /** The parameter groups ({@code param_groups}): setting a group's lr changes it for the next steps. */
    public List<ParamGroup> paramGroups() {
        return groups;
    }

    /**
     * Sets the learning rate a schedule computed for every group, unchecked: as in PyTorch, a schedule's
     * formula is taken as it is (OneCycleLR's linear anneal ends a hair below zero at its last step).
     */
    void scheduleLr(double lr) {
        for (ParamGroup g : groups) g.scheduleLr(lr);
    }

    /** {@code value} when it is at least 0 (not NaN); PyTorch's "Invalid <name> value" error otherwise. */
    static double nonNegative(String name, double value) {
        if (!(value >= 0)) throw new IllegalArgumentException("Invalid " + name + " value: " + value);
        return value;
    }

    /** The momentum a schedule may cycle (SGD's momentum, Adam's beta1); others have none. */
    double cycledMomentum() {
        throw new IllegalArgumentException(
                "optimizer must support momentum or beta1 with `cycle_momentum` option enabled ("
                        + getClass().getSimpleName() + " has neither)");
    }

    void setCycledMomentum(double momentum) {
        cycledMomentum();
    }

    /**
     * Takes a saved value of a hyper-parameter a schedule moves (OneCycleLR's momentum, Adam's beta1 in
     * {@code betas}) instead of requiring it to match; false for the others, which must match.
     */
    boolean restoresScheduled(String key, String saved) {
        return false;
    }

    /** Applies one update from the current gradients. */
    public abstract void step();

    /**
     * Sets every parameter's gradient to null ({@code zero_grad(set_to_none=True)}, PyTorch's default)
     * and returns the gradients' memory to the native cache at once, so a training loop allocates nothing new per
     * step. A gradient to be kept past this call must be copied first ({@code p.grad().clone()}); the old
     * tensor throws a clear error if used.
     */
    public void zeroGrad() {
        zeroGrad(true);
    }

    /** With {@code setToNone == false}, zeroes the gradients in place instead of dropping them. */
    public void zeroGrad(boolean setToNone) {
        for (Tensor p : params) {
            Tensor g = p.grad();
            if (g == null) continue;
            if (setToNone) {
                p.setGrad(null);
                g.close();
            } else {
                g.zero_();
            }
        }
    }

    public List<Tensor> parameters() {
        return params;
    }

    /** The first group's learning rate (the learning rate, with one group). */
    public double getLr() {
        return groups.get(0).lr();
    }

    /** Sets every group's learning rate for the next steps (per group: {@link ParamGroup#lr(double)}). */
    public void setLr(double lr) {
        if (!(lr >= 0)) throw new IllegalArgumentException("Invalid learning rate: " + lr);
        for (ParamGroup g : groups) g.lr(lr);
    }

    /**
     * The optimizer's state, as PyTorch's {@code optimizer.state_dict()}: {@code state} maps
     * {@code "<i>.<name>"} to the tensors of parameter {@code i} (its index in {@link #parameters()}, as
     * PyTorch numbers them), e.g. {@code "0.exp_avg"}, {@code "0.step"} (an int32 scalar);
     * {@code paramGroups} holds each group's hyper-parameters under PyTorch's names ({@code lr},
     * {@code betas}, ..., and {@code params}, the group's parameter indices as {@code "[0, 1]"}) as exact
     * decimal strings. The tensors are copies: the optimizer keeps updating its own.
     */
    public record StateDict(Map<String, Tensor> state, List<Map<String, String>> paramGroups) {
        public StateDict {
            state = Collections.unmodifiableMap(new LinkedHashMap<>(state));
            paramGroups = paramGroups.stream()
                    .map(g -> Collections.unmodifiableMap(new LinkedHashMap<>(g)))
                    .toList();
        }

        /** A state of one group (or of none: an empty {@code paramGroup} leaves the groups as they are). */
        public StateDict(Map<String, Tensor> state, Map<String, String> paramGroup) {
            this(state, paramGroup.isEmpty() ? List.of() : List.of(paramGroup));
        }

        /** The first group's hyper-parameters (empty when there are none). */
        public Map<String, String> paramGroup() {
            return paramGroups.isEmpty() ? Map.of() : paramGroups.get(0);
        }
    }

    /** A copy of the state (see {@link StateDict}); parameters that have not taken a step have none. */
    public StateDict stateDict() {
        Map<String, Tensor> state = new LinkedHashMap<>();
        for (int i = 0; i < params.size(); i++) {
            for (Map.Entry<String, Tensor> e : parameterState(params.get(i)).entrySet()) {
                state.put(i + "." + e.getKey(), e.getValue());
            }
        }
        List<Map<String, String>> groupMaps = new ArrayList<>();
        int first = 0;
        for (ParamGroup g : groups) {
            Map<String, String> m = new LinkedHashMap<>();
            m.put("lr", Double.toString(g.lr()));
            m.putAll(hyperParameters());
            m.put("weight_decay", Double.toString(g.weightDecay()));
            StringBuilder indices = new StringBuilder("[");
            for (int i = 0; i < g.params().size(); i++)
                indices.append(i == 0 ? "" : ", ").append(first + i);
            m.put("params", indices.append(']').toString());
            first += g.params().size();
            groupMaps.add(m);
        }
        return new StateDict(state, groupMaps);
    }

    /**
     * Restores a state from {@link #stateDict()} (of an optimizer of the same kind over parameters of the
     * same shapes, in the same order and groups): the per-parameter state (copied) and each group's
     * learning rate and weight decay. Other hyper-parameters must match; a mismatch is an
     * {@link IllegalArgumentException} naming it.
     */
    public void loadStateDict(StateDict dict) {
        List<Map<String, String>> saved = dict.paramGroups();
        if (!saved.isEmpty() && saved.size() != groups.size()) {
            throw new IllegalArgumentException("loadStateDict: the state has " + saved.size()
                    + " parameter groups, this optimizer " + groups.size());
        }
        Map<String, String> ours = hyperParameters();
        for (int gi = 0; gi < saved.size(); gi++) {
            Map<String, String> group = saved.get(gi);
            for (Map.Entry<String, String> e : ours.entrySet()) {
                if (e.getKey().equals("weight_decay")) continue; // a group's own
                String theirs = group.get(e.getKey());
                if (theirs == null || theirs.equals(e.getValue()) || restoresScheduled(e.getKey(), theirs)) continue;
                throw new IllegalArgumentException("loadStateDict: " + e.getKey() + " is " + e.getValue() + " here but "
                        + theirs + " in the state");
            }
            String count = group.get("params");
            int size = groups.get(gi).params().size();
            if (count != null && (count.equals("[]") ? 0 : count.split(",").length) != size) {
                throw new IllegalArgumentException("loadStateDict: parameter group " + gi + " holds " + size
                        + " parameter(s) here but " + count + " in the state");
            }
        }
        Map<Integer, Map<String, Tensor>> byParam = new TreeMap<>();
        for (Map.Entry<String, Tensor> e : dict.state().entrySet()) {
            String k = e.getKey();
            int dot = k.indexOf('.');
            int index;
            try {
                index = dot < 0 ? -1 : Integer.parseInt(k.substring(0, dot));
            } catch (NumberFormatException ex) {
                index = -1;
            }
            if (index < 0 || index >= params.size()) {
                throw new IllegalArgumentException("loadStateDict: state key \"" + k + "\" does not name one of the "
                        + params.size() + " parameters");
            }
            byParam.computeIfAbsent(index, i -> new LinkedHashMap<>()).put(k.substring(dot + 1), e.getValue());
        }
        for (Map.Entry<Integer, Map<String, Tensor>> e : byParam.entrySet()) {
            try {
                loadParameterState(params.get(e.getKey()), e.getValue());
            } catch (IllegalArgumentException ex) {
                throw new IllegalArgumentException(
                        "loadStateDict: parameter " + e.getKey() + ": " + ex.getMessage(), ex);
            }
        }
        for (int gi = 0; gi < saved.size(); gi++) {
            Map<String, String> group = saved.get(gi);
            if (group.containsKey("lr")) groups.get(gi).lr(Double.parseDouble(group.get("lr")));
            if (group.containsKey("weight_decay"))
                groups.get(gi).weightDecay(Double.parseDouble(group.get("weight_decay")));
        }
    }

    /** Copies of the state of {@code p} by PyTorch's names (empty before its first step). */
    protected abstract Map<String, Tensor> parameterState(Tensor p);

    /** Replaces the state of {@code p} with copies of {@code state} (names as {@link #parameterState}). */
    protected abstract void loadParameterState(Tensor p, Map<String, Tensor> state);

    /** The hyper-parameters other than {@code lr}, under PyTorch's names, as exact decimal strings. */
    protected abstract Map<String, String> hyperParameters();

    /** An int32 scalar holding a step count (PyTorch keeps it as a tensor too). */
    static Tensor stepTensor(long step) {
        if (step > Integer.MAX_VALUE)
            throw new IllegalStateException("step count " + step + " does not fit the state's int32");
        return Tensor.ofInts(new int[] {(int) step});
    }

    static long stepOf(Map<String, Tensor> state) {
        Tensor t = state.get("step");
        if (t == null) throw new IllegalArgumentException("missing \"step\"");
        if (t.numel() != 1)
            throw new IllegalArgumentException(
                    "\"step\" must hold one value, got shape " + java.util.Arrays.toString(t.shape()));
        return t.dtype() == vectorgrad.autograd.DType.INT32 ? t.toIntArray()[0] : (long) t.item();
    }

    /** {@code p}'s gradient for a step: null when it has none (skipped, as PyTorch), checked against its shape. */
    static Tensor gradToApply(Tensor p) {
        Tensor g = p.grad();
        if (g != null && !java.util.Arrays.equals(g.shape(), p.shape())) {
            throw new IllegalStateException("gradient shape " + java.util.Arrays.toString(g.shape())
                    + " does not match parameter shape " + java.util.Arrays.toString(p.shape()));
        }
        return g;
    }
}
