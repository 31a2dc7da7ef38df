package vectorgrad.examples.fuzz;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import vectorgrad.examples.LinearRegression;
import vectorgrad.examples.UsageException;

/**
 * Coverage-guided fuzzing of the linear-regression program's CSV reader (Jazzer): every input gives
 * finite x/y columns of equal, positive length, or a one-line {@link UsageException} naming the file.
 */
class CsvFuzzTest {
    /** The committed seed corpus holds valid files, so the fuzzer starts from inputs that parse. */
    @org.junit.jupiter.api.Test
    void seedsAreValid() throws IOException {
        try (var files = Files.list(Path.of("src/test/resources/vectorgrad/examples/fuzz/CsvFuzzTestInputs/csv"))) {
            for (Path f : files.toList()) assertTrue(LinearRegression.readCsv(f).x().length >= 2, f.toString());
        }
    }

    @FuzzTest(maxDuration = "20s")
    void csv(byte[] input) throws IOException {
        Path f = Files.createTempFile("fuzz", ".csv");
        try {
            Files.write(f, input);
            LinearRegression.Data d = LinearRegression.readCsv(f);
            assertEquals(d.x().length, d.y().length);
            assertTrue(d.x().length > 0);
            for (int i = 0; i < d.x().length; i++) assertTrue(Float.isFinite(d.x()[i]) && Float.isFinite(d.y()[i]));
        } catch (UsageException e) {
            assertTrue(e.getMessage().startsWith(f.toString()), e.getMessage());
            assertFalse(
                    e.getMessage().contains("\n") || e.getMessage().contains("\r"),
                    "message spans lines: " + e.getMessage());
        } finally {
            Files.deleteIfExists(f);
        }
    }
}
