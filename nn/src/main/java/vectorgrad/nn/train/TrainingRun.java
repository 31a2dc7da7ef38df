package vectorgrad.nn.train;

import java.io.PrintStream;
import java.time.Duration;
import java.util.Locale;
import vectorgrad.autograd.MemoryScope;

/**
 * A training loop on a background thread, with a handle: the interactive counterpart of the textbook's
 * interruptible loop. In JShell (or any program that wants its prompt free) Ctrl-C would stop a running
 * snippet anywhere, possibly halfway through an optimizer step; this handle stops only between steps.
 *
 * <pre>{@code
 * var run = TrainingRun.start(step -> {
 *     optimizer.zeroGrad();
 *     Tensor e = model.forward(x, y).mean().neg();
 *     e.backward();
 *     optimizer.step();
 *     return -e.item();                 // what progress reports show (here the log-likelihood)
 * });
 * run.pause();                          // returns once the loop rests between two steps
 * model.f.alpha.item();                 // inspect
 * optimizer.setLr(0.01);                // tweak
 * run.resume();                         // the same trajectory goes on
 * run.stop();                           // ends after the current step; returns the steps done
 * }</pre>
 *
 * <p>Each step runs inside its own {@link MemoryScope}, so the step's intermediate tensors go back to
 * the native cache when it ends (keep nothing from inside a step but numbers). Progress goes to the console at
 * most every {@link #DEFAULT_PRINT_INTERVAL} (see {@link #printEvery}), so it does not bury the prompt;
 * nothing is printed while paused. The thread is a daemon: it never keeps a finished program alive.
 */
public final class TrainingRun {
    /** One training step; returns the value progress reports show (the loss, the log-likelihood...). */
    @FunctionalInterface
    public interface Step {
        double run(long step) throws Exception;
    }

    public enum State {
        RUNNING,
        PAUSED,
        STOPPED,
        FINISHED,
        FAILED
    }

    public static final Duration DEFAULT_PRINT_INTERVAL = Duration.ofSeconds(5);

    private final Object lock = new Object();
    private final Step body;
    private final long maxSteps;
    private final Thread thread;
    private volatile PrintStream out = System.out;
    private volatile long printIntervalNanos = DEFAULT_PRINT_INTERVAL.toNanos();
    private volatile String label = "value";
    // guarded by lock
    private boolean pauseRequested, stopRequested;
    private State state = State.RUNNING;
    private long steps;
    private double last = Double.NaN;
    private Throwable failure;

    private TrainingRun(long maxSteps, Step body) {
        this.body = body;
        this.maxSteps = maxSteps;
        this.thread = Thread.ofPlatform().daemon().name("vectorgrad-training").unstarted(this::loop);
    }

    /** Starts {@code step} on a background thread, running until {@link #stop()}. */
    public static TrainingRun start(Step step) {
        return start(Long.MAX_VALUE, step);
    }

    /** Starts {@code step} on a background thread for at most {@code maxSteps} steps. */
    public static TrainingRun start(long maxSteps, Step step) {
        if (maxSteps < 0) throw new IllegalArgumentException("maxSteps must be >= 0, got " + maxSteps);
        TrainingRun r = new TrainingRun(maxSteps, step);
        r.thread.start();
        return r;
    }

    /** Progress every {@code interval} at most ({@code Duration.ZERO}: never), naming the value {@code label}. */
    public TrainingRun printEvery(Duration interval, String label) {
        this.printIntervalNanos = interval.isZero() ? Long.MAX_VALUE : interval.toNanos();
        this.label = label;
        return this;
    }

    public TrainingRun printTo(PrintStream out) {
        this.out = out;
        return this;
    }

    private void loop() {
        long lastPrint = System.nanoTime(), stepsAtPrint = 0;
        try {
            while (true) {
                long n;
                synchronized (lock) {
                    while (pauseRequested && !stopRequested && steps < maxSteps) {
                        state = State.PAUSED;
                        lock.notifyAll();
                        lock.wait();
                        lastPrint = System.nanoTime(); // a pause is not slow progress
                        stepsAtPrint = steps;
                    }
                    if (stopRequested || steps >= maxSteps) {
                        state = stopRequested ? State.STOPPED : State.FINISHED;
                        lock.notifyAll();
                        return;
                    }
                    state = State.RUNNING;
                    n = steps;
                }
                double v;
                try (MemoryScope s = MemoryScope.open()) {
                    v = body.run(n);
                }
                synchronized (lock) {
                    steps = n + 1;
                    last = v;
                }
                long now = System.nanoTime();
                if (now - lastPrint >= printIntervalNanos) {
                    double rate = (n + 1 - stepsAtPrint) / ((now - lastPrint) / 1e9);
                    out.printf(Locale.ROOT, "[training] step=%d %s=%.4g (%.0f steps/s)%n", n + 1, label, v, rate);
                    lastPrint = now;
                    stepsAtPrint = n + 1;
                }
            }
        } catch (Throwable t) {
            synchronized (lock) {
                failure = t;
                state = State.FAILED;
                lock.notifyAll();
            }
            out.println("[training] stopped by " + t);
        }
    }

    /** Asks the loop to rest after the current step and waits until it does; returns the steps done. */
    public long pause() throws InterruptedException {
        synchronized (lock) {
            pauseRequested = true;
            lock.notifyAll();
            if (Thread.currentThread() == thread) return steps; // from inside a step: takes effect after it
            while (state == State.RUNNING) lock.wait();
            return steps;
        }
    }

    /** Lets a paused loop go on with the next step. */
    public void resume() {
        synchronized (lock) {
            pauseRequested = false;
            lock.notifyAll();
        }
    }

    /** Ends the loop after the current step (or at once if paused), waits for it, and returns the steps done. */
    public long stop() throws InterruptedException {
        synchronized (lock) {
            stopRequested = true;
            lock.notifyAll();
            if (Thread.currentThread() == thread) return steps; // from inside a step: ends after it
        }
        thread.join();
        return steps();
    }

    /** Waits until the loop ends (its step limit, {@link #stop()}, or a failure); returns the steps done. */
    public long await() throws InterruptedException {
        if (Thread.currentThread() == thread)
            throw new IllegalStateException("await() inside a step would wait for itself");
        thread.join();
        return steps();
    }

    public long steps() {
        synchronized (lock) {
            return steps;
        }
    }

    /** The value the last step returned. */
    public double last() {
        synchronized (lock) {
            return last;
        }
    }

    public State state() {
        synchronized (lock) {
            return state;
        }
    }

    /** What ended the loop with {@link State#FAILED}, else null. */
    public Throwable failure() {
        synchronized (lock) {
            return failure;
        }
    }

    @Override
    public String toString() {
        synchronized (lock) {
            return String.format(Locale.ROOT, "TrainingRun[%s, step=%d, %s=%.4g]", state, steps, label, last);
        }
    }
}
