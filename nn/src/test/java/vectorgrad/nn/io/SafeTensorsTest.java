package vectorgrad.nn.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import vectorgrad.autograd.Tensor;
import vectorgrad.nn.Module;
import vectorgrad.nn.Parameter;
import vectorgrad.nn.optim.Adam;

class SafeTensorsTest {
    @TempDir
    Path dir;

    @Test
    void roundTripsTensorsAndMetadata() throws IOException {
        Map<String, Tensor> t = new LinkedHashMap<>();
        t.put("f.0.weight", Tensor.of(new float[] {1, -2, 3.5f, 4, 5, 6}, 2, 3));
        t.put("labels", Tensor.ofInts(new int[] {7, 8}, 2));
        t.put("scalar", Tensor.scalar(0.25f));
        Path f = dir.resolve("x.safetensors");
        SafeTensors.write(f, t, Map.of("step", "12", "note", "quote \" and \\ and é"));
        SafeTensors.Contents c = SafeTensors.read(f);
        assertEquals(
                List.of("f.0.weight", "labels", "scalar"),
                List.copyOf(c.tensors().keySet()));
        assertArrayEquals(
                new float[] {1, -2, 3.5f, 4, 5, 6},
                c.tensors().get("f.0.weight").toFloatArray());
        assertArrayEquals(new int[] {2, 3}, c.tensors().get("f.0.weight").shape());
        assertArrayEquals(new int[] {7, 8}, c.tensors().get("labels").toIntArray());
        assertArrayEquals(new int[0], c.tensors().get("scalar").shape());
        assertEquals("quote \" and \\ and é", c.metadata().get("note"));
        long headerLen = ByteBuffer.wrap(Files.readAllBytes(f), 0, 8)
                .order(ByteOrder.LITTLE_ENDIAN)
                .getLong();
        assertEquals(0, (8 + headerLen) % 8, "data starts 8-byte aligned, as the reference writer does");
    }

    @Test
    void readsOnlyTheTensorsAskedForAndChecksTheWholeHeader() throws IOException {
        Map<String, Tensor> t = new LinkedHashMap<>();
        t.put("w", Tensor.of(new float[] {1, 2, 3}, 3));
        t.put("optimizer.state.0.exp_avg", Tensor.of(new float[] {4, 5, 6}, 3));
        t.put("b", Tensor.of(new float[] {7}, 1));
        Path f = dir.resolve("part.safetensors");
        SafeTensors.write(f, t, Map.of("k", "v"));
        SafeTensors.Contents c = SafeTensors.read(f, name -> !name.startsWith("optimizer."));
        assertEquals(List.of("w", "b"), List.copyOf(c.tensors().keySet()));
        assertArrayEquals(new float[] {7}, c.tensors().get("b").toFloatArray());
        assertEquals("v", c.metadata().get("k"));
        // a tensor left unread is still checked against the file
        FormatException e = assertThrows(
                FormatException.class,
                () -> SafeTensors.read(
                        raw("skipped", "{\"x\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", new byte[4]),
                        name -> false));
        assertTrue(e.getMessage().contains("outside"), e.getMessage());
    }

    private Path raw(String name, String header, byte[] data) throws IOException {
        byte[] h = header.getBytes(StandardCharsets.UTF_8);
        ByteBuffer b = ByteBuffer.allocate(8 + h.length + data.length).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(h.length).put(h).put(data);
        Path p = dir.resolve(name);
        Files.write(p, b.array());
        return p;
    }

    @Test
    void badFilesAreOneLineErrorsNamingFileAndKeyOrOffset() throws IOException {
        Path shortFile = dir.resolve("short");
        Files.write(shortFile, new byte[3]);
        FormatException e = assertThrows(FormatException.class, () -> SafeTensors.read(shortFile));
        assertTrue(e.getMessage().contains("short") && e.getMessage().contains("at byte 0"), e.getMessage());
        Path pastEnd = dir.resolve("pastend");
        Files.write(
                pastEnd,
                ByteBuffer.allocate(16)
                        .order(ByteOrder.LITTLE_ENDIAN)
                        .putLong(1000)
                        .array());
        e = assertThrows(FormatException.class, () -> SafeTensors.read(pastEnd));
        assertTrue(e.getMessage().contains("header length 1000"), e.getMessage());
        e = assertThrows(FormatException.class, () -> SafeTensors.read(raw("json", "{not json", new byte[0])));
        assertTrue(e.getMessage().contains("not valid JSON"), e.getMessage());
        e = assertThrows(
                FormatException.class,
                () -> SafeTensors.read(
                        raw("dtype", "{\"w\":{\"dtype\":\"F16\",\"shape\":[2],\"data_offsets\":[0,4]}}", new byte[4])));
        assertTrue(e.getMessage().contains("\"w\"") && e.getMessage().contains("F16"), e.getMessage());
        e = assertThrows(
                FormatException.class,
                () -> SafeTensors.read(
                        raw("size", "{\"w\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,8]}}", new byte[8])));
        assertTrue(e.getMessage().contains("8 bytes for shape [3]"), e.getMessage());
        e = assertThrows(
                FormatException.class,
                () -> SafeTensors.read(
                        raw("range", "{\"w\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", new byte[4])));
        assertTrue(e.getMessage().contains("outside"), e.getMessage());
        e = assertThrows(
                FormatException.class,
                () -> SafeTensors.read(raw(
                        "huge",
                        "{\"w\":{\"dtype\":\"F32\",\"shape\":[3000000,3000000],\"data_offsets\":[0,4]}}",
                        new byte[4])));
        assertTrue(e.getMessage().contains("larger than the file"), e.getMessage());
        e = assertThrows(
                FormatException.class,
                () -> SafeTensors.read(raw(
                        "overlap",
                        "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}",
                        new byte[12])));
        assertTrue(e.getMessage().contains("overlap"), e.getMessage());
    }

    @Test
    void anUnwritableFolderIsAClearErrorAndTheOldFileSurvives() throws IOException {
        Path f = dir.resolve("keep.safetensors");
        SafeTensors.write(f, Map.of("a", Tensor.ones(3)), null);
        byte[] before = Files.readAllBytes(f);
        assertThrows(
                IOException.class,
                () -> SafeTensors.write(
                        dir.resolve("no/such/folder/x.safetensors"), Map.of("a", Tensor.ones(3)), null));
        // a write whose data cannot be read (a released tensor) fails before the rename: the old file stays
        Tensor released = Tensor.ones(3);
        released.close();
        assertThrows(IllegalStateException.class, () -> SafeTensors.write(f, Map.of("a", released), null));
        assertArrayEquals(before, Files.readAllBytes(f));
        try (var files = Files.list(dir)) {
            assertEquals(1, files.count(), "the temporary file was removed");
        }
    }

    static final class Tiny extends Module {
        final Parameter w = new Parameter(Tensor.of(1f, 2f, 3f));
        final Parameter b = new Parameter(Tensor.scalar(0.5f));
    }

    @Test
    void checkpointsCarryModelAndAdamStateAndRejectOtherArchitectures() throws IOException {
        Tiny m = new Tiny();
        Adam opt = new Adam(m.parameters(), 0.1);
        for (int i = 0; i < 3; i++) {
            opt.zeroGrad();
            m.w.mul(m.w).sum().add(m.b.mul(3)).backward();
            opt.step();
        }
        Path f = dir.resolve("ckpt.safetensors");
        Checkpoint.save(f, m, opt, Map.of("epoch", "2"));
        Tiny m2 = new Tiny();
        Adam opt2 = new Adam(m2.parameters(), 0.1);
        Map<String, String> md = Checkpoint.load(f, m2, opt2);
        assertEquals("2", md.get("epoch"));
        assertArrayEquals(m.w.toFloatArray(), m2.w.toFloatArray());
        assertEquals(3, opt2.state(m2.w).step);
        assertArrayEquals(
                opt.state(m.w).expAvgSq.toFloatArray(),
                opt2.state(m2.w).expAvgSq.toFloatArray());
        // one more identical step on each: same parameters, bit for bit
        for (Module mm : List.of(m, m2)) {
            Tiny t = (Tiny) mm;
            Adam o = mm == m ? opt : opt2;
            o.zeroGrad();
            t.w.mul(t.w).sum().add(t.b.mul(3)).backward();
            o.step();
        }
        assertArrayEquals(m.w.toFloatArray(), m2.w.toFloatArray());
        // weights only (as PyTorch's save_file(model.state_dict()) writes) load too
        Path weights = dir.resolve("weights.safetensors");
        SafeTensors.write(weights, m.stateDict(), null);
        Checkpoint.load(weights, new Tiny(), null);
        // another architecture: the key is named
        SafeTensors.write(weights, Map.of("w", Tensor.ones(4), "b", Tensor.scalar(1)), null);
        FormatException e = assertThrows(FormatException.class, () -> Checkpoint.load(weights, new Tiny(), null));
        assertTrue(e.getMessage().contains("size mismatch for w"), e.getMessage());
        SafeTensors.write(weights, Map.of("w", Tensor.ones(3)), null);
        e = assertThrows(FormatException.class, () -> Checkpoint.load(weights, new Tiny(), null));
        assertTrue(e.getMessage().contains("missing key \"b\""), e.getMessage());
    }
}
