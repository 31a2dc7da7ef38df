package vectorgrad.autograd;

import vectorgrad.kernels.Parallel;

/**
 * The number of threads the kernels use — {@code torch.set_num_threads}/{@code get_num_threads}.
 *
 * <p>The default is the number of available processors, or {@code -Dvectorgrad.threads=N}. Results do
 * not depend on the thread count: every kernel splits its work by the shape only and sums partial
 * results in a fixed order, so one thread and eight give the same bits (tested).
 */
public final class Threads {
    private Threads() {}

    /** Sets the kernel threads for all later ops (at least 1). */
    public static void setNumThreads(int threads) {
        if (threads < 1) throw new IllegalArgumentException("setNumThreads: threads must be >= 1, got " + threads);
        Parallel.setNumThreads(threads);
    }

    public static int getNumThreads() {
        return Parallel.getNumThreads();
    }
}
