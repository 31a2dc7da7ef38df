package vectorgrad.nn.data;

import vectorgrad.autograd.Tensor;

/**
 * One example: an input tensor and its target (a class index as an int32 scalar, or a float32 tensor for
 * regression). {@link DataLoader} stacks the samples of a batch along a new first dimension, as PyTorch's
 * default {@code collate_fn} does.
 */
public record Sample(Tensor input, Tensor target) implements AutoCloseable {
    /** This sample with the leading dimension of size 1 removed from both tensors (one row of a batch). */
    Sample squeezeFirst() {
        return new Sample(input.squeeze(0), target.squeeze(0));
    }

    @Override
    public void close() {
        input.close();
        target.close();
    }
}
