package vectorgrad.examples;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

/** Runs {@code ./vectorgrad}'s Main in-process, capturing what it prints and its exit status. */
final class Cli {
    private Cli() {}

    record Run(int status, String out, String err) {}

    /** The number in {@code "name":value} of a one-line JSON object. */
    static double field(String json, String name) {
        java.util.regex.Matcher m =
                java.util.regex.Pattern.compile("\"" + name + "\":([-0-9.eE]+)").matcher(json);
        if (!m.find()) throw new AssertionError("no " + name + " in " + json);
        return Double.parseDouble(m.group(1));
    }

    /** The last line printed (where the programs put their JSON). */
    static String lastLine(String s) {
        String t = s.strip();
        return t.substring(t.lastIndexOf('\n') + 1);
    }

    static synchronized Run run(String... args) {
        PrintStream oldOut = System.out, oldErr = System.err;
        ByteArrayOutputStream out = new ByteArrayOutputStream(), err = new ByteArrayOutputStream();
        try {
            System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
            System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
            int status = Main.run(args);
            return new Run(status, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
        } finally {
            System.setOut(oldOut);
            System.setErr(oldErr);
        }
    }
}
