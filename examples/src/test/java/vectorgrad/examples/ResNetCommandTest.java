package vectorgrad.examples;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import vectorgrad.autograd.Tensor;
import vectorgrad.nn.io.SafeTensors;

/** {@code ./vectorgrad resnet train|eval} on 64 small synthetic images: JSON, names, resume, eval. */
class ResNetCommandTest {
    @TempDir
    Path dir;

    @BeforeEach
    void data() throws IOException {
        MnistCommandTest.writeData(dir, 64, 20);
    }

    @Test
    void trainsResumesAndEvaluates() throws IOException {
        Path whole = dir.resolve("whole.safetensors"), part = dir.resolve("part.safetensors");
        String d = dir.toString();
        String[] common = {"resnet", "train", "--data", d, "--epochs", "2", "--batch-size", "16", "--seed", "5"};
        Cli.Run r = Cli.run(concat(common, "--max-steps", "6", "--checkpoint", whole.toString(), "--json"));
        assertEquals(0, r.status(), r.err());
        String json = Cli.lastLine(r.out());
        assertEquals(6, (long) Cli.field(json, "steps"));
        assertTrue(Cli.field(json, "test_accuracy") >= 0 && Cli.field(json, "images_per_s") > 0, json);
        assertEquals(
                0,
                Cli.run(concat(common, "--max-steps", "3", "--checkpoint", part.toString()))
                        .status());
        Cli.Run resumed = Cli.run(concat(common, "--max-steps", "6", "--checkpoint", part.toString(), "--resume"));
        assertEquals(0, resumed.status(), resumed.err());
        assertTrue(resumed.out().contains("resumed from"), resumed.out());
        Map<String, Tensor> a = SafeTensors.read(whole).tensors(),
                b = SafeTensors.read(part).tensors();
        assertEquals(a.keySet(), b.keySet());
        for (String k : a.keySet())
            assertArrayEquals(a.get(k).toFloatArray(), b.get(k).toFloatArray(), 0f, k);
        // torchvision's names, buffers included
        for (String k : new String[] {
            "conv1.weight",
            "bn1.running_var",
            "layer1.0.conv2.weight",
            "layer2.0.downsample.0.weight",
            "layer3.1.bn2.num_batches_tracked",
            "fc.bias",
            "optimizer.state.0.momentum_buffer"
        }) {
            assertTrue(a.containsKey(k), k + " in " + a.keySet());
        }

        Cli.Run changed = Cli.run(
                "resnet",
                "train",
                "--data",
                d,
                "--epochs",
                "3",
                "--batch-size",
                "16",
                "--seed",
                "5",
                "--checkpoint",
                part.toString(),
                "--resume");
        assertEquals(2, changed.status());
        assertTrue(changed.err().contains("planned for 8 steps"), changed.err());

        Cli.Run ev = Cli.run("resnet", "eval", "--checkpoint", whole.toString(), "--data", d, "--json");
        assertEquals(0, ev.status(), ev.err());
        assertEquals(Cli.field(json, "test_accuracy"), Cli.field(Cli.lastLine(ev.out()), "test_accuracy"), 1e-6);
    }

    private static String[] concat(String[] a, String... b) {
        String[] out = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }
}
