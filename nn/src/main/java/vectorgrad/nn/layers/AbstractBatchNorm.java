package vectorgrad.nn.layers;

import java.util.Locale;
import vectorgrad.autograd.Tensor;
import vectorgrad.nn.Functional;
import vectorgrad.nn.Layer;
import vectorgrad.nn.Parameter;

/**
 * What {@link BatchNorm1d} and {@link BatchNorm2d} share, as PyTorch's {@code _BatchNorm}:
 * {@code (num_features, eps=1e-5, momentum=0.1, affine=True, track_running_stats=True)}.
 *
 * <ul>
 *   <li><b>Parameters:</b> {@code weight} (ones) and {@code bias} (zeros), {@code [C]}, when affine.</li>
 *   <li><b>Buffers</b> (in the state dict, PyTorch's names): {@code running_mean} (zeros),
 *       {@code running_var} (ones), {@code num_batches_tracked} (int32 0), when tracking.</li>
 *   <li><b>Training:</b> normalises by the batch's mean and biased variance, then moves the running
 *       statistics by {@code momentum} toward the batch's mean and <i>unbiased</i> variance; a null momentum
 *       gives the cumulative average ({@code 1/num_batches_tracked}). <b>Eval:</b> normalises by the running
 *       statistics (by the batch's when not tracking).</li>
 * </ul>
 */
public abstract class AbstractBatchNorm extends Layer {
    public final Parameter weight;
    public final Parameter bias;
    private final int numFeatures;
    private final double eps;
    private final Double momentum;
    private final boolean tracking;

    protected AbstractBatchNorm(
            int numFeatures, double eps, Double momentum, boolean affine, boolean trackRunningStats) {
        if (numFeatures <= 0)
            throw new IllegalArgumentException(
                    getClass().getSimpleName() + ": num_features must be positive, got " + numFeatures);
        this.numFeatures = numFeatures;
        this.eps = eps;
        this.momentum = momentum;
        this.tracking = trackRunningStats;
        this.weight = affine ? new Parameter(Tensor.ones(numFeatures)) : null;
        this.bias = affine ? new Parameter(Tensor.zeros(numFeatures)) : null;
        if (trackRunningStats) {
            registerBuffer("running_mean", Tensor.zeros(numFeatures));
            registerBuffer("running_var", Tensor.ones(numFeatures));
            registerBuffer("num_batches_tracked", Tensor.ofInts(new int[] {0}));
        }
    }

    /** Throws PyTorch's message when the input's rank does not suit this layer. */
    protected abstract void checkInputDim(Tensor x);

    @Override
    public Tensor forward(Tensor x) {
        return apply(x, false, null);
    }

    /**
     * {@code relu(forward(x))} as one op ({@link Functional#batchNormRelu}): what {@link vectorgrad.nn.Sequential}
     * runs for this layer followed by a {@link ReLU}. In a subclass other than {@link BatchNorm1d} and
     * {@link BatchNorm2d} (whose forward may differ) the two ops run one after the other.
     */
    public Tensor forwardRelu(Tensor x) {
        if (!fusable()) return forward(x).relu();
        return apply(x, true, null);
    }

    /**
     * {@code relu(forward(x) + residual)} as one op ({@link Functional#batchNormAddRelu}; residual of x's
     * shape): a residual block's last batch norm, shortcut and ReLU. In a subclass other than
     * {@link BatchNorm1d} and {@link BatchNorm2d} the three ops run one after the other.
     */
    public Tensor forwardAddRelu(Tensor x, Tensor residual) {
        if (residual == null) throw new IllegalArgumentException(getClass().getSimpleName() + ": the residual is null");
        if (!java.util.Arrays.equals(residual.shape(), x.shape())) {
            throw new IllegalArgumentException(getClass().getSimpleName() + ": residual of shape "
                    + java.util.Arrays.toString(residual.shape()) + " does not match input "
                    + java.util.Arrays.toString(x.shape()));
        }
        if (!fusable()) return forward(x).add(residual).relu();
        return apply(x, true, residual);
    }

    /** Whether this layer's forward is the one the fused ops compute: not a subclass's, which may differ. */
    private boolean fusable() {
        return getClass() == BatchNorm1d.class || getClass() == BatchNorm2d.class;
    }

    private Tensor apply(Tensor x, boolean relu, Tensor residual) {
        checkInputDim(x);
        if (x.size(1) != numFeatures) {
            throw new IllegalArgumentException(getClass().getSimpleName() + "(" + numFeatures
                    + "): expected input with " + numFeatures + " channels in dimension 1, got input of shape "
                    + java.util.Arrays.toString(x.shape()));
        }
        double factor = momentum == null ? 0 : momentum;
        if (isTraining() && tracking) {
            Tensor count = getBuffer("num_batches_tracked");
            try (var ignored = Tensor.noGrad()) {
                count.fill_(count.item() + 1); // an int32 scalar: no temporaries
            }
            if (momentum == null) factor = 1.0 / count.item();
        }
        boolean useBatch = isTraining() || !tracking;
        Tensor rm = !isTraining() || tracking ? runningMean() : null;
        Tensor rv = !isTraining() || tracking ? runningVar() : null;
        if (residual != null)
            return Functional.batchNormAddRelu(x, residual, rm, rv, weight, bias, useBatch, factor, eps);
        return relu
                ? Functional.batchNormRelu(x, rm, rv, weight, bias, useBatch, factor, eps)
                : Functional.batchNorm(x, rm, rv, weight, bias, useBatch, factor, eps);
    }

    /** The running mean buffer (null when not tracking). */
    public Tensor runningMean() {
        return tracking ? getBuffer("running_mean") : null;
    }

    /** The running variance buffer (null when not tracking). */
    public Tensor runningVar() {
        return tracking ? getBuffer("running_var") : null;
    }

    /** Sets the running statistics back to mean 0, variance 1 and the batch count to 0. */
    public void resetRunningStats() {
        if (!tracking) return;
        try (var ignored = Tensor.noGrad()) {
            runningMean().fill_(0);
            runningVar().fill_(1);
            getBuffer("num_batches_tracked").fill_(0);
        }
    }

    @Override
    protected String extraRepr() {
        return numFeatures + ", eps=" + pyFloat(eps) + ", momentum=" + (momentum == null ? "None" : pyFloat(momentum))
                + ", affine=" + (weight != null ? "True" : "False") + ", track_running_stats="
                + (tracking ? "True" : "False");
    }

    /** Python's repr of a float for the common cases: {@code 1e-05}, {@code 0.1}. */
    static String pyFloat(double v) {
        if (v != 0 && Math.abs(v) < 1e-4) return String.format(Locale.ROOT, "%.0e", v);
        return Double.toString(v);
    }
}
