package vectorgrad.nn.fuzz;

import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.zip.GZIPOutputStream;
import vectorgrad.nn.data.Idx;
import vectorgrad.nn.io.FormatException;

/**
 * Coverage-guided fuzzing of the IDX reader (Jazzer). What must hold for every input: a valid result or
 * a one-line {@link FormatException}; any other exception, an OutOfMemoryError or a hang is a finding.
 *
 * <p>The first byte picks how the rest reaches the reader: as a raw {@code .idx} file, gzip-compressed
 * by the test (so the fuzzer explores the IDX structure behind the {@code .gz} path), or as the bytes of
 * a {@code .gz} file itself (corrupt gzip streams). Without {@code JAZZER_FUZZ} this runs the committed
 * inputs in {@code IdxFuzzTestInputs/idx} as a regression test; see the README for the fuzzing commands.
 */
class IdxFuzzTest {
    @FuzzTest(maxDuration = "20s")
    void idx(byte[] input) throws IOException {
        if (input.length == 0) return;
        int mode = (input[0] & 0xFF) % 3;
        byte[] body = Arrays.copyOfRange(input, 1, input.length);
        Path f = Files.createTempFile("fuzz", mode == 0 ? ".idx" : ".idx.gz");
        try {
            Files.write(f, mode == 1 ? gzip(body) : body);
            Idx.UByteArray a = Idx.read(f);
            long n = 1;
            for (int d : a.dims()) n *= d;
            assertTrue(n == a.data().length, "dims and data disagree");
        } catch (FormatException e) {
            FuzzChecks.oneLine(e);
        } finally {
            Files.deleteIfExists(f);
        }
    }

    static byte[] gzip(byte[] b) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (GZIPOutputStream g = new GZIPOutputStream(out)) {
            g.write(b);
        }
        return out.toByteArray();
    }
}
