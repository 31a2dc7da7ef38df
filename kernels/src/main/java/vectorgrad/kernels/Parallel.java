package vectorgrad.kernels;

import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.ForkJoinTask;
import java.util.concurrent.ForkJoinWorkerThread;
import java.util.ArrayList;
import java.util.List;

/**
 * The one thread pool every kernel shares.
 *
 * <p>Work is split over independent outputs only (rows of C, output channels, ...), each chunk computed
 * by exactly the code a single thread would run, so results are bitwise identical for any thread count.
 * The pool's threads are daemons: a finished program exits without shutting it down.
 *
 * <p>Size: {@link #setNumThreads(int)}, or {@code -Dvectorgrad.threads=N}; default: available processors.
 */
public final class Parallel {
    private Parallel() {}

    /** Body of a parallel loop over {@code [from, to)}. */
    @FunctionalInterface
    public interface RangeBody {
        void run(int from, int to);
    }

    private static volatile int numThreads = initialThreads();
    private static volatile ForkJoinPool pool;
    /** Set while the calling thread runs its own share of a parallel loop. */
    private static final ThreadLocal<boolean[]> IN_REGION = ThreadLocal.withInitial(() -> new boolean[1]);

    private static int initialThreads() {
        String p = System.getProperty("vectorgrad.threads");
        if (p != null) {
            try {
                int n = Integer.parseInt(p.trim());
                if (n >= 1) return n;
            } catch (NumberFormatException ignored) {
                // fall through to the default and say so
            }
            System.err.println("vectorgrad: ignoring -Dvectorgrad.threads=" + p + " (want a positive integer)");
        }
        return Runtime.getRuntime().availableProcessors();
    }

    public static int getNumThreads() {
        return numThreads;
    }

    /** Sets how many threads kernels use (1 = the calling thread only). */
    public static synchronized void setNumThreads(int n) {
        if (n < 1) throw new IllegalArgumentException("number of threads must be >= 1, got " + n);
        numThreads = n;
    }

    private static ForkJoinPool pool() {
        ForkJoinPool p = pool;
        if (p == null) {
            synchronized (Parallel.class) {
                p = pool;
                if (p == null) {
                    int size = Math.max(1, Runtime.getRuntime().availableProcessors() * 2);
                    p = new ForkJoinPool(size, pool -> {
                        ForkJoinWorkerThread t = ForkJoinPool.defaultForkJoinWorkerThreadFactory.newThread(pool);
                        t.setDaemon(true);
                        t.setName("vectorgrad-kernel-" + t.getPoolIndex());
                        return t;
                    }, null, false);
                    pool = p;
                }
            }
        }
        return p;
    }

    /**
     * Runs {@code body} over {@code [0, n)} split into at most {@code getNumThreads()} contiguous chunks
     * of at least {@code grain} items. The caller runs the first chunk itself.
     */
    public static void forRange(int n, int grain, RangeBody body) {
        int threads = Math.min(numThreads, Math.max(1, n / Math.max(1, grain)));
        boolean[] inRegion = IN_REGION.get();
        if (threads <= 1 || inRegion[0] || ForkJoinTask.inForkJoinPool()) {
            // nested loops run inline: the pool's threads are already busy with the outer loop, and a
            // nested task queued behind them would leave the caller waiting (seen in JMH: with nested products
            // allowed onto the pool, a batch-5 training step took 5.0 ms instead of 3.6)
            if (n > 0) body.run(0, n);
            return;
        }
        List<ForkJoinTask<?>> tasks = new ArrayList<>(threads - 1);
        ForkJoinPool p = pool();
        for (int t = 1; t < threads; t++) {
            int from = (int) ((long) n * t / threads);
            int to = (int) ((long) n * (t + 1) / threads);
            tasks.add(p.submit(() -> body.run(from, to)));
        }
        inRegion[0] = true;
        try {
            body.run(0, (int) ((long) n / threads));
        } finally {
            inRegion[0] = false;
        }
        for (ForkJoinTask<?> task : tasks) task.join();
    }
}
