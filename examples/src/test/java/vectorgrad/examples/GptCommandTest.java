package vectorgrad.examples;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import vectorgrad.autograd.NoGrad;
import vectorgrad.autograd.Tensor;
import vectorgrad.nn.io.SafeTensors;

/** {@code ./vectorgrad gpt train|sample} on a small text; the key/value cache gives the full forward's logits. */
class GptCommandTest {
    @TempDir
    Path dir;

    @Test
    void trainsAndSamples() throws IOException {
        Path text = dir.resolve("text.txt"), whole = dir.resolve("whole.safetensors");
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < 200; i++)
            sb.append("the quick brown fox jumps over the lazy dog ")
                    .append(i % 7)
                    .append('\n');
        Files.writeString(text, sb);
        String[] common = {
            "gpt",
            "train",
            "--data",
            text.toString(),
            "--layers",
            "1",
            "--heads",
            "2",
            "--embd",
            "16",
            "--block",
            "16",
            "--batch-size",
            "4",
            "--steps",
            "40",
            "--warmup",
            "5",
            "--eval-every",
            "20",
            "--eval-batches",
            "2",
            "--lr",
            "0.01"
        };
        Cli.Run r = Cli.run(concat(common, "--checkpoint", whole.toString(), "--json"));
        assertEquals(0, r.status(), r.err());
        String json = Cli.lastLine(r.out());
        assertEquals(40, (long) Cli.field(json, "steps"));
        // 40 steps on a 35-character vocabulary: well under the uniform guess's ln 35 = 3.56 nats
        assertTrue(Cli.field(json, "val_loss") < 3.0, json);
        assertTrue(Cli.field(json, "tokens_per_s") > 0, json);
        Map<String, Tensor> ws = SafeTensors.read(whole).tensors();
        for (String k : new String[] {
            "wte.weight", "wpe.weight", "h.0.ln_1.weight", "h.0.attn.c_attn.weight", "h.0.mlp.c_proj.bias", "ln_f.bias"
        }) assertTrue(ws.containsKey(k), k + " in " + ws.keySet());

        // --max-steps stops the planned 40-step run at 20; resumed, it ends where the whole run ended
        Path part = dir.resolve("part.safetensors");
        Cli.Run first = Cli.run(concat(common, "--max-steps", "20", "--checkpoint", part.toString(), "--json"));
        assertEquals(0, first.status(), first.err());
        assertEquals(20, (long) Cli.field(Cli.lastLine(first.out()), "steps"));
        assertTrue(first.out().contains("stopped: 20 steps"), first.out());
        Cli.Run rest = Cli.run(concat(common, "--checkpoint", part.toString(), "--resume"));
        assertEquals(0, rest.status(), rest.err());
        Map<String, Tensor> resumed = SafeTensors.read(part).tensors();
        for (String k : ws.keySet())
            assertArrayEquals(ws.get(k).toFloatArray(), resumed.get(k).toFloatArray(), 0f, k);

        Cli.Run s = Cli.run(
                "gpt",
                "sample",
                "--checkpoint",
                whole.toString(),
                "--prompt",
                "the ",
                "--tokens",
                "30",
                "--seed",
                "3",
                "--json");
        assertEquals(0, s.status(), s.err());
        String out = s.out();
        assertTrue(out.startsWith("the "), out);
        assertEquals(30, (long) Cli.field(Cli.lastLine(out), "tokens"));
        Cli.Run again = Cli.run(
                "gpt",
                "sample",
                "--checkpoint",
                whole.toString(),
                "--prompt",
                "the ",
                "--tokens",
                "30",
                "--seed",
                "3",
                "--json");
        assertEquals(
                out.substring(0, out.lastIndexOf('{')),
                again.out().substring(0, again.out().lastIndexOf('{')),
                "same seed, same text");

        Cli.Run bad = Cli.run("gpt", "sample", "--checkpoint", whole.toString(), "--prompt", "Zebra");
        assertEquals(2, bad.status());
        assertTrue(bad.err().contains("'Z' (U+005A) at position 0 is not in the model's vocabulary"), bad.err());
    }

    @Test
    void theKeyValueCacheGivesTheFullForwardsLogits() {
        Tensor.manualSeed(4);
        Gpt model = new Gpt(new Gpt.Config(11, 12, 2, 2, 8, 0.0));
        model.eval();
        int[] ids = {1, 5, 2, 9, 0, 3, 7};
        try (NoGrad g = Tensor.noGrad()) {
            float[] full = model.forward(Tensor.ofInts(ids, 1, ids.length)).toFloatArray();
            Gpt.KvCache cache = new Gpt.KvCache(2);
            // a prefix of three at once, then one position at a time
            float[] prefix = model.logits(model.hidden(Tensor.ofInts(new int[] {1, 5, 2}, 1, 3), cache, 0))
                    .toFloatArray();
            for (int i = 0; i < 3 * 11; i++) assertEquals(full[i], prefix[i], 1e-5f, "prefix logit " + i);
            for (int p = 3; p < ids.length; p++) {
                float[] step = model.logits(model.hidden(Tensor.ofInts(new int[] {ids[p]}, 1, 1), cache, p))
                        .toFloatArray();
                float[] want = java.util.Arrays.copyOfRange(full, p * 11, (p + 1) * 11);
                assertArrayEquals(want, step, 1e-5f, "position " + p);
            }
        }
    }

    /** SIGTERM stops after a step and saves; resumed, the run ends where an uninterrupted one ends (dropout on). */
    @Test
    void sigtermSavesAndResumesTheSameTrajectory() throws Exception {
        Path text = dir.resolve("text.txt"),
                whole = dir.resolve("whole.safetensors"),
                part = dir.resolve("part.safetensors");
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < 300; i++)
            sb.append("pack my box with five dozen liquor jugs ").append(i % 5).append('\n');
        Files.writeString(text, sb);
        String[] train = {
            "gpt",
            "train",
            "--data",
            text.toString(),
            "--layers",
            "1",
            "--heads",
            "2",
            "--embd",
            "16",
            "--block",
            "16",
            "--batch-size",
            "4",
            "--steps",
            "400",
            "--warmup",
            "5",
            "--eval-every",
            "1000",
            "--eval-batches",
            "1",
            "--dropout",
            "0.1",
            "--print-every",
            "1",
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
        cmd.add(part.toString());
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        StringBuilder out = new StringBuilder();
        try (var r =
                new java.io.BufferedReader(new java.io.InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            for (String l; (l = r.readLine()) != null; ) {
                out.append(l).append('\n');
                if (l.startsWith("step 5/")) p.toHandle().destroy(); // SIGTERM
            }
        }
        assertEquals(143, p.waitFor(), out.toString());
        assertTrue(out.toString().contains("continue with --checkpoint"), out.toString());
        String[] resume = concat(train, part.toString(), "--resume");
        Cli.Run resumed = Cli.run(resume);
        assertEquals(0, resumed.status(), resumed.err());
        assertEquals(0, Cli.run(concat(train, whole.toString())).status());
        Map<String, Tensor> a = SafeTensors.read(whole).tensors(),
                b = SafeTensors.read(part).tensors();
        assertEquals(a.keySet(), b.keySet());
        for (String k : a.keySet())
            assertArrayEquals(a.get(k).toFloatArray(), b.get(k).toFloatArray(), 0f, k);
    }

    private static String[] concat(String[] a, String... b) {
        String[] out = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    /**
     * A short sample (tokens times the checkpoint model's multiply-adds a token, read from its header)
     * chooses the scalar kernels; a long one, a larger model, other commands, no readable checkpoint and
     * bad arguments (left to the command) do not.
     */
    @Test
    void shortSamplesChooseTheScalarKernels() throws IOException {
        org.junit.jupiter.api.Assumptions.assumeTrue(
                System.getProperty("vectorgrad.scalar") == null, "an explicit vectorgrad.scalar wins");
        Path small = header("vocab=113,block=128,layers=4,heads=4,embd=128,dropout=0.1");
        Path large = header("vocab=113,block=256,layers=8,heads=6,embd=384,dropout=0.1");
        assertEquals(931_968, GptCommand.multiplyAddsPerToken(GptCommand.configInHeader(small)));
        assertTrue(scalar("gpt", "sample", "--checkpoint", small.toString()));
        assertTrue(scalar("gpt", "sample", "--checkpoint", small.toString(), "--tokens", "2999"));
        org.junit.jupiter.api.Assertions.assertFalse(
                scalar("gpt", "sample", "--checkpoint", small.toString(), "--tokens", "3000"));
        org.junit.jupiter.api.Assertions.assertFalse(scalar("gpt", "sample", "--checkpoint", large.toString()));
        org.junit.jupiter.api.Assertions.assertFalse(scalar(
                "gpt", "sample", "--checkpoint", dir.resolve("none.safetensors").toString()));
        org.junit.jupiter.api.Assertions.assertFalse(scalar("gpt", "train"));
        org.junit.jupiter.api.Assertions.assertFalse(
                scalar("gpt", "sample", "--checkpoint", small.toString(), "--tokens", "many"));
        org.junit.jupiter.api.Assertions.assertFalse(scalar("mnist", "train"));
    }

    private static boolean scalar(String... args) {
        return GptCommand.prefersScalarKernels(args);
    }

    /** A safetensors file with no tensors whose metadata holds {@code config}. */
    private Path header(String config) throws IOException {
        byte[] json = ("{\"__metadata__\":{\"config\":\"" + config + "\",\"vocab\":\"abc\"}}")
                .getBytes(StandardCharsets.UTF_8);
        var buf = java.nio.ByteBuffer.allocate(8 + json.length).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        buf.putLong(json.length).put(json);
        Path f = dir.resolve(config.hashCode() + ".safetensors");
        Files.write(f, buf.array());
        return f;
    }
}
