package vectorgrad.autograd;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Where a training step's time goes, op by op: while a profile is open, each recorded op's forward time
 * and its backward's are summed under the op's name and its first two inputs' shapes ({@code "conv2d
 * [64,32,28,28] [64,32,3,3]"}), so layers of different sizes stay apart.
 * <pre>{@code
 * try (Profiler p = Profiler.start()) {
 *     for (...) { Profiler.mark(); ...a training step...; p.time("optimizer", optimizer::step); }
 *     System.out.print(p.table());
 * }
 * }</pre>
 * An op's forward time is measured from the previous op's end (or the last {@link #mark()}) on the same
 * thread to its own end, so code between ops that is not an op (a loss's {@code item()}, data copying)
 * counts toward the next op: call {@link #mark()} before the work of interest, and time the rest with
 * {@link #time}. Off (the default), the cost is one volatile read per op.
 */
public final class Profiler implements AutoCloseable {
    static volatile boolean enabled;
    private static final Map<String, long[]> STATS = new ConcurrentHashMap<>(); // {ns, calls}
    /** Per thread: {the forward clock, 1 while a backward pass runs (its ops count toward its nodes)}. */
    private static final ThreadLocal<long[]> LAST = ThreadLocal.withInitial(() -> new long[2]);

    private Profiler() {}

    /** Starts a profile (clearing the last one's figures). Only one is open at a time. */
    public static synchronized Profiler start() {
        STATS.clear();
        enabled = true;
        mark();
        return new Profiler();
    }

    /** Starts the current thread's forward clock now: the next op's forward time counts from here. */
    public static void mark() {
        LAST.get()[0] = System.nanoTime();
    }

    /** Runs {@code work} and adds its time under {@code name}; restarts the forward clock after it. */
    public void time(String name, Runnable work) {
        long t0 = System.nanoTime();
        work.run();
        long t1 = System.nanoTime();
        add(name, t1 - t0);
        LAST.get()[0] = t1;
    }

    static void forward(String op, Tensor[] inputs) {
        long now = System.nanoTime();
        long[] last = LAST.get();
        if (last[1] != 0) return;
        add(op + " " + shape(inputs), now - last[0]);
        last[0] = now;
    }

    static void inBackward(boolean on) {
        long[] last = LAST.get();
        last[1] = on ? 1 : 0;
        if (!on) last[0] = System.nanoTime();
    }

    static void backward(String op, Tensor[] inputs, long nanos) {
        add(op + " " + shape(inputs) + " backward", nanos);
    }

    private static String shape(Tensor[] inputs) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < Math.min(2, inputs.length); i++) {
            if (i > 0) sb.append(' ');
            sb.append(java.util.Arrays.toString(inputs[i].shape()).replace(" ", ""));
        }
        return sb.toString();
    }

    private static void add(String key, long nanos) {
        long[] s = STATS.computeIfAbsent(key, k -> new long[2]);
        synchronized (s) {
            s[0] += nanos;
            s[1]++;
        }
    }

    /** The figures so far: name → {total nanoseconds, calls}. */
    public Map<String, long[]> stats() {
        Map<String, long[]> copy = new java.util.LinkedHashMap<>();
        STATS.forEach((k, v) -> {
            synchronized (v) {
                copy.put(k, v.clone());
            }
        });
        return copy;
    }

    /**
     * A table of the figures per {@code steps} steps, largest first: milliseconds per step, calls per step
     * and the share of {@code stepNanos} (the measured time of a whole step; 0 to leave the share out),
     * with the step's time not accounted for by any entry as the last row.
     */
    public String table(int steps, double stepNanos) {
        List<Map.Entry<String, long[]>> rows = new ArrayList<>(stats().entrySet());
        rows.sort((a, b) -> Long.compare(b.getValue()[0], a.getValue()[0]));
        StringBuilder sb = new StringBuilder();
        sb.append(
                String.format(Locale.ROOT, "%-60s %10s %7s %7s%n", "op [inputs' shapes]", "ms/step", "calls", "share"));
        double sum = 0;
        for (Map.Entry<String, long[]> e : rows) {
            double ns = (double) e.getValue()[0] / steps;
            sum += ns;
            sb.append(String.format(
                    Locale.ROOT,
                    "%-60s %10.3f %7.1f %6.1f%%%n",
                    e.getKey(),
                    ns / 1e6,
                    (double) e.getValue()[1] / steps,
                    stepNanos > 0 ? 100 * ns / stepNanos : Double.NaN));
        }
        if (stepNanos > 0) {
            sb.append(String.format(
                    Locale.ROOT,
                    "%-60s %10.3f %7s %6.1f%%%n",
                    "(not in any op)",
                    (stepNanos - sum) / 1e6,
                    "",
                    100 * (stepNanos - sum) / stepNanos));
        }
        return sb.toString();
    }

    @Override
    public void close() {
        enabled = false;
    }
}
