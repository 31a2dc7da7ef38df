package vectorgrad.nn.optim;

import java.util.Arrays;
import java.util.IdentityHashMap;
import java.util.Map;
import vectorgrad.autograd.MemoryScope;
import vectorgrad.autograd.Tensor;
import vectorgrad.autograd.internal.OptimizerSteps;

/**
 * Adam, exactly as {@code torch.optim.Adam} (single-tensor CPU path).
 *
 * <h2>Contract</h2>
 * <ul>
 *   <li>Defaults: {@code lr = 1e-3}, {@code betas = (0.9, 0.999)}, {@code eps = 1e-8},
 *       {@code weightDecay = 0} (L2, added to the gradient), {@code amsgrad = false}.</li>
 *   <li>Per parameter, state {@code step}, {@code exp_avg}, {@code exp_avg_sq} (and
 *       {@code max_exp_avg_sq} with amsgrad), created at its first step.</li>
 *   <li>Update: {@code m ← lerp(m, g, 1-β1)}, {@code v ← β2·v + (1-β2)·g²},
 *       {@code p ← p - lr/(1-β1^t) · m / (√v / √(1-β2^t) + eps)}: eps is added <i>after</i> the bias
 *       correction, as PyTorch does. Bias corrections are computed in double.</li>
 * </ul>
 */
public sealed class Adam extends Optimizer permits AdamW {
    private final double beta2, eps, weightDecay;
    private volatile double beta1; // OneCycleLR cycles it
    private final boolean amsgrad;
    /** AdamW: weight decay scales the parameter before the update instead of adding to the gradient. */
    private final boolean decoupled;

    private final Map<Tensor, State> state = new IdentityHashMap<>();

    /** Per-parameter state, as PyTorch's {@code optimizer.state[p]}. */
    public static final class State {
        public long step;
        public final Tensor expAvg, expAvgSq, maxExpAvgSq;

        State(Tensor expAvg, Tensor expAvgSq, Tensor maxExpAvgSq) {
            this.expAvg = expAvg;
            this.expAvgSq = expAvgSq;
            this.maxExpAvgSq = maxExpAvgSq;
        }
    }

    public Adam(Iterable<? extends Tensor> params) {
        this(params, 1e-3);
    }

    public Adam(Iterable<? extends Tensor> params, double lr) {
        this(params, lr, 0.9, 0.999, 1e-8, 0, false);
    }

    public Adam(
            Iterable<? extends Tensor> params,
            double lr,
            double beta1,
            double beta2,
            double eps,
            double weightDecay,
            boolean amsgrad) {
        this(params, lr, beta1, beta2, eps, weightDecay, amsgrad, false);
    }

    Adam(
            Iterable<? extends Tensor> params,
            double lr,
            double beta1,
            double beta2,
            double eps,
            double weightDecay,
            boolean amsgrad,
            boolean decoupled) {
        super(params, lr, weightDecay);
        this.decoupled = decoupled;
        nonNegative("epsilon", eps);
        if (!(beta1 >= 0 && beta1 < 1))
            throw new IllegalArgumentException("Invalid beta parameter at index 0: " + beta1);
        if (!(beta2 >= 0 && beta2 < 1))
            throw new IllegalArgumentException("Invalid beta parameter at index 1: " + beta2);
        nonNegative("weight_decay", weightDecay);
        this.beta1 = beta1;
        this.beta2 = beta2;
        this.eps = eps;
        this.weightDecay = weightDecay;
        this.amsgrad = amsgrad;
    }

    @Override
    public void step() {
        for (ParamGroup group : groups) {
            double lr = group.lr(), weightDecay = group.weightDecay();
            for (Tensor p : group.params()) step(p, lr, weightDecay);
        }
    }

    private void step(Tensor p, double lr, double weightDecay) {
        {
            Tensor g = gradToApply(p);
            if (g == null) return;
            State s = state.computeIfAbsent(
                    p,
                    k -> MemoryScope.outside(() -> new State(
                            Tensor.zeros(k.shape()),
                            Tensor.zeros(k.shape()),
                            amsgrad ? Tensor.zeros(k.shape()) : null)));
            if (!Arrays.equals(s.expAvg.shape(), p.shape())) {
                throw new IllegalStateException("Adam state of shape " + Arrays.toString(s.expAvg.shape())
                        + " does not match parameter shape " + Arrays.toString(p.shape())
                        + " (was the parameter's data replaced with another shape?)");
            }
            s.step++;
            double bc1 = 1 - Math.pow(beta1, s.step);
            double bc2 = 1 - Math.pow(beta2, s.step);
            double stepSize = lr / bc1;
            if (decoupled) {
                if (weightDecay != 0) OptimizerSteps.scale(p, 1 - lr * weightDecay);
                OptimizerSteps.adam(p, g, s.expAvg, s.expAvgSq, s.maxExpAvgSq, beta1, beta2, eps, 0, stepSize, bc2);
            } else {
                OptimizerSteps.adam(
                        p, g, s.expAvg, s.expAvgSq, s.maxExpAvgSq, beta1, beta2, eps, weightDecay, stepSize, bc2);
            }
        }
    }

    /**
     * Restores the state of {@code p} (from a checkpoint): its step count and copies of the moments.
     * {@code maxExpAvgSq} is required with amsgrad and ignored without.
     */
    public void setState(Tensor p, long step, Tensor expAvg, Tensor expAvgSq, Tensor maxExpAvgSq) {
        if (!params.contains(p))
            throw new IllegalArgumentException(
                    "not a parameter of this optimizer (shape " + Arrays.toString(p.shape()) + ")");
        for (Tensor t : new Tensor[] {expAvg, expAvgSq, amsgrad ? maxExpAvgSq : expAvg}) {
            if (t == null || !Arrays.equals(t.shape(), p.shape())) {
                throw new IllegalArgumentException("Adam state for a parameter of shape " + Arrays.toString(p.shape())
                        + " has shape " + (t == null ? "null" : Arrays.toString(t.shape())));
            }
        }
        if (step < 0) throw new IllegalArgumentException("Adam step must be >= 0, got " + step);
        State s = MemoryScope.outside(() -> new State(
                expAvg.clone().detach(),
                expAvgSq.clone().detach(),
                amsgrad ? maxExpAvgSq.clone().detach() : null));
        s.step = step;
        State old = state.put(p, s);
        if (old != null) {
            old.expAvg.close();
            old.expAvgSq.close();
            if (old.maxExpAvgSq != null) old.maxExpAvgSq.close();
        }
    }

    @Override
    protected Map<String, Tensor> parameterState(Tensor p) {
        State s = state.get(p);
        Map<String, Tensor> m = new java.util.LinkedHashMap<>();
        if (s == null) return m;
        return MemoryScope.outside(() -> {
            m.put("step", stepTensor(s.step));
            m.put("exp_avg", s.expAvg.clone().detach());
            m.put("exp_avg_sq", s.expAvgSq.clone().detach());
            if (s.maxExpAvgSq != null)
                m.put("max_exp_avg_sq", s.maxExpAvgSq.clone().detach());
            return m;
        });
    }

    @Override
    protected void loadParameterState(Tensor p, Map<String, Tensor> st) {
        setState(p, stepOf(st), st.get("exp_avg"), st.get("exp_avg_sq"), st.get("max_exp_avg_sq"));
    }

    @Override
    protected Map<String, String> hyperParameters() {
        return Map.of(
                "betas",
                "(" + beta1 + ", " + beta2 + ")",
                "eps",
                Double.toString(eps),
                "weight_decay",
                Double.toString(weightDecay),
                "amsgrad",
                Boolean.toString(amsgrad));
    }

    /** The state of {@code p}, or null before its first step. */
    public State state(Tensor p) {
        return state.get(p);
    }

    /** As PyTorch prints an optimizer: its hyper-parameters. */
    @Override
    public String toString() {
        return String.format(
                java.util.Locale.ROOT,
                (decoupled ? "AdamW" : "Adam")
                        + "(lr=%s, betas=(%s, %s), eps=%s, weight_decay=%s, amsgrad=%s, %d parameters"
                        + (groups.size() > 1 ? " in " + groups.size() + " groups)" : ")"),
                getLr(),
                beta1,
                beta2,
                eps,
                weightDecay,
                amsgrad,
                params.size());
    }

    @Override
    double cycledMomentum() {
        return beta1;
    }

    @Override
    void setCycledMomentum(double m) {
        beta1 = m;
    }

    /** A saved beta1 is taken (OneCycleLR moves it) when beta2 matches. */
    @Override
    boolean restoresScheduled(String key, String saved) {
        if (!key.equals("betas")) return false;
        java.util.regex.Matcher m =
                java.util.regex.Pattern.compile("\\(([^,]+), ([^)]+)\\)").matcher(saved);
        if (!m.matches() || !m.group(2).equals(Double.toString(beta2))) return false;
        beta1 = Double.parseDouble(m.group(1));
        return true;
    }

    public double beta1() {
        return beta1;
    }

    public double beta2() {
        return beta2;
    }

    public double eps() {
        return eps;
    }

    public double weightDecay() {
        return weightDecay;
    }

    public boolean amsgrad() {
        return amsgrad;
    }
}
