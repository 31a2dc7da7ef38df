package vectorgrad.nn.train;

import java.io.PrintStream;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
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
 *   <li>The first Ctrl-C (SIGINT) or SIGTERM (what systemd, Kubernetes and preemptible machines send to
 *       stop a job) ends the loop at the next {@link #next()}: the step in progress completes, and the
 *       program can save its state. {@link #stopSignal()} says which signal it was and
 *       {@link #exitStatus()} the status a shell expects (130, 143). The library never exits the process:
 *       a second signal goes to {@link #onSecondSignal} if set, otherwise to the handler that was there
 *       before the loop opened (the JVM's own, which ends the process). Closing the loop restores the
 *       previous handlers.</li>
 *   <li>{@link #stop()} ends it from code (another thread, a callback).</li>
 *   <li>{@link #report} prints {@code epoch=N} and the message: every {@link #printEvery(long)} steps if
 *       set, otherwise at most once a second; the last step is always printed when the loop ends.</li>
 * </ul>
 */
public final class Interruptible implements AutoCloseable {
    private final AtomicBoolean stopRequested = new AtomicBoolean();
    private final AtomicInteger signals = new AtomicInteger();
    private static final String[] SIGNALS = {"INT", "TERM"};
    private final SignalHandler[] previous = new SignalHandler[SIGNALS.length];
    private final boolean[] installed = new boolean[SIGNALS.length];
    private volatile String stopSignal;
    private volatile Consumer<String> onSecondSignal;
    private long epoch = -1;
    private long maxSteps = Long.MAX_VALUE;
    private long printEvery = 0;
    private long lastPrintNanos = System.nanoTime();
    private long lastPrintedEpoch = -1;
    private String lastMessage;
    private PrintStream out = System.out;
    private volatile boolean interrupted;

    private Interruptible() {}

    /** Opens a loop and starts catching Ctrl-C and SIGTERM. */
    public static Interruptible open() {
        Interruptible loop = new Interruptible();
        for (int i = 0; i < SIGNALS.length; i++) loop.installSignal(i);
        return loop;
    }

    private void installSignal(int i) {
        try {
            previous[i] = Signal.handle(new Signal(SIGNALS[i]), this::onSignal);
            installed[i] = true;
        } catch (IllegalArgumentException | UnsupportedOperationException e) {
            // The JVM reserves the signal (e.g. -Xrs): the loop still stops through stop().
            installed[i] = false;
        }
    }

    private void onSignal(Signal sig) {
        if (signals.incrementAndGet() >= 2) {
            Consumer<String> callback = onSecondSignal;
            if (callback != null) {
                callback.accept(sig.getName());
                return;
            }
            SignalHandler before = previous[sig.getName().equals("INT") ? 0 : 1];
            restoreHandlers();
            if (before != null && before != SignalHandler.SIG_IGN && before != SignalHandler.SIG_DFL)
                before.handle(sig);
            else Signal.raise(sig);
            return;
        }
        out.println();
        out.println((sig.getName().equals("INT") ? "interrupt" : "SIGTERM")
                + ": finishing the current step (again to stop at once)");
        out.flush();
        stopSignal = sig.getName();
        interrupted = true;
        stopRequested.set(true);
    }

    /**
     * What a second signal does instead of reaching the previous handler: {@code callback} gets the signal's
     * name ("INT" or "TERM"). Returns this.
     */
    public Interruptible onSecondSignal(Consumer<String> callback) {
        onSecondSignal = callback;
        return this;
    }

    /** The signal that stopped the loop, "INT" or "TERM", or null. */
    public String stopSignal() {
        return stopSignal;
    }

    /** The exit status a shell expects after the signal that stopped the loop (128 + its number), or 0. */
    public int exitStatus() {
        String s = stopSignal;
        return s == null ? 0 : s.equals("TERM") ? 143 : 130;
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

    /** Whether the loop ended because of Ctrl-C or SIGTERM. */
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
        restoreHandlers();
    }

    private synchronized void restoreHandlers() {
        for (int i = 0; i < SIGNALS.length; i++) {
            if (installed[i]) {
                Signal.handle(new Signal(SIGNALS[i]), previous[i]);
                installed[i] = false;
            }
        }
    }
}
