package vectorgrad.nn.data;

import vectorgrad.autograd.MemoryScope;
import vectorgrad.autograd.Tensor;

/**
 * A dataset of fixed-shape float inputs with an integer class each, which a {@link DataLoader} copies
 * straight into a batch's arrays — no tensor per example. {@link Mnist} is one.
 */
public interface ClassificationDataset extends Dataset<Sample> {
    /** The shape of one input, e.g. {@code [1, 28, 28]}. */
    int[] inputShape();

    /** Copies input {@code index} (row-major, {@code prod(inputShape())} floats) to {@code dst[offset...]}. */
    void input(int index, float[] dst, int offset);

    /** The class of example {@code index}. */
    int label(int index);

    /** Example {@code index} as tensors: the input and its class as an int32 scalar. */
    @Override
    default Sample get(int index) {
        int[] shape = inputShape();
        int n = 1;
        for (int d : shape) n *= d;
        float[] x = new float[n];
        input(index, x, 0);
        return MemoryScope.outside(() -> new Sample(Tensor.of(x, shape), Tensor.ofInts(new int[] {label(index)})));
    }
}
