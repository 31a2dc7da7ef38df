package vectorgrad.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.junit.jupiter.api.Test;

class BenchMainTest {
    /** What the forks start with: with a width, the Vector API module is still there (else scalar kernels). */
    @Test
    void forksKeepTheVectorModuleWhenHeldToAWidth() {
        for (int bits : new int[] {0, 128, 256, 512}) {
            List<String> args = List.copyOf(BenchMain.options("X", 2, false, bits)
                    .build()
                    .getJvmArgsAppend()
                    .get());
            List<String> expected = new java.util.ArrayList<>(List.of(
                    "--add-modules",
                    "jdk.incubator.vector",
                    "--enable-native-access=ALL-UNNAMED",
                    "-XX:+UseParallelGC",
                    "-Dvectorgrad.threads=2"));
            if (bits != 0) expected.add("-XX:UseAVX=" + BenchMain.useAvx(bits));
            assertEquals(expected, args, "forked JVM flags at " + bits + " bits");
        }
    }
}
