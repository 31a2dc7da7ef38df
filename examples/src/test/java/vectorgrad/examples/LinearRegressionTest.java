package vectorgrad.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The linreg command as a user runs it: its JSON answer, and one-line errors for bad input. */
class LinearRegressionTest {
    @TempDir
    Path dir;

    private static Cli.Run run(String... args) {
        return Cli.run(args);
    }

    @Test
    void defaultRunRecoversTheMaximumLikelihoodEstimate() {
        Cli.Run r = run("linreg", "--json", "--print-every", "5000");
        assertEquals(0, r.status(), r.err());
        String[] lines = r.out().strip().split("\n");
        String json = lines[lines.length - 1];
        double[] mle = LinearRegression.closedForm(LinearRegression.synthetic(1000, 2, 0.5, 0.3, 0));
        // Adam at lr 1e-3 settles within ~1e-4 of the optimum; the MLE itself is within ~0.02 of the truth
        assertEquals(mle[0], Cli.field(json, "alpha"), 2e-3);
        assertEquals(mle[1], Cli.field(json, "beta"), 2e-3);
        assertEquals(mle[2], Cli.field(json, "sigma"), 2e-3);
        assertEquals(2.0, Cli.field(json, "alpha"), 0.05);
        assertEquals(0.5, Cli.field(json, "beta"), 0.05);
        assertEquals(0.3, Cli.field(json, "sigma"), 0.03);
        assertEquals(20000, (long) Cli.field(json, "steps"));
        assertTrue(r.out().contains("epoch=0 loglik="), r.out());
        assertTrue(r.out().contains("epoch=19999 loglik="), "the last step is always reported");
    }

    @Test
    void csvWithHeaderIsRead() throws IOException {
        Path csv = dir.resolve("data.csv");
        StringBuilder sb = new StringBuilder("x,y\n");
        for (int i = 0; i < 50; i++)
            sb.append(i * 0.1)
                    .append(',')
                    .append(1 + 2 * i * 0.1 + 0.1 * Math.sin(i))
                    .append('\n');
        Files.writeString(csv, sb.toString());
        LinearRegression.Data d = LinearRegression.readCsv(csv);
        assertEquals(50, d.x().length);
        Cli.Run r = run(
                "linreg", "--data", csv.toString(), "--steps", "20000", "--lr", "0.01", "--json", "--print-every", "0");
        assertEquals(0, r.status(), r.err());
        double[] mle = LinearRegression.closedForm(d);
        String json = r.out().strip().substring(r.out().strip().lastIndexOf('\n') + 1);
        assertEquals(mle[0], Cli.field(json, "alpha"), 0.02);
        assertEquals(mle[1], Cli.field(json, "beta"), 0.02);
    }

    private void assertOneLineError(Cli.Run r, String... fragments) {
        assertEquals(2, r.status(), r.out() + r.err());
        String err = r.err().strip();
        assertFalse(err.contains("\n"), "one line: " + err);
        assertFalse(err.contains("Exception") || err.contains("\tat "), "no stack trace: " + err);
        for (String f : fragments) assertTrue(err.contains(f), "'" + f + "' in: " + err);
    }

    @Test
    void badInputGetsAOneLineErrorNamingFileAndLine() throws IOException {
        assertOneLineError(
                run("linreg", "--data", dir.resolve("missing.csv").toString()), "missing.csv", "no such file");
        Path bad = dir.resolve("bad.csv");
        Files.writeString(bad, "x,y\n1,2\n3,oops\n");
        assertOneLineError(run("linreg", "--data", bad.toString()), "bad.csv:3", "oops");
        Path one = dir.resolve("one.csv");
        Files.writeString(one, "1,2\n3\n");
        assertOneLineError(run("linreg", "--data", one.toString()), "one.csv:2", "2 columns");
        Path empty = dir.resolve("empty.csv");
        Files.writeString(empty, "");
        assertOneLineError(run("linreg", "--data", empty.toString()), "empty.csv", "no data");
        Path headerOnly = dir.resolve("header.csv");
        Files.writeString(headerOnly, "x,y\n");
        assertOneLineError(run("linreg", "--data", headerOnly.toString()), "header.csv", "no data");
        assertOneLineError(run("linreg", "--steps", "-5"), "--steps", "-5");
        assertOneLineError(run("linreg", "--lr", "abc"), "--lr", "abc");
        assertOneLineError(run("linreg", "--bogus"), "unknown option --bogus");
        assertOneLineError(run("linreg", "--sigma", "0"), "--sigma");
    }
}
