package vectorgrad.examples;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import vectorgrad.autograd.Tensor;
import vectorgrad.nn.io.SafeTensors;

/** The mnist command end to end on small IDX files it writes: train, resume, eval, classify, errors. */
class MnistCommandTest {
    @TempDir
    Path dir;

    private static Cli.Run run(String... args) {
        return Cli.run(args);
    }

    /** 60 training and 20 test images: digit-like blobs whose position depends on the label. */
    static void writeData(Path root, int train, int test) throws IOException {
        for (String split : new String[] {"train", "t10k"}) {
            int n = split.equals("train") ? train : test;
            byte[] px = new byte[n * 784], lb = new byte[n];
            for (int i = 0; i < n; i++) {
                int label = i % 10;
                lb[i] = (byte) label;
                for (int y = 0; y < 28; y++)
                    for (int x = 0; x < 28; x++) {
                        boolean on = Math.abs(y - (4 + 2 * label)) < 3 && Math.abs(x - (6 + (i * 7) % 16)) < 4;
                        px[i * 784 + y * 28 + x] = (byte) (on ? 200 + (i % 50) : (i * 31 + x) % 20);
                    }
            }
            Files.write(root.resolve(split + "-images-idx3-ubyte"), idx(new int[] {n, 28, 28}, px));
            Files.write(root.resolve(split + "-labels-idx1-ubyte"), idx(new int[] {n}, lb));
        }
    }

    static byte[] idx(int[] dims, byte[] data) {
        ByteArrayOutputStream o = new ByteArrayOutputStream();
        o.writeBytes(new byte[] {0, 0, 8, (byte) dims.length});
        for (int d : dims) o.writeBytes(new byte[] {(byte) (d >>> 24), (byte) (d >>> 16), (byte) (d >>> 8), (byte) d});
        o.writeBytes(data);
        return o.toByteArray();
    }

    @BeforeEach
    void data() throws IOException {
        writeData(dir, 60, 20);
    }

    @Test
    void trainsWithProgressAndJson() {
        Cli.Run r = run(
                "mnist",
                "train",
                "--data",
                dir.toString(),
                "--epochs",
                "2",
                "--batch-size",
                "5",
                "--json",
                "--threads",
                "2");
        assertEquals(0, r.status(), r.err());
        assertTrue(r.out().contains("epoch=0 batch=0/12 loglik="), r.out());
        assertTrue(r.out().contains("epoch=1 batch=0/12"), r.out());
        String json = Cli.lastLine(r.out());
        assertEquals(24, (long) Cli.field(json, "steps"));
        double acc = Cli.field(json, "test_accuracy");
        assertTrue(acc >= 0 && acc <= 1);
        assertTrue(Cli.field(json, "images_per_s") > 0);
    }

    /** Stopped after 7 steps and resumed, the run ends where one uninterrupted run of 15 steps ends. */
    @Test
    void resumingContinuesTheSameTrajectory() throws IOException {
        Path whole = dir.resolve("whole.safetensors"), part = dir.resolve("part.safetensors");
        String d = dir.toString();
        assertEquals(
                0,
                run(
                                "mnist",
                                "train",
                                "--data",
                                d,
                                "--max-steps",
                                "15",
                                "--checkpoint",
                                whole.toString(),
                                "--shuffle",
                                "--seed",
                                "3")
                        .status());
        assertEquals(
                0,
                run(
                                "mnist",
                                "train",
                                "--data",
                                d,
                                "--max-steps",
                                "7",
                                "--checkpoint",
                                part.toString(),
                                "--shuffle",
                                "--seed",
                                "3")
                        .status());
        Cli.Run resumed = run(
                "mnist",
                "train",
                "--data",
                d,
                "--max-steps",
                "15",
                "--checkpoint",
                part.toString(),
                "--resume",
                "--shuffle",
                "--seed",
                "3");
        assertEquals(0, resumed.status(), resumed.err());
        assertTrue(resumed.out().contains("resumed from"), resumed.out());
        Map<String, Tensor> a = SafeTensors.read(whole).tensors(),
                b = SafeTensors.read(part).tensors();
        assertEquals(a.keySet(), b.keySet());
        for (String k : a.keySet())
            assertArrayEquals(a.get(k).toFloatArray(), b.get(k).toFloatArray(), 0f, k);
        assertTrue(a.containsKey("f.0.weight") && a.containsKey("optimizer.state.0.exp_avg"));
    }

    /**
     * SIGTERM (what systemd and Kubernetes send) is Ctrl-C: the child finishes its step, writes the
     * checkpoint and exits with 143; resumed, the run ends where an uninterrupted one ends.
     */
    @Test
    void sigtermSavesExits143AndResumes() throws Exception {
        Path whole = dir.resolve("whole.safetensors"), part = dir.resolve("part.safetensors");
        String d = dir.toString();
        String[] train = {
            "mnist",
            "train",
            "--data",
            d,
            "--epochs",
            "200",
            "--max-steps",
            "1500",
            "--shuffle",
            "--seed",
            "3",
            "--checkpoint"
        };
        String javaBin = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        java.util.List<String> cmd = new java.util.ArrayList<>(java.util.List.of(
                javaBin,
                "--add-modules",
                "jdk.incubator.vector",
                "--enable-native-access=ALL-UNNAMED",
                "-Dvectorgrad.threads=1",
                "-cp",
                System.getProperty("java.class.path"),
                Main.class.getName()));
        cmd.addAll(java.util.List.of(train));
        cmd.addAll(java.util.List.of(part.toString(), "--print-every", "1"));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        StringBuilder out = new StringBuilder();
        try (var r = new java.io.BufferedReader(
                new java.io.InputStreamReader(p.getInputStream(), java.nio.charset.StandardCharsets.UTF_8))) {
            for (String l; (l = r.readLine()) != null; ) {
                out.append(l).append('\n');
                // SIGTERM through the handle: Process.destroy() would also close the stream read here
                if (l.contains("batch=3/")) p.toHandle().destroy();
            }
        }
        assertEquals(143, p.waitFor(), out.toString());
        assertTrue(out.toString().contains("checkpoint written to"), out.toString());

        String[] wholeArgs = java.util.Arrays.copyOf(train, train.length + 1);
        wholeArgs[train.length] = whole.toString();
        assertEquals(0, run(wholeArgs).status());
        String[] resumeArgs = java.util.Arrays.copyOf(train, train.length + 2);
        resumeArgs[train.length] = part.toString();
        resumeArgs[train.length + 1] = "--resume";
        Cli.Run resumed = run(resumeArgs);
        assertEquals(0, resumed.status(), resumed.err());
        Map<String, Tensor> a = SafeTensors.read(whole).tensors(),
                b = SafeTensors.read(part).tensors();
        assertEquals(a.keySet(), b.keySet());
        for (String k : a.keySet())
            assertArrayEquals(a.get(k).toFloatArray(), b.get(k).toFloatArray(), 0f, k);
    }

    @Test
    void evalAndClassifyReadTheCheckpoint() throws IOException {
        Path ckpt = dir.resolve("m.safetensors");
        assertEquals(
                0,
                run("mnist", "train", "--data", dir.toString(), "--max-steps", "5", "--checkpoint", ckpt.toString())
                        .status());
        Cli.Run ev = run("mnist", "eval", "--checkpoint", ckpt.toString(), "--data", dir.toString(), "--json");
        assertEquals(0, ev.status(), ev.err());
        String json = Cli.lastLine(ev.out());
        assertTrue(
                json.matches("\\{\"accuracy\":[0-9.]+,\"per_class\":\\[.*],\"confusion\":\\[(\\[[0-9,]+],?){10}]}"),
                json);
        Cli.Run cl = run(
                "mnist",
                "classify",
                "--checkpoint",
                ckpt.toString(),
                "--data",
                dir.toString(),
                "--index",
                "11",
                "--json");
        assertEquals(0, cl.status(), cl.err());
        assertTrue(cl.out().contains("training image 11 (label 1)"), cl.out());
        double total = 0;
        Matcher m = Pattern.compile("\"probabilities\":\\[([^]]*)]").matcher(Cli.lastLine(cl.out()));
        assertTrue(m.find());
        for (String p : m.group(1).split(",")) total += Double.parseDouble(p);
        assertEquals(1.0, total, 1e-4);
        BufferedImage img = new BufferedImage(28, 28, BufferedImage.TYPE_BYTE_GRAY);
        img.getRaster().setSample(14, 14, 0, 255);
        Path png = dir.resolve("digit.png");
        ImageIO.write(img, "png", png.toFile());
        Cli.Run fromPng = run("mnist", "classify", "--checkpoint", ckpt.toString(), "--image", png.toString());
        assertEquals(0, fromPng.status(), fromPng.err());
        assertTrue(fromPng.out().contains("<- predicted"), fromPng.out());
    }

    /**
     * An absurd learning rate makes the weights overflow within a few steps: the run stops before the
     * step that would spoil the parameters, names the op that produced the first non-finite value (a
     * replay with anomaly detection), and keeps the last checkpoint with finite weights.
     */
    @Test
    void divergenceStopsNamesTheOpAndKeepsTheLastGoodCheckpoint() throws IOException {
        Path ckpt = dir.resolve("diverging.safetensors");
        Cli.Run r = run(
                "mnist",
                "train",
                "--data",
                dir.toString(),
                "--lr",
                "1e30",
                "--max-steps",
                "20",
                "--checkpoint",
                ckpt.toString(),
                "--save-every",
                "1");
        assertOneLineError(
                r,
                "diverged at step",
                "produced",
                "created at vectorgrad.examples.MnistClassifier",
                "the last good checkpoint");
        java.util.regex.Matcher m = Pattern.compile("diverged at step (\\d+).*\\(step (\\d+)\\) was kept")
                .matcher(r.err());
        assertTrue(m.find(), r.err());
        long stepDiverged = Long.parseLong(m.group(1)), kept = Long.parseLong(m.group(2));
        assertEquals(stepDiverged - 1, kept);
        SafeTensors.Contents c = SafeTensors.read(ckpt);
        assertEquals(Long.toString(kept), c.metadata().get("step"));
        for (Map.Entry<String, Tensor> e : c.tensors().entrySet()) {
            for (float v : e.getValue().toFloatArray()) assertTrue(Float.isFinite(v), e.getKey() + " holds " + v);
        }
        // with --detect-anomaly the op is caught as it runs; same one-line report
        Cli.Run d = run(
                "mnist", "train", "--data", dir.toString(), "--lr", "1e30", "--max-steps", "20", "--detect-anomaly");
        assertOneLineError(
                d,
                "diverged at step",
                "produced",
                "created at vectorgrad.examples.MnistClassifier",
                "no checkpoint was written");
        assertFalse(vectorgrad.autograd.Anomaly.isEnabled(), "the run turned detection off again");
    }

    private void assertOneLineError(Cli.Run r, String... fragments) {
        assertEquals(2, r.status(), r.out() + r.err());
        String err = r.err().strip();
        err = err.substring(err.lastIndexOf("vectorgrad: "));
        assertFalse(err.contains("\n"), "one line: " + err);
        assertFalse(err.contains("Exception") || err.contains("\tat "), "no stack trace: " + err);
        for (String f : fragments) assertTrue(err.contains(f), "'" + f + "' in: " + err);
    }

    @Test
    void badInputIsAOneLineError() throws IOException {
        assertOneLineError(
                run("mnist", "train", "--data", dir.resolve("nowhere").toString()), "nowhere", "no such data folder");
        Files.write(dir.resolve("t10k-images-idx3-ubyte"), new byte[] {1, 2, 3, 4, 5, 6, 7, 8});
        assertOneLineError(
                run("mnist", "train", "--data", dir.toString(), "--max-steps", "1"), "t10k-images-idx3-ubyte", "magic");
        writeData(dir, 60, 20);
        Path ckpt = dir.resolve("other.safetensors");
        SafeTensors.write(ckpt, Map.of("f.0.weight", Tensor.zeros(3)), null);
        assertOneLineError(
                run("mnist", "eval", "--checkpoint", ckpt.toString(), "--data", dir.toString()),
                "other.safetensors",
                "f.0.weight");
        assertOneLineError(
                run(
                        "mnist",
                        "eval",
                        "--checkpoint",
                        dir.resolve("missing.safetensors").toString(),
                        "--data",
                        dir.toString()),
                "missing.safetensors");
        assertOneLineError(
                run(
                        "mnist",
                        "train",
                        "--data",
                        dir.toString(),
                        "--max-steps",
                        "1",
                        "--checkpoint",
                        dir.resolve("no/dir/x.safetensors").toString()),
                "x.safetensors",
                "cannot write");
        assertOneLineError(run("mnist", "classify", "--checkpoint", ckpt.toString()), "--index");
        assertOneLineError(run("mnist", "train", "--resume"), "--checkpoint");
    }
}
