package vectorgrad.nn.fuzz;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import vectorgrad.autograd.Tensor;
import vectorgrad.nn.data.Idx;
import vectorgrad.nn.data.IdxFiles;
import vectorgrad.nn.io.SafeTensors;

/**
 * The fuzzers' seed corpora: small valid files, written by {@link #main} into the inputs folders Jazzer
 * reads ({@code src/test/resources/vectorgrad/nn/fuzz/*Inputs/<method>/}) and committed. The test checks
 * the committed seeds are what this class writes and that each one reads without error, so the
 * fuzzers start from inputs that reach the end of the readers.
 */
class FuzzSeeds {
    static final Path RESOURCES = Path.of("src/test/resources/vectorgrad/nn/fuzz");

    static Map<String, byte[]> idxSeeds() throws IOException {
        byte[] images = IdxFiles.idx(
                new int[] {2, 3, 3}, new byte[] {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, (byte) 255});
        byte[] labels = IdxFiles.idx(new int[] {4}, new byte[] {7, 2, 1, 0});
        Map<String, byte[]> m = new LinkedHashMap<>();
        m.put("seed-raw-images", concat((byte) 0, images));
        m.put("seed-raw-labels", concat((byte) 0, labels));
        m.put("seed-gzipped-images", concat((byte) 1, images));
        m.put("seed-gz-bytes-labels", concat((byte) 2, IdxFuzzTest.gzip(labels)));
        return m;
    }

    static Map<String, byte[]> safetensorsSeeds() throws IOException {
        Map<String, byte[]> m = new LinkedHashMap<>();
        Path tmp = Files.createTempFile("seed", ".safetensors");
        try (Tensor w = Tensor.of(new float[] {1, -2, 3.5f, 0, 5, 6}, 2, 3);
                Tensor b = Tensor.of(new float[] {0.25f}, 1);
                Tensor n = Tensor.ofInts(new int[] {3, 1, 4}, 3)) {
            Map<String, Tensor> t = new LinkedHashMap<>();
            t.put("f.0.weight", w);
            t.put("f.0.bias", b);
            SafeTensors.write(tmp, t, Map.of("step", "12"));
            m.put("seed-weights-and-metadata", Files.readAllBytes(tmp));
            SafeTensors.write(tmp, Map.of("labels", n), null);
            m.put("seed-int32", Files.readAllBytes(tmp));
        } finally {
            Files.deleteIfExists(tmp);
        }
        return m;
    }

    private static byte[] concat(byte first, byte[] rest) {
        byte[] out = new byte[rest.length + 1];
        out[0] = first;
        System.arraycopy(rest, 0, out, 1, rest.length);
        return out;
    }

    static Path idxDir() {
        return RESOURCES.resolve("IdxFuzzTestInputs/idx");
    }

    static Path safetensorsDir() {
        return RESOURCES.resolve("SafeTensorsFuzzTestInputs/safetensors");
    }

    public static void main(String[] args) throws IOException {
        write(idxDir(), idxSeeds());
        write(safetensorsDir(), safetensorsSeeds());
    }

    private static void write(Path dir, Map<String, byte[]> seeds) throws IOException {
        Files.createDirectories(dir);
        for (Map.Entry<String, byte[]> e : seeds.entrySet()) Files.write(dir.resolve(e.getKey()), e.getValue());
    }

    @Test
    void committedSeedsAreCurrentAndValid(@org.junit.jupiter.api.io.TempDir Path tmp) throws IOException {
        for (Map.Entry<String, byte[]> e : idxSeeds().entrySet()) {
            assertEquals(
                    java.util.HexFormat.of().formatHex(e.getValue()),
                    java.util.HexFormat.of().formatHex(Files.readAllBytes(idxDir().resolve(e.getKey()))),
                    e.getKey() + " differs from what FuzzSeeds.main writes");
            byte[] v = e.getValue();
            Path f = tmp.resolve(e.getKey() + (v[0] == 0 ? ".idx" : ".idx.gz"));
            Files.write(
                    f,
                    v[0] == 1
                            ? IdxFuzzTest.gzip(java.util.Arrays.copyOfRange(v, 1, v.length))
                            : java.util.Arrays.copyOfRange(v, 1, v.length));
            assertTrue(Idx.read(f).count() > 0);
        }
        for (Map.Entry<String, byte[]> e : safetensorsSeeds().entrySet()) {
            Path committed = safetensorsDir().resolve(e.getKey());
            assertEquals(
                    java.util.HexFormat.of().formatHex(e.getValue()),
                    java.util.HexFormat.of().formatHex(Files.readAllBytes(committed)));
            SafeTensors.Contents c = SafeTensors.read(committed);
            assertTrue(!c.tensors().isEmpty());
            c.tensors().values().forEach(Tensor::close);
        }
    }
}
