package vectorgrad.nn.data;

import java.util.Arrays;
import vectorgrad.autograd.MemoryScope;
import vectorgrad.autograd.Tensor;

/**
 * Examples as rows of tensors, as {@code torch.utils.data.TensorDataset(inputs, targets)}: example
 * {@code i} is {@code (inputs[i], targets[i])}. A {@link DataLoader} gathers a batch's rows from each
 * tensor in one copy. The tensors are held, not copied; targets may be float32 (regression) or int32
 * (classes).
 */
public final class TensorDataset implements Dataset<Sample>, RowBatches {
    private final Tensor inputs, targets;

    public TensorDataset(Tensor inputs, Tensor targets) {
        if (inputs.dim() == 0 || targets.dim() == 0 || inputs.size(0) != targets.size(0)) {
            throw new IllegalArgumentException(
                    "Size mismatch between tensors: inputs " + Arrays.toString(inputs.shape()) + " and targets "
                            + Arrays.toString(targets.shape()) + " must have the same first dimension");
        }
        this.inputs = inputs.detach();
        this.targets = targets.detach();
    }

    public Tensor inputs() {
        return inputs;
    }

    public Tensor targets() {
        return targets;
    }

    @Override
    public int size() {
        return inputs.size(0);
    }

    @Override
    public Sample get(int index) {
        return MemoryScope.outside(() -> rows(new int[] {index}).squeezeFirst());
    }

    @Override
    public Sample rows(int[] indices) {
        return MemoryScope.outside(() -> {
            try (var ignored = Tensor.noGrad();
                    Tensor idx = Tensor.ofInts(indices, indices.length)) {
                return new Sample(inputs.indexSelect(0, idx), targets.indexSelect(0, idx));
            }
        });
    }
}
