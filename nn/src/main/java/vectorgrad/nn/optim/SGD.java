package vectorgrad.nn.optim;

import java.util.IdentityHashMap;
import java.util.Map;
import vectorgrad.autograd.MemoryScope;
import vectorgrad.autograd.Tensor;
import vectorgrad.autograd.internal.OptimizerSteps;

/**
 * Stochastic gradient descent, exactly as {@code torch.optim.SGD}.
 *
 * <h2>Contract</h2>
 * Defaults: {@code lr = 1e-3}, {@code momentum = 0}, {@code dampening = 0}, {@code nesterov = false},
 * {@code weightDecay = 0}. With momentum the buffer starts as the first gradient, then
 * {@code buf ← momentum·buf + (1-dampening)·g}; nesterov uses {@code g + momentum·buf}. Nesterov needs
 * momentum > 0 and dampening = 0.
 */
public final class SGD extends Optimizer {
    private final double dampening, weightDecay;
    private volatile double momentum; // OneCycleLR cycles it
    private final boolean nesterov;
    private final Map<Tensor, Tensor> momentumBuffers = new IdentityHashMap<>();

    public SGD(Iterable<? extends Tensor> params) {
        this(params, 1e-3);
    }

    public SGD(Iterable<? extends Tensor> params, double lr) {
        this(params, lr, 0, 0, 0, false);
    }

    public SGD(
            Iterable<? extends Tensor> params,
            double lr,
            double momentum,
            double dampening,
            double weightDecay,
            boolean nesterov) {
        super(params, lr, weightDecay);
        nonNegative("momentum", momentum);
        if (nesterov && (momentum <= 0 || dampening != 0))
            throw new IllegalArgumentException("Nesterov momentum requires a momentum and zero dampening");
        this.momentum = momentum;
        this.dampening = dampening;
        this.weightDecay = weightDecay;
        this.nesterov = nesterov;
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
            Tensor buf = null;
            boolean first = false;
            if (momentum != 0) {
                buf = momentumBuffers.get(p);
                if (buf == null) {
                    buf = MemoryScope.outside(() -> Tensor.zeros(p.shape()));
                    momentumBuffers.put(p, buf);
                    first = true;
                }
            }
            OptimizerSteps.sgd(p, g, buf, first, lr, momentum, dampening, nesterov, weightDecay);
        }
    }

    @Override
    protected Map<String, Tensor> parameterState(Tensor p) {
        Tensor buf = momentumBuffers.get(p);
        Map<String, Tensor> m = new java.util.LinkedHashMap<>();
        if (buf != null)
            m.put("momentum_buffer", MemoryScope.outside(() -> buf.clone().detach()));
        return m;
    }

    @Override
    protected void loadParameterState(Tensor p, Map<String, Tensor> st) {
        Tensor buf = st.get("momentum_buffer");
        if (buf == null) return;
        if (!java.util.Arrays.equals(buf.shape(), p.shape())) {
            throw new IllegalArgumentException("momentum_buffer of shape " + java.util.Arrays.toString(buf.shape())
                    + " for a parameter of shape " + java.util.Arrays.toString(p.shape()));
        }
        Tensor copy = MemoryScope.outside(() -> buf.clone().detach());
        Tensor old = momentumBuffers.put(p, copy);
        if (old != null) old.close();
    }

    @Override
    protected Map<String, String> hyperParameters() {
        return Map.of(
                "momentum",
                Double.toString(momentum),
                "dampening",
                Double.toString(dampening),
                "weight_decay",
                Double.toString(weightDecay),
                "nesterov",
                Boolean.toString(nesterov));
    }

    @Override
    double cycledMomentum() {
        return momentum;
    }

    @Override
    void setCycledMomentum(double m) {
        momentum = m;
    }

    /** A saved momentum is taken when both are non-zero (OneCycleLR moves it; zero or not changes the state kept). */
    @Override
    boolean restoresScheduled(String key, String saved) {
        if (!key.equals("momentum")) return false;
        double m = Double.parseDouble(saved);
        if ((m == 0) != (momentum == 0)) return false;
        momentum = m;
        return true;
    }

    /** The momentum buffer of {@code p}, or null. */
    public Tensor momentumBuffer(Tensor p) {
        return momentumBuffers.get(p);
    }
}
