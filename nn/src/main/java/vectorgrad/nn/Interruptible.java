package vectorgrad.nn;

import java.io.PrintStream;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import sun.misc.Signal;
import sun.misc.SignalHandler;

/**
 * An optimisation loop that ends cleanly at a step boundary — the textbook's {@code Interruptable}.
 *
 * <pre>{@code
 * try (var loop = Interruptible.open()) {
 *     while (loop.next()) {            // false after Ctrl-C or stop(): the step in progress completes
 *         ...
 *         loop.report("loglik=%.3f", -e.item());   // "epoch=42 loglik=-0.123"
 *     }
 * }
 * }</pre>
 *
 * <ul>
 *   <li>The first Ctrl-C (SIGINT) ends the loop at the next {@link #next()}; a second one exits the
 *       process at once with status 130. Closing the loop restores the previous handler.</li>
 *   <li>{@link #stop()} ends it from code (another thread, a callback).</li>
 *   <li>{@link #report} prints {@code epoch=N} and the message: every {@link #printEvery(long)} steps if
 *       set, otherwise at most once a second; the last step is always printed when the loop ends.</li>
 * </ul>
 */
public final class Interruptible implements AutoCloseable {
    private final AtomicBoolean stopRequested = new AtomicBoolean();
    private final AtomicInteger signals = new AtomicInteger();
    private SignalHandler previous;
    private boolean signalInstalled;
    private long epoch = -1;
    private long maxSteps = Long.MAX_VALUE;
    private long printEvery = 0;
    private long lastPrintNanos = System.nanoTime();
    private long lastPrintedEpoch = -1;
    private String lastMessage;
    private PrintStream out = System.out;
    private boolean interrupted;

    private Interruptible() {}

    /** Opens a loop and starts catching Ctrl-C. */
    public static Interruptible open() {
        Interruptible loop = new Interruptible();
        loop.installSignal();
        return loop;
    }

    private void installSignal() {
        try {
            previous = Signal.handle(new Signal("INT"), sig -> {
                if (signals.incrementAndGet() >= 2) {
                    System.err.println("\ninterrupted again: exiting now");
                    Runtime.getRuntime().halt(130);
                }
                System.err.println("\ninterrupt: finishing the current step (Ctrl-C again to exit now)");
                interrupted = true;
                stopRequested.set(true);
            });
            signalInstalled = true;
        } catch (IllegalArgumentException | UnsupportedOperationException e) {
            // The JVM reserves SIGINT (e.g. -Xrs): the loop still stops through stop().
            signalInstalled = false;
        }
    }

    /** Ends the loop after {@code n} steps. Returns this. */
    public Interruptible maxSteps(long n) {
        if (n < 0) throw new IllegalArgumentException("maxSteps must be >= 0, got " + n);
        maxSteps = n;
        return this;
    }

    /** Prints every {@code n} steps (0: at most once a second). Returns this. */
    public Interruptible printEvery(long n) {
        if (n < 0) throw new IllegalArgumentException("printEvery must be >= 0, got " + n);
        printEvery = n;
        return this;
    }

    /** Where reports go (default {@code System.out}). Returns this. */
    public Interruptible printTo(PrintStream stream) {
        out = stream;
        return this;
    }

    /** Starts the next step: false once stopped, interrupted or past {@link #maxSteps}. */
    public boolean next() {
        if (stopRequested.get() || epoch + 1 >= maxSteps) return false;
        epoch++;
        return true;
    }

    /** The current step, counted from 0 (the textbook's {@code epoch}). */
    public long epoch() {
        return epoch;
    }

    /** Steps completed or under way. */
    public long steps() {
        return epoch + 1;
    }

    /** Asks the loop to end at the next step boundary. Thread-safe. */
    public void stop() {
        stopRequested.set(true);
    }

    /** Whether the loop ended because of Ctrl-C. */
    public boolean wasInterrupted() {
        return interrupted;
    }

    /** Reports progress of this step as {@code epoch=N <message>}, rate-limited as the class says. */
    public void report(String format, Object... args) {
        lastMessage = String.format(Locale.ROOT, format, args);
        long now = System.nanoTime();
        boolean due = printEvery > 0 ? epoch % printEvery == 0 : now - lastPrintNanos >= 1_000_000_000L || epoch == 0;
        if (due) print(now);
    }

    private void print(long now) {
        out.println("epoch=" + epoch + " " + lastMessage);
        out.flush();
        lastPrintNanos = now;
        lastPrintedEpoch = epoch;
    }

    @Override
    public void close() {
        if (lastMessage != null && lastPrintedEpoch != epoch) print(System.nanoTime());
        if (signalInstalled) {
            Signal.handle(new Signal("INT"), previous);
            signalInstalled = false;
        }
    }
}
