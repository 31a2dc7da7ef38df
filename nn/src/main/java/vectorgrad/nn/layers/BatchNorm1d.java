package vectorgrad.nn.layers;

import vectorgrad.autograd.Tensor;

/**
 * Batch normalisation over {@code [N, C]} or {@code [N, C, L]} input, per channel C, as
 * {@code nn.BatchNorm1d(num_features, eps=1e-5, momentum=0.1, affine=True, track_running_stats=True)};
 * see {@link AbstractBatchNorm} for parameters, buffers and modes.
 */
public class BatchNorm1d extends AbstractBatchNorm {
    public BatchNorm1d(int numFeatures) {
        this(numFeatures, 1e-5, 0.1, true, true);
    }

    /** {@code momentum} null: cumulative moving average. */
    public BatchNorm1d(int numFeatures, double eps, Double momentum, boolean affine, boolean trackRunningStats) {
        super(numFeatures, eps, momentum, affine, trackRunningStats);
    }

    @Override
    protected void checkInputDim(Tensor x) {
        if (x.dim() != 2 && x.dim() != 3)
            throw new IllegalArgumentException("expected 2D or 3D input (got " + x.dim() + "D input)");
    }
}
