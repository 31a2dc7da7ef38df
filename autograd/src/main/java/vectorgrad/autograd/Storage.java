package vectorgrad.autograd;

import java.lang.foreign.MemorySegment;
import java.lang.ref.Cleaner;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A pooled native block shared by a tensor and its views, reference-counted by tensor handles.
 *
 * <p>The block goes back to the {@link BufferCache} exactly once: when the last handle is closed, or
 * when the storage becomes unreachable (the cleaner), whichever comes first.
 */
final class Storage {
    private static final Cleaner CLEANER = Cleaner.create(r -> {
        Thread t = new Thread(r, "vectorgrad-cleaner");
        t.setDaemon(true);
        return t;
    });

    /** The state the cleaner needs; must not reference the Storage itself. */
    private static final class Block implements Runnable {
        final MemorySegment segment;
        final AtomicBoolean returned = new AtomicBoolean();

        Block(MemorySegment segment) {
            this.segment = segment;
        }

        @Override
        public void run() {
            if (returned.compareAndSet(false, true)) BufferCache.release(segment);
        }
    }

    private final Block block;
    private final Cleaner.Cleanable cleanable;
    private final AtomicInteger handles = new AtomicInteger(1);

    Storage(long floats) {
        MemorySegment seg = BufferCache.acquire(Math.max(1, floats) * Float.BYTES);
        this.block = new Block(seg);
        this.cleanable = CLEANER.register(this, block);
    }

    MemorySegment segment() {
        return block.segment;
    }

    boolean isFreed() {
        return block.returned.get();
    }

    void retain() {
        handles.incrementAndGet();
    }

    /** Drops one handle; the last one returns the block to the cache. */
    void release() {
        if (handles.decrementAndGet() == 0) cleanable.clean();
    }
}
