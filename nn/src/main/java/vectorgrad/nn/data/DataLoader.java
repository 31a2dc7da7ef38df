package vectorgrad.nn.data;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import vectorgrad.autograd.DType;
import vectorgrad.autograd.Generator;
import vectorgrad.autograd.MemoryScope;
import vectorgrad.autograd.Tensor;

/**
 * Batches of any {@link Dataset}, as {@code torch.utils.data.DataLoader(dataset, batch_size, shuffle,
 * drop_last, collate_fn)}: each {@link Batch} holds the inputs stacked along a new first dimension
 * ({@code [B, ...]}) and the targets likewise ({@code [B]} int32 for class indices).
 *
 * <p>Collation: a {@link ClassificationDataset} (such as {@link Mnist}) is copied straight into the batch's
 * arrays; a {@link TensorDataset} (or a {@link Subset} of one) gathers the batch's rows; a dataset of {@link Sample}s is stacked as PyTorch's default {@code collate_fn} does (every
 * sample's input of one shape, targets of one shape and dtype); anything else takes a {@link Collate}.
 *
 * <p>Shuffling draws a permutation per epoch from a generator seeded with {@code seed + epoch}, so an
 * epoch's order is reproducible and a run can resume at any batch ({@link #iterator(int, int)}). A
 * background thread prepares the next batch while the caller trains on the current one. Close each
 * {@link Batch} when done with it to hand its memory back at once.
 */
public final class DataLoader<T> {
    private final Dataset<T> data;
    private final int batchSize;
    private final boolean shuffle, dropLast;
    private final long seed;
    private final Collate<T> collate;

    /** Builds one batch from its examples, in order: PyTorch's {@code collate_fn}. */
    @FunctionalInterface
    public interface Collate<T> {
        /** The tensors of the batch; they are closed with the {@link Batch}. */
        Batch collate(List<T> examples, int batchIndex);
    }

    /**
     * A loader for a {@link ClassificationDataset} or a dataset of {@link Sample}s.
     *
     * @param shuffle a new order each epoch, drawn from a generator seeded with {@code seed + epoch}
     * @param dropLast drop the last batch when it is smaller than {@code batchSize}
     */
    public DataLoader(Dataset<T> data, int batchSize, boolean shuffle, boolean dropLast, long seed) {
        this(data, batchSize, shuffle, dropLast, seed, null);
    }

    /** A loader that builds batches with {@code collate} (null: the default collation above). */
    public DataLoader(
            Dataset<T> data, int batchSize, boolean shuffle, boolean dropLast, long seed, Collate<T> collate) {
        if (batchSize <= 0)
            throw new IllegalArgumentException(
                    "batch_size should be a positive integer value, but got batch_size=" + batchSize);
        this.data = data;
        this.batchSize = batchSize;
        this.shuffle = shuffle;
        this.dropLast = dropLast;
        this.seed = seed;
        this.collate = collate;
    }

    /** One batch: inputs {@code [B, ...]}, targets {@code [B, ...]}, and its index in the epoch. */
    public record Batch(Tensor inputs, Tensor targets, int index) implements AutoCloseable {
        public int size() {
            return targets.size(0);
        }

        @Override
        public void close() {
            inputs.close();
            targets.close();
        }
    }

    /** Batches per epoch ({@code len(loader)}). */
    public int size() {
        return dropLast ? data.size() / batchSize : (data.size() + batchSize - 1) / batchSize;
    }

    public int batchSize() {
        return batchSize;
    }

    /** The order of the dataset's items in {@code epoch}. */
    public int[] order(int epoch) {
        if (!shuffle) {
            int[] o = new int[data.size()];
            for (int i = 0; i < o.length; i++) o[i] = i;
            return o;
        }
        return new Generator(seed + epoch).randperm(data.size());
    }

    /** The batches of {@code epoch} from batch {@code startBatch} on (for resuming). */
    public BatchIterator iterator(int epoch, int startBatch) {
        return new Prefetcher(order(epoch), startBatch);
    }

    /**
     * Batches, prepared one ahead by a background thread. Close it to stop early: the thread ends and the
     * batches it prepared are released (running to the end needs no close).
     */
    public interface BatchIterator extends Iterator<Batch>, AutoCloseable {
        @Override
        void close();
    }

    /** Builds batch {@code b} of the given order. */
    Batch make(int[] order, int b) {
        int from = b * batchSize, n = Math.min(batchSize, data.size() - from);
        if (collate == null && data instanceof ClassificationDataset c) return copyBatch(c, order, from, n, b);
        if (collate == null && data instanceof RowBatches r && (!(r instanceof Subset<?> s) || s.hasRows())) {
            Sample rows = r.rows(Arrays.copyOfRange(order, from, from + n));
            return new Batch(rows.input(), rows.target(), b);
        }
        List<T> items = new ArrayList<>(n);
        for (int i = 0; i < n; i++) items.add(data.get(order[from + i]));
        if (collate != null) return collate.collate(items, b);
        return stack(items, from, b);
    }

    private static Batch copyBatch(ClassificationDataset c, int[] order, int from, int n, int b) {
        int[] shape = c.inputShape();
        int per = 1;
        for (int d : shape) per *= d;
        float[] x = new float[n * per];
        int[] lb = new int[n];
        for (int i = 0; i < n; i++) {
            c.input(order[from + i], x, i * per);
            lb[i] = c.label(order[from + i]);
        }
        int[] batchShape = prepend(n, shape);
        // made outside any memory scope: the batch is handed to another thread and closed by its user
        return MemoryScope.outside(() -> new Batch(Tensor.of(x, batchShape), Tensor.ofInts(lb, n), b));
    }

    /** PyTorch's default collation for samples: inputs and targets each stacked along a new dimension 0. */
    private Batch stack(List<T> items, int from, int b) {
        Tensor[] inputs = new Tensor[items.size()], targets = new Tensor[items.size()];
        for (int i = 0; i < items.size(); i++) {
            if (!(items.get(i) instanceof Sample s)) {
                throw new IllegalArgumentException("DataLoader: example " + (from + i) + " is a "
                        + (items.get(i) == null
                                ? "null"
                                : items.get(i).getClass().getName())
                        + ", not a Sample; pass a Collate to batch such examples");
            }
            inputs[i] = s.input();
            targets[i] = s.target();
        }
        return MemoryScope.outside(() -> new Batch(stack(inputs, "input", from), stack(targets, "target", from), b));
    }

    private static Tensor stack(Tensor[] ts, String what, int from) {
        int[] shape = ts[0].shape();
        DType dtype = ts[0].dtype();
        int per = (int) ts[0].numel();
        for (int i = 1; i < ts.length; i++) {
            if (!Arrays.equals(ts[i].shape(), shape) || ts[i].dtype() != dtype) {
                throw new IllegalArgumentException(
                        "DataLoader: stack expects each " + what + " to be equal size, but got " + dtype
                                + Arrays.toString(shape) + " at example " + from + " and " + ts[i].dtype()
                                + Arrays.toString(ts[i].shape())
                                + " at example " + (from + i));
            }
        }
        int[] batchShape = prepend(ts.length, shape);
        if (dtype == DType.INT32) {
            int[] v = new int[ts.length * per];
            for (int i = 0; i < ts.length; i++) System.arraycopy(ts[i].toIntArray(), 0, v, i * per, per);
            return Tensor.ofInts(v, batchShape);
        }
        float[] v = new float[ts.length * per];
        for (int i = 0; i < ts.length; i++) System.arraycopy(ts[i].toFloatArray(), 0, v, i * per, per);
        return Tensor.of(v, batchShape);
    }

    private static int[] prepend(int n, int[] shape) {
        int[] s = new int[shape.length + 1];
        s[0] = n;
        System.arraycopy(shape, 0, s, 1, shape.length);
        return s;
    }

    private final class Prefetcher implements BatchIterator {
        private static final Object END = new Object();
        private final BlockingQueue<Object> queue = new ArrayBlockingQueue<>(2);
        private final Thread worker;
        private Object next;

        Prefetcher(int[] order, int start) {
            int total = size();
            worker = Thread.ofPlatform().daemon().name("vectorgrad-dataloader").start(() -> {
                Batch made = null;
                try {
                    for (int b = start; b < total; b++) {
                        made = make(order, b);
                        queue.put(made);
                        made = null;
                    }
                    queue.put(END);
                } catch (InterruptedException e) {
                    if (made != null) made.close(); // closed early: the batch in hand goes back too
                    Thread.currentThread().interrupt();
                } catch (RuntimeException e) {
                    try {
                        queue.put(e);
                    } catch (InterruptedException ignored) {
                        Thread.currentThread().interrupt();
                    }
                }
            });
        }

        @Override
        public boolean hasNext() {
            if (next == null) {
                try {
                    next = queue.take();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IllegalStateException("interrupted while waiting for the next batch", e);
                }
            }
            if (next instanceof RuntimeException e) throw e;
            return next != END;
        }

        @Override
        public Batch next() {
            if (!hasNext()) throw new NoSuchElementException();
            Batch b = (Batch) next;
            next = null;
            return b;
        }

        @Override
        public void close() {
            worker.interrupt();
            try {
                worker.join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            if (next instanceof Batch b) b.close();
            next = END;
            for (Object o; (o = queue.poll()) != null; ) if (o instanceof Batch b) b.close();
        }
    }
}
