package vectorgrad.nn.optim;

import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Set;
import vectorgrad.autograd.Tensor;

/**
 * Base of the optimizers: holds the parameters (each once, in the order given) and the learning rate.
 * As in PyTorch, {@link #step()} skips parameters whose gradient is null.
 */
public abstract class Optimizer {
    protected final List<Tensor> params;
    protected volatile double lr; // volatile: may be changed from another thread while a TrainingRun is paused

    protected Optimizer(Iterable<? extends Tensor> parameters, double lr) {
        if (!(lr >= 0)) throw new IllegalArgumentException("Invalid learning rate: " + lr);
        List<Tensor> ps = new ArrayList<>();
        Set<Tensor> seen = Collections.newSetFromMap(new IdentityHashMap<>());
        for (Tensor p : parameters) {
            if (!p.requiresGrad()) throw new IllegalArgumentException("optimizer got a tensor that does not require grad (shape " + java.util.Arrays.toString(p.shape()) + ")");
            if (!p.isLeaf()) throw new IllegalArgumentException("can't optimize a non-leaf Tensor (shape " + java.util.Arrays.toString(p.shape()) + ")");
            if (seen.add(p)) ps.add(p);
        }
        if (ps.isEmpty()) throw new IllegalArgumentException("optimizer got an empty parameter list");
        this.params = List.copyOf(ps);
        this.lr = lr;
    }

    /** Applies one update from the current gradients. */
    public abstract void step();

    /**
     * Sets every parameter's gradient to null ({@code zero_grad(set_to_none=True)}, PyTorch's default)
     * and returns the gradients' memory to the pool at once, so a training loop allocates nothing new per
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

    public double getLr() {
        return lr;
    }

    /** Changes the learning rate for the next steps (as editing {@code param_groups[0]['lr']}). */
    public void setLr(double lr) {
        if (!(lr >= 0)) throw new IllegalArgumentException("Invalid learning rate: " + lr);
        this.lr = lr;
    }

    static void requireGradShape(Tensor p) {
        if (!java.util.Arrays.equals(p.grad().shape(), p.shape())) {
            throw new IllegalStateException("gradient shape " + java.util.Arrays.toString(p.grad().shape())
                    + " does not match parameter shape " + java.util.Arrays.toString(p.shape()));
        }
    }
}
