package vectorgrad.spark.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import vectorgrad.examples.Main;
import vectorgrad.examples.MnistClassifier;
import vectorgrad.nn.Parameter;
import vectorgrad.nn.io.Checkpoint;

/** The two programs from the command line, in local mode, against their single-machine counterparts. */
class SparkMnistCommandTest {
    @TempDir
    Path dir;

    record Run(int status, String out, String err) {
        String last() {
            String t = out.strip();
            return t.substring(t.lastIndexOf('\n') + 1);
        }
    }

    static synchronized Run run(boolean spark, String... args) {
        PrintStream oldOut = System.out, oldErr = System.err;
        ByteArrayOutputStream out = new ByteArrayOutputStream(), err = new ByteArrayOutputStream();
        try {
            System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
            System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
            int status = spark ? SparkMain.run(args) : Main.run(args);
            return new Run(status, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
        } finally {
            System.setOut(oldOut);
            System.setErr(oldErr);
        }
    }

    /** MNIST's IDX files with {@code train} and {@code test} random images (labels 0-9). */
    static void writeIdx(Path root, int train, int test) throws IOException {
        SplittableRandom rnd = new SplittableRandom(2);
        for (String split : new String[] {"train", "t10k"}) {
            int n = split.equals("train") ? train : test;
            ByteArrayOutputStream images = new ByteArrayOutputStream(), labels = new ByteArrayOutputStream();
            images.writeBytes(new byte[] {
                0, 0, 8, 3, (byte) (n >>> 24), (byte) (n >>> 16), (byte) (n >>> 8), (byte) n, 0, 0, 0, 28, 0, 0, 0, 28
            });
            labels.writeBytes(
                    new byte[] {0, 0, 8, 1, (byte) (n >>> 24), (byte) (n >>> 16), (byte) (n >>> 8), (byte) n});
            for (int i = 0; i < n; i++) {
                int label = rnd.nextInt(10);
                labels.write(label);
                for (int k = 0; k < 784; k++)
                    images.write(k / 28 / 3 == label ? 150 + rnd.nextInt(100) : rnd.nextInt(60));
            }
            Files.write(root.resolve(split + "-images-idx3-ubyte"), images.toByteArray());
            Files.write(root.resolve(split + "-labels-idx1-ubyte"), labels.toByteArray());
        }
    }

    @BeforeEach
    void data() throws IOException {
        writeIdx(dir, 640, 100);
    }

    static Map<String, Parameter> weights(Path checkpoint) throws IOException {
        MnistClassifier m = new MnistClassifier();
        Checkpoint.load(checkpoint, m, null);
        return m.namedParameters();
    }

    @Test
    void trainOnTwoWorkersMatchesMnistTrainWeightByWeightAndClassifyMatchesMnistEval() throws IOException {
        Path one = dir.resolve("one.safetensors"), two = dir.resolve("two.safetensors");
        Run single = run(
                false,
                "mnist",
                "train",
                "--data",
                dir.toString(),
                "--batch-size",
                "32",
                "--max-steps",
                "15",
                "--checkpoint",
                one.toString(),
                "--json");
        assertEquals(0, single.status(), single.err());
        Run spark = run(
                true,
                "mnist",
                "train",
                "--master",
                "local[2]",
                "--workers",
                "2",
                "--data",
                dir.toString(),
                "--batch-size",
                "32",
                "--max-steps",
                "15",
                "--checkpoint",
                two.toString(),
                "--json");
        assertEquals(0, spark.status(), spark.err());
        assertTrue(spark.last().startsWith("{\"test_accuracy\":"), spark.out());
        assertTrue(spark.last().contains("\"steps\":15"), spark.last());

        // the workers' gradients are summed in another order than one process sums the batch, so weights
        // differ in their last bits; Adam divides each gradient by its running RMS, and a weight whose
        // gradients are at rounding level moves by up to lr a step in a direction that rounding decides
        // (seen on 256-bit vectors: one weight of fc1's 1,179,648 6.1e-5 apart, all others within 3.4e-6).
        // So: all but one in 100,000 weights within 2e-5, every weight within 2e-4 (a fifth of lr)
        Map<String, Parameter> a = weights(one), b = weights(two);
        for (String k : a.keySet()) {
            float[] x = a.get(k).toFloatArray(), y = b.get(k).toFloatArray();
            int loose = 0;
            for (int i = 0; i < x.length; i++) {
                assertEquals(x[i], y[i], 2e-4, k + "[" + i + "]");
                if (Math.abs(x[i] - y[i]) > 2e-5) loose++;
            }
            assertTrue(
                    loose <= x.length / 100_000,
                    k + ": " + loose + " of " + x.length + " weights more than 2e-5 apart");
        }
        Map<String, String> md = Checkpoint.load(two, new MnistClassifier(), null);
        assertEquals("15", md.get("step"));
        assertEquals("15", md.get("batch"));

        Run eval = run(false, "mnist", "eval", "--checkpoint", two.toString(), "--data", dir.toString(), "--json");
        Run classify = run(
                true,
                "mnist",
                "classify",
                "--checkpoint",
                two.toString(),
                "--data",
                dir.toString(),
                "--master",
                "local[2]",
                "--json",
                "--output",
                dir.resolve("predictions").toString());
        assertEquals(0, classify.status(), classify.err());
        String acc = eval.last().replaceAll(".*\"accuracy\":([0-9.]+).*", "$1");
        assertEquals("{\"rows\":100,\"accuracy\":" + acc + "}", classify.last());
        assertTrue(Files.isDirectory(dir.resolve("predictions")));
    }

    @Test
    void badInputIsOneClearLine() throws IOException {
        Run noCkpt = run(true, "mnist", "classify", "--data", dir.toString());
        assertEquals(2, noCkpt.status());
        assertEquals(
                "vectorgrad: spark mnist classify: --checkpoint FILE is required",
                noCkpt.err().strip());
        Run missing = run(
                true, "mnist", "classify", "--checkpoint", dir.resolve("none").toString(), "--data", dir.toString());
        assertEquals(2, missing.status());
        assertTrue(missing.err().contains("none: no such checkpoint"), missing.err());
        Run unknown = run(true, "mnist", "train", "--workers", "0");
        assertEquals(2, unknown.status());
        assertTrue(unknown.err().contains("--workers must be >= 1"), unknown.err());
    }
}
