package vectorgrad.nn.fuzz;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import vectorgrad.autograd.Tensor;
import vectorgrad.nn.io.FormatException;
import vectorgrad.nn.io.SafeTensors;

/**
 * Coverage-guided fuzzing of the safetensors reader (Jazzer): a valid result (whose tensors are read out
 * and released) or a one-line {@link FormatException}; anything else, an OutOfMemoryError (a header
 * claiming a 100 GB tensor must be refused before allocating) or a hang is a finding.
 */
class SafeTensorsFuzzTest {
    @FuzzTest(maxDuration = "20s")
    void safetensors(byte[] input) throws IOException {
        Path f = Files.createTempFile("fuzz", ".safetensors");
        try {
            Files.write(f, input);
            SafeTensors.Contents c = SafeTensors.read(f);
            for (Tensor t : c.tensors().values()) {
                t.toFloatArray();
                t.close();
            }
        } catch (FormatException e) {
            FuzzChecks.oneLine(e);
        } finally {
            Files.deleteIfExists(f);
        }
    }
}
