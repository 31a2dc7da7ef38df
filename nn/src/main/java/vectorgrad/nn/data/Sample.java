package vectorgrad.nn.data;

import vectorgrad.autograd.Tensor;

/**
 * One example: an input tensor and its target (a class index as an int32 scalar, or a float32 tensor for
 * regression). {@link DataLoader} stacks the samples of a batch along a new first dimension, as PyTorch's
 * default {@code collate_fn} does.
 */
public record Sample(Tensor input, Tensor target) implements AutoCloseable {
    @Override
    public void close() {
        input.close();
        target.close();
    }
}
