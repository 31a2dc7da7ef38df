package vectorgrad.nn.data;

/**
 * A map-style dataset, as {@code torch.utils.data.Dataset}: {@link #size()} examples ({@code __len__}),
 * each read by index ({@code __getitem__}). A {@link DataLoader} batches any dataset; datasets of
 * {@link Sample}s batch with no code of their own.
 *
 * @param <T> what one example is, e.g. a {@link Sample} (input and target tensors)
 */
public interface Dataset<T> {
    /** How many examples there are. */
    int size();

    /** Example {@code index}, {@code 0 <= index < size()}. */
    T get(int index);
}
