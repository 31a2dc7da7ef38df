package vectorgrad.examples;

import java.io.PrintStream;

/**
 * Progress reports of a long run. On a terminal, one live line: a bar and the report, redrawn in place
 * ({@code \r}); anywhere else (a pipe, a CI log, a test) one plain line per report, as before.
 */
final class ProgressLine {
    private static final int WIDTH = 24;
    private final PrintStream out;
    private final boolean live;
    private boolean drawn;

    ProgressLine(PrintStream out) {
        this(
                out,
                out == System.out
                        && System.console() != null
                        && System.console().isTerminal());
    }

    ProgressLine(PrintStream out, boolean live) {
        this.out = out;
        this.live = live;
    }

    /** Shows {@code text} with the fraction of the work done (0 to 1). */
    void report(String text, double fraction) {
        if (!live) {
            out.println(text);
            return;
        }
        out.print("\r" + bar(fraction) + " " + text + "\u001b[K"); // ESC[K: clear what a longer line left
        out.flush();
        drawn = true;
    }

    /** Ends the live line so what follows starts on a line of its own. */
    void end() {
        if (drawn) out.println();
        drawn = false;
    }

    static String bar(double fraction) {
        double f = Math.max(0, Math.min(1, fraction));
        int full = (int) Math.round(f * WIDTH);
        return "[" + "#".repeat(full) + "-".repeat(WIDTH - full)
                + String.format(java.util.Locale.ROOT, "] %3.0f%%", f * 100);
    }
}
