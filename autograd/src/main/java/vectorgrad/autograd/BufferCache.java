package vectorgrad.autograd;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayDeque;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Size-classed cache of 64-byte-aligned native blocks: the only place tensor memory comes from.
 *
 * <p>Why: the first touch of each fresh page costs a page fault (about 12 µs measured on the AVX-512
 * machine of docs/PERFORMANCE.md), so a training step that
 * allocated its activations anew would spend more time in page faults than in arithmetic. A released
 * block goes back to the free list of its size class (powers of two) and the next tensor of that class
 * takes it, untouched by the OS.
 *
 * <p>Blocks come back two ways: explicitly ({@link Tensor#close()}, the autograd engine releasing its
 * temporaries), or through a {@link java.lang.ref.Cleaner} when no tensor references them any more. The
 * JVM's GC does not see native memory, so when handed-out bytes pass a threshold with no free block
 * to reuse, the cache asks for a collection and reuses what it returns before reserving more.
 *
 * <p>Settings: {@code -Dvectorgrad.gcThresholdMB} (default 64): handed-out bytes above which a miss
 * triggers reclamation first (raised to twice what a reclamation leaves held, when that is more). Counters: {@link #reservedBytes()}, {@link #liveBytes()},
 * {@link #nativeAllocations()}.
 */
final class BufferCache {
    private BufferCache() {}

    private static final int MIN_CLASS = 6; // 64 bytes
    private static final int MAX_CLASS = 62;
    // LIFO per size class: the block freed last is the one most likely still in cache.
    @SuppressWarnings("unchecked")
    private static final ArrayDeque<MemorySegment>[] FREE = new ArrayDeque[MAX_CLASS + 1];

    static {
        for (int i = 0; i < FREE.length; i++) FREE[i] = new ArrayDeque<>();
    }

    private static MemorySegment poll(int c) {
        ArrayDeque<MemorySegment> list = FREE[c];
        synchronized (list) {
            return list.pollFirst();
        }
    }

    private static final AtomicLong RESERVED = new AtomicLong();
    private static final AtomicLong LIVE = new AtomicLong();
    private static final AtomicLong ALLOCATIONS = new AtomicLong();
    private static final AtomicLong RECLAIMS = new AtomicLong();
    private static final long GC_THRESHOLD = vectorgrad.kernels.Config.GC_THRESHOLD_BYTES;
    /**
     * Handed-out bytes above which a miss reclaims first: {@link #GC_THRESHOLD}, or, when two reclamations
     * in a row gave back less than a quarter, twice what they left held — a model whose step holds more than the base
     * (a ResNet's 1 GB of activations) reclaims a few times while it grows instead of at every miss (at
     * 256 MB a fixed threshold made its first batch-128 step take 18 s, a collection and a wait per tensor).
     */
    private static volatile long threshold = GC_THRESHOLD;
    /** Reclamations in a row that gave back less than a quarter (guarded by RECLAIM_LOCK). */
    private static int fruitless;

    private static final Object RECLAIM_LOCK = new Object();

    static int sizeClass(long bytes) {
        long b = Math.max(bytes, 1L << MIN_CLASS);
        int c = 64 - Long.numberOfLeadingZeros(b - 1);
        if (c > MAX_CLASS) throw new IllegalArgumentException("tensor too large: " + bytes + " bytes");
        return c;
    }

    /** A block of at least {@code bytes}, contents undefined. */
    static MemorySegment acquire(long bytes) {
        int c = sizeClass(bytes);
        long size = 1L << c;
        MemorySegment seg = poll(c);
        if (seg == null && LIVE.get() + size > threshold) {
            reclaim();
            seg = poll(c);
        }
        if (seg == null) {
            // An automatic arena per block: trim() gives a block back to the OS by dropping it, and a
            // stale reference to a trimmed block keeps valid memory alive instead of crashing.
            seg = allocate(size);
            RESERVED.addAndGet(size);
            ALLOCATIONS.incrementAndGet();
        }
        LIVE.addAndGet(size);
        return seg;
    }

    /**
     * A new block. When the JVM's native-memory limit ({@code -XX:MaxDirectMemorySize}, by default the
     * heap's maximum) is reached, the free blocks of other sizes are given back and unreachable tensors
     * collected, once; if that is not enough, the error says what is held and which flag to raise.
     */
    private static MemorySegment allocate(long size) {
        try {
            return Arena.ofAuto().allocate(size, 64);
        } catch (OutOfMemoryError first) {
            trim();
            System.gc();
            try {
                Thread.sleep(50); // the cleaners of collected arenas run on their own thread
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            try {
                return Arena.ofAuto().allocate(size, 64);
            } catch (OutOfMemoryError again) {
                OutOfMemoryError e = new OutOfMemoryError("vectorgrad: cannot reserve " + (size >> 20)
                        + " MiB more native memory for a tensor: " + (LIVE.get() >> 20)
                        + " MiB are held by live tensors, "
                        + (RESERVED.get() >> 20) + " MiB reserved in all. The JVM's limit is -XX:MaxDirectMemorySize "
                        + "(by default the -Xmx heap size); raise it, or use a smaller batch (" + again.getMessage()
                        + ")");
                e.initCause(again);
                throw e;
            }
        }
    }

    /** Returns a block to its free list. The caller guarantees no tensor can reach it any more. */
    static void release(MemorySegment seg) {
        int c = sizeClass(seg.byteSize());
        LIVE.addAndGet(-seg.byteSize());
        ArrayDeque<MemorySegment> list = FREE[c];
        synchronized (list) {
            list.addFirst(seg);
        }
    }

    /** Asks the GC for unreachable tensors and waits briefly for their cleaners to return blocks. */
    private static void reclaim() {
        synchronized (RECLAIM_LOCK) {
            long before = LIVE.get();
            if (before + 64 <= threshold) return; // another thread just did it
            RECLAIMS.incrementAndGet();
            System.gc();
            // Cleaners run on their own thread: give them a moment to drain the reference queue.
            for (int i = 0; i < 50; i++) {
                long now = LIVE.get();
                if (now < before * 3 / 4) break;
                try {
                    Thread.sleep(1);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    break;
                }
            }
            // little came back twice running: what is held is in use (a big model's step), so raise the bar
            // past it. Once is not enough (the cleaners may still be running); garbage reclaimed keeps the
            // base, which is what bounds a loop that closes nothing
            long after = LIVE.get();
            if (after < before * 3 / 4) {
                fruitless = 0;
                threshold = GC_THRESHOLD;
            } else if (++fruitless >= 2) {
                fruitless = 0;
                threshold = Math.max(GC_THRESHOLD, 2 * after);
            }
        }
    }

    /** Native bytes reserved from the OS (handed out + free). */
    static long reservedBytes() {
        return RESERVED.get();
    }

    /** Native bytes currently held by tensors. */
    static long liveBytes() {
        return LIVE.get();
    }

    /** How many times a block was reserved from the OS (a miss of every free list). */
    static long nativeAllocations() {
        return ALLOCATIONS.get();
    }

    /** How many times the cache had to ask the GC for unreachable tensors. */
    static long reclaims() {
        return RECLAIMS.get();
    }

    /** Drops every free block; the GC returns their memory to the OS. */
    static void trim() {
        for (ArrayDeque<MemorySegment> list : FREE) {
            synchronized (list) {
                MemorySegment seg;
                while ((seg = list.pollFirst()) != null) RESERVED.addAndGet(-seg.byteSize());
            }
        }
    }
}
