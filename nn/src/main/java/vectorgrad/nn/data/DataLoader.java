package vectorgrad.nn.data;

import java.util.Iterator;
import java.util.NoSuchElementException;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import vectorgrad.autograd.Generator;
import vectorgrad.autograd.MemoryScope;
import vectorgrad.autograd.Tensor;

/**
 * Batches of an MNIST-style dataset, as {@code torch.utils.data.DataLoader(dataset, batch_size,
 * shuffle, drop_last)}: images {@code [B, 1, H, W]} float32 in [0, 1], labels {@code [B]} int32.
 *
 * <p>Shuffling draws a permutation per epoch from a generator seeded with {@code seed + epoch}, so an
 * epoch's order is reproducible and a run can resume at any batch ({@link #iterator(int, int)}). A
 * background thread prepares the next batch while the caller trains on the current one. Close each
 * {@link Batch} when done with it to hand its memory back at once.
 */
public final class DataLoader {
    private final Mnist data;
    private final int batchSize;
    private final boolean shuffle, dropLast;
    private final long seed;

    public DataLoader(Mnist data, int batchSize, boolean shuffle, boolean dropLast, long seed) {
        if (batchSize <= 0) throw new IllegalArgumentException("batch_size should be a positive integer value, but got batch_size=" + batchSize);
        this.data = data;
        this.batchSize = batchSize;
        this.shuffle = shuffle;
        this.dropLast = dropLast;
        this.seed = seed;
    }

    /** One batch: images {@code [B, 1, H, W]}, labels {@code [B]}. */
    public record Batch(Tensor images, Tensor labels, int index) implements AutoCloseable {
        public int size() {
            return labels.size(0);
        }

        @Override
        public void close() {
            images.close();
            labels.close();
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
        int hw = data.height() * data.width();
        float[] px = new float[n * hw];
        int[] lb = new int[n];
        for (int i = 0; i < n; i++) {
            data.image(order[from + i], px, i * hw);
            lb[i] = data.label(order[from + i]);
        }
        // made outside any memory scope: the batch is handed to another thread and closed by its user
        return MemoryScope.outside(() -> new Batch(Tensor.of(px, n, 1, data.height(), data.width()), Tensor.ofInts(lb, n), b));
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
