package vectorgrad.nn.data;

import java.util.List;

/**
 * The examples of a dataset at the given indices, as {@code torch.utils.data.Subset}; what
 * {@link Datasets#randomSplit} returns.
 */
public final class Subset<T> implements Dataset<T>, RowBatches {
    private final Dataset<T> dataset;
    private final int[] indices;

    public Subset(Dataset<T> dataset, int[] indices) {
        for (int i : indices)
            if (i < 0 || i >= dataset.size())
                throw new IndexOutOfBoundsException(
                        "Subset index " + i + " out of range for a dataset of " + dataset.size());
        this.dataset = dataset;
        this.indices = indices.clone();
    }

    public Dataset<T> dataset() {
        return dataset;
    }

    /** The indices into {@link #dataset()}, in order. */
    public List<Integer> indices() {
        return java.util.Arrays.stream(indices).boxed().toList();
    }

    @Override
    public int size() {
        return indices.length;
    }

    @Override
    public T get(int index) {
        return dataset.get(indices[index]);
    }

    /** Row gathering when the underlying dataset has it; otherwise the DataLoader falls back to stacking. */
    boolean hasRows() {
        return dataset instanceof RowBatches r && (!(r instanceof Subset<?> s) || s.hasRows());
    }

    @Override
    public Sample rows(int[] rows) {
        int[] mapped = new int[rows.length];
        for (int i = 0; i < rows.length; i++) mapped[i] = indices[rows[i]];
        return ((RowBatches) dataset).rows(mapped);
    }
}
