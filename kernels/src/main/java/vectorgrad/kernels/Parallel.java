package vectorgrad.kernels;

import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

/**
 * The one thread pool every kernel shares.
 *
 * <p>Work is split over independent outputs only (rows of C, output channels, ...), each chunk computed
 * by exactly the code a single thread would run, so results are bitwise identical for any thread count.
 * The pool's threads are daemons: a finished program exits without shutting it down.
 *
 * <p>Size: {@link #setNumThreads(int)}, or {@code -Dvectorgrad.threads=N}; default: available processors.
 *
 * <p>The workers spin for a while ({@code -Dvectorgrad.spinMicros}, default 50 µs) after a loop before
 * they park, as OpenMP runtimes do: a training step runs a few dozen parallel loops back to back, and
 * waking a parked thread costs tens of microseconds each time (JMH A/B, same run: 512³ on two threads
 * ran 1.77x one thread's speed with a ForkJoinPool, 1.87x with these workers). They do not spin when there are more
 * threads than processors. One loop runs on the pool at a time; a loop started while another thread's
 * loop has the pool runs whole on its own thread (same results: see above).
 *
 * <p>A loop's chunks are fixed by its size and thread count; the caller runs the first, and every thread
 * then claims the others from a counter, so a chunk whose worker has not woken yet (parked, or its core
 * taken by another process) is run by whoever is free instead of waited for. Which thread runs a chunk
 * does not change its result.
 */
public final class Parallel {
    private Parallel() {}

    /** Body of a parallel loop over {@code [from, to)}. */
    @FunctionalInterface
    public interface RangeBody {
        void run(int from, int to);
    }

    private static volatile int numThreads = initialThreads();
    /** Set while the calling thread runs its own share of a parallel loop, and always in a worker. */
    private static final ThreadLocal<boolean[]> IN_REGION = ThreadLocal.withInitial(() -> new boolean[1]);

    private static final long SPIN_NANOS = Config.SPIN_NANOS;

    /** Whether a loop has the workers. */
    private static final AtomicBoolean BUSY = new AtomicBoolean();
    /** The loop the workers run: published before {@link #generation} is bumped. */
    private static volatile Loop current;

    private static volatile long generation;
    /** Workers 1, 2, ... (index 0 is the caller); grown under the class lock, read without it. */
    private static volatile Worker[] workers = new Worker[0];

    static {
        ColdStart.begin(); // the kernels' first use (see ColdStart)
    }

    private static int initialThreads() {
        return Config.THREADS > 0 ? Config.THREADS : Runtime.getRuntime().availableProcessors();
    }

    public static int getNumThreads() {
        return numThreads;
    }

    /** Sets how many threads kernels use (1 = the calling thread only). */
    public static synchronized void setNumThreads(int n) {
        if (n < 1) throw new IllegalArgumentException("number of threads must be >= 1, got " + n);
        numThreads = n;
    }

    /** One parallel loop: chunk i of {@code chunks} is {@code [n·i/chunks, n·(i+1)/chunks)}. */
    private static final class Loop {
        final RangeBody body;
        final int n, chunks;
        /** The next chunk to claim (chunk 0 is the caller's). */
        final AtomicInteger next = new AtomicInteger(1);
        /** Chunks not finished yet. */
        final AtomicInteger pending;

        final Thread caller = Thread.currentThread();
        final long id;
        volatile Throwable failure;

        Loop(RangeBody body, int n, int chunks, long id) {
            this.id = id;
            this.body = body;
            this.n = n;
            this.chunks = chunks;
            this.pending = new AtomicInteger(chunks);
        }

        void run(int chunk) {
            body.run(WorkSplit.bound(n, chunk, chunks), WorkSplit.bound(n, chunk + 1, chunks));
        }

        /**
         * Claims and runs chunks until none is left (after a failure the rest are claimed, not run); the
         * last chunk to finish wakes the caller.
         */
        void claimAndRun() {
            for (int c; (c = next.getAndIncrement()) < chunks; ) {
                try {
                    if (failure == null) run(c);
                } catch (Throwable t) {
                    failure = t;
                } finally {
                    if (pending.decrementAndGet() == 0 && Thread.currentThread() != caller) LockSupport.unpark(caller);
                }
            }
        }
    }

    private static final class Worker extends Thread {
        /** The generation when the worker was made: a loop posted before its thread first runs is still new to it. */
        private final long born;

        volatile boolean parked;

        Worker(int index, long born) {
            super("vectorgrad-kernel-" + index);
            this.born = born;
            setDaemon(true);
        }

        @Override
        public void run() {
            IN_REGION.get()[0] = true; // loops inside a chunk run inline
            long seen = born;
            long last = -1; // the id of the last loop seen (not the loop: that would keep its captures alive)
            while (true) {
                seen = awaitGeneration(seen);
                // a worker outside the last loop may wake to a later one: the loop's id, not the count
                // it woke to, says whether this loop is new to it
                Loop loop = current;
                if (loop == null || loop.id == last) continue;
                last = loop.id;
                loop.claimAndRun();
            }
        }

        /** Spins, then parks, until the generation moves past {@code seen}. */
        private long awaitGeneration(long seen) {
            long g;
            if (spins()) {
                long deadline = System.nanoTime() + SPIN_NANOS;
                while ((g = generation) == seen) {
                    if (System.nanoTime() - deadline > 0) break;
                    Thread.onSpinWait();
                }
                if (g != seen) return g;
            }
            while (true) {
                parked = true;
                // re-read after announcing the park: a loop posted in between is not missed (the poster
                // writes the generation, then reads parked)
                if ((g = generation) != seen) {
                    parked = false;
                    return g;
                }
                LockSupport.park(this);
                parked = false;
                if ((g = generation) != seen) return g;
            }
        }
    }

    private static boolean spins() {
        return SPIN_NANOS > 0 && numThreads <= Runtime.getRuntime().availableProcessors();
    }

    private static Worker[] workers(int needed) {
        Worker[] w = workers;
        if (w.length >= needed) return w;
        synchronized (Parallel.class) {
            w = workers;
            if (w.length < needed) {
                Worker[] grown = java.util.Arrays.copyOf(w, needed);
                for (int i = w.length; i < needed; i++) {
                    grown[i] = new Worker(i + 1, generation);
                    grown[i].start();
                    // published one by one: if a later start fails, the started ones are not made again
                    workers = java.util.Arrays.copyOf(grown, i + 1);
                }
                w = workers;
            }
        }
        return w;
    }

    /** Every loop the calling thread starts from now on runs whole on it (the kernels' warm-up thread). */
    static void inlineOnThisThread() {
        IN_REGION.get()[0] = true;
    }

    /**
     * Runs {@code body} over {@code [0, n)} split into at most {@code getNumThreads()} contiguous chunks
     * of at least {@code grain} items. The caller runs the first chunk itself, then any no worker has
     * claimed.
     */
    public static void forRange(int n, int grain, RangeBody body) {
        int threads = Math.min(numThreads, Math.max(1, n / Math.max(1, grain)));
        boolean[] inRegion = IN_REGION.get();
        if (threads <= 1 || inRegion[0] || !BUSY.compareAndSet(false, true)) {
            // nested loops run inline: the pool's threads are already busy with the outer loop, and a
            // nested loop waiting for them would leave the caller waiting (seen in JMH: with nested products
            // allowed onto the pool, a batch-5 training step took 5.0 ms instead of 3.6)
            if (n > 0) body.run(0, n);
            return;
        }
        try {
            Worker[] w = workers(threads - 1);
            Loop loop = new Loop(body, n, threads, generation + 1);
            current = loop;
            generation = loop.id; // only the holder of BUSY writes it
            for (int i = 0; i < threads - 1; i++) {
                if (w[i].parked) LockSupport.unpark(w[i]);
            }
            inRegion[0] = true;
            Throwable mine = null;
            try {
                loop.run(0);
            } catch (Throwable t) {
                mine = t;
                loop.failure = t;
            } finally {
                loop.pending.decrementAndGet();
            }
            try {
                loop.claimAndRun();
            } finally {
                inRegion[0] = false;
            }
            awaitWorkers(loop);
            current = null;
            Throwable failure = mine != null ? mine : loop.failure;
            if (failure instanceof RuntimeException e) throw e;
            if (failure instanceof Error e) throw e;
            if (failure != null) throw new IllegalStateException(failure);
        } finally {
            BUSY.set(false);
        }
    }

    private static void awaitWorkers(Loop loop) {
        long deadline = System.nanoTime() + SPIN_NANOS;
        while (loop.pending.get() != 0) {
            if (System.nanoTime() - deadline < 0) Thread.onSpinWait();
            else LockSupport.parkNanos(loop, 100_000);
        }
    }
}
