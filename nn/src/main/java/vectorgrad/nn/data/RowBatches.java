package vectorgrad.nn.data;

/**
 * A dataset whose examples are rows of tensors, so a batch is one gather per tensor rather than a tensor
 * per example: {@link DataLoader} uses it for {@link TensorDataset} and its {@link Subset}s.
 */
interface RowBatches {
    /** Examples {@code indices} as one sample whose tensors have a leading batch dimension. */
    Sample rows(int[] indices);
}
