package vectorgrad.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import jdk.jshell.JShell;
import jdk.jshell.Snippet;
import jdk.jshell.SnippetEvent;
import jdk.jshell.SourceCodeAnalysis;
import org.junit.jupiter.api.Test;

/**
 * Drives the README's JShell walkthrough ({@code examples/jshell/seed.jsh}, then {@code textbook1.jsh})
 * through JShell's API, entered as the jshell tool does — a snippet is evaluated when a line completes
 * it — and checks what it prints: the loop paused with the prompt free, was inspected, had its learning
 * rate changed, resumed, and was stopped at the maximum-likelihood fit.
 */
class JShellScriptTest {
    @Test
    void theTextbookWalkthroughRunsInJShell() throws Exception {
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        PrintStream out = new PrintStream(buf, true, StandardCharsets.UTF_8);
        try (JShell js = JShell.builder()
                .out(out)
                .err(out)
                .remoteVMOptions(
                        "--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED", "-Xmx512m")
                .build()) {
            js.addToClasspath(System.getProperty("java.class.path"));
            for (String f : new String[] {"jshell/seed.jsh", "jshell/textbook1.jsh"})
                feed(js, Files.readString(Path.of(f)));
        }
        String printed = buf.toString(StandardCharsets.UTF_8);
        assertTrue(printed.contains("vectorgrad loaded"), printed);
        Matcher paused =
                Pattern.compile("paused at step (\\d+): alpha=([-0-9.]+)").matcher(printed);
        assertTrue(paused.find(), printed);
        assertTrue(Long.parseLong(paused.group(1)) > 0, printed);
        Matcher stopped = Pattern.compile("stopped at step (\\d+): alpha=([-0-9.]+) beta=([-0-9.]+) sigma=([-0-9.]+)")
                .matcher(printed);
        assertTrue(stopped.find(), printed);
        assertTrue(Long.parseLong(stopped.group(1)) > Long.parseLong(paused.group(1)), printed);
        // the closed-form maximum-likelihood fit of this data: alpha 1.9875, beta 0.4996, sigma 0.3062
        assertEquals(1.9875, Double.parseDouble(stopped.group(2)), 0.02, printed);
        assertEquals(0.4996, Double.parseDouble(stopped.group(3)), 0.02, printed);
        assertEquals(0.3062, Math.abs(Double.parseDouble(stopped.group(4))), 0.02, printed);
    }

    /** Feeds a script line by line, evaluating each snippet as soon as a line completes it. */
    static void feed(JShell js, String script) {
        SourceCodeAnalysis sca = js.sourceCodeAnalysis();
        StringBuilder pending = new StringBuilder();
        for (String line : script.split("\n", -1)) {
            pending.append(line).append('\n');
            while (true) {
                SourceCodeAnalysis.CompletionInfo ci = sca.analyzeCompletion(pending.toString());
                SourceCodeAnalysis.Completeness c = ci.completeness();
                if (c == SourceCodeAnalysis.Completeness.EMPTY) {
                    pending.setLength(0);
                    break;
                }
                if (!c.isComplete()) break;
                for (SnippetEvent e : js.eval(ci.source())) {
                    if (e.status() == Snippet.Status.REJECTED) {
                        fail("rejected: " + ci.source() + " "
                                + js.diagnostics(e.snippet())
                                        .map(d -> d.getMessage(null))
                                        .toList());
                    }
                    if (e.exception() != null) fail("threw: " + ci.source() + " " + e.exception());
                }
                pending.setLength(0);
                pending.append(ci.remaining());
                if (ci.remaining().isBlank()) {
                    pending.setLength(0);
                    break;
                }
            }
        }
    }
}
