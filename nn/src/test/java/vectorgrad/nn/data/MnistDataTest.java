package vectorgrad.nn.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import vectorgrad.nn.io.FormatException;

/** IDX reading, the MNIST dataset's layouts, DataLoader batches and order, and --download's checks. */
class MnistDataTest {
    @TempDir
    Path dir;

    @Test
    void readsRawAndGzipAndTorchvisionLayouts() throws IOException {
        IdxFiles.split(dir, "train", 12, false);
        Path fashion = dir.resolve("f");
        Files.createDirectories(fashion.resolve("FashionMNIST").resolve("raw"));
        IdxFiles.split(fashion.resolve("FashionMNIST").resolve("raw"), "t10k", 7, true);
        Mnist train = Mnist.load(dir, true);
        Mnist test = Mnist.load(fashion, false);
        assertEquals(12, train.size());
        assertEquals(7, test.size());
        assertEquals(3, train.label(13 % 10));
        float[] px = new float[784];
        train.image(2, px, 0);
        assertEquals(((2 * 784 + 5) * 7 + 2) % 256 / 255f, px[5], 1e-7f, "pixels scaled to [0, 1] as ToTensor()");
        NoSuchFileException e = assertThrows(NoSuchFileException.class, () -> Mnist.load(dir, false));
        assertTrue(e.getReason().contains("t10k-images-idx3-ubyte"), e.getReason());
    }

    private Path file(String name, byte[] bytes) throws IOException {
        Path p = dir.resolve(name);
        IdxFiles.write(p, bytes);
        return p;
    }

    @Test
    void corruptFilesNameFileAndOffset() throws IOException {
        byte[] good = IdxFiles.idx(new int[] {2, 28, 28}, new byte[2 * 784]);
        byte[] badMagic = good.clone();
        badMagic[0] = 1;
        FormatException e = assertThrows(FormatException.class, () -> Idx.read(file("magic", badMagic)));
        assertTrue(e.getMessage().contains("magic") && e.getMessage().contains("at byte 0"), e.getMessage());
        byte[] badType = good.clone();
        badType[2] = 0x0D;
        e = assertThrows(FormatException.class, () -> Idx.read(file("type", badType)));
        assertTrue(e.getMessage().contains("at byte 2"), e.getMessage());
        byte[] truncated = java.util.Arrays.copyOf(good, good.length - 100);
        e = assertThrows(FormatException.class, () -> Idx.read(file("trunc", truncated)));
        assertTrue(e.getMessage().contains("truncated") && e.getMessage().contains("trunc"), e.getMessage());
        byte[] huge = IdxFiles.idx(new int[] {Integer.MAX_VALUE, 28, 28}, new byte[10]);
        e = assertThrows(FormatException.class, () -> Idx.read(file("huge", huge)));
        assertTrue(e.getMessage().contains("exceeds"), e.getMessage());
        e = assertThrows(FormatException.class, () -> Idx.read(file("huge.gz", huge)));
        assertTrue(e.getMessage().contains("exceeds"), e.getMessage());
        byte[] lying = IdxFiles.idx(new int[] {1000, 28, 28}, new byte[784]);
        e = assertThrows(FormatException.class, () -> Idx.read(file("lying.gz", lying)));
        assertTrue(e.getMessage().contains("file ends while reading the data"), e.getMessage());
        // a gzip stream cut short
        ByteArrayOutputStream z = new ByteArrayOutputStream();
        try (GZIPOutputStream gz = new GZIPOutputStream(z)) {
            gz.write(good);
        }
        byte[] cut = java.util.Arrays.copyOf(z.toByteArray(), z.size() / 2);
        Path cutFile = dir.resolve("cut.gz");
        Files.write(cutFile, cut);
        assertThrows(FormatException.class, () -> Idx.read(cutFile));
        // images and labels that disagree
        IdxFiles.write(dir.resolve("train-images-idx3-ubyte"), IdxFiles.idx(new int[] {3, 28, 28}, new byte[3 * 784]));
        IdxFiles.write(dir.resolve("train-labels-idx1-ubyte"), IdxFiles.idx(new int[] {4}, new byte[4]));
        e = assertThrows(FormatException.class, () -> Mnist.load(dir, true));
        assertTrue(e.getMessage().contains("3 images") && e.getMessage().contains("4 labels"), e.getMessage());
        IdxFiles.write(dir.resolve("train-images-idx3-ubyte"), IdxFiles.idx(new int[] {4, 784}, new byte[4 * 784]));
        e = assertThrows(FormatException.class, () -> Mnist.load(dir, true));
        assertTrue(e.getMessage().contains("rank 3"), e.getMessage());
    }

    @Test
    void loaderBatchesInOrderAndShufflesReproducibly() throws IOException {
        IdxFiles.split(dir, "train", 23, false);
        Mnist data = Mnist.load(dir, true);
        DataLoader<Sample> plain = new DataLoader<>(data, 5, false, false, 0);
        assertEquals(5, plain.size());
        List<Integer> labels = new ArrayList<>();
        int batches = 0;
        for (Iterator<DataLoader.Batch> it = plain.iterator(0, 0); it.hasNext(); batches++) {
            try (DataLoader.Batch b = it.next()) {
                assertArrayEquals(new int[] {b.size(), 1, 28, 28}, b.inputs().shape());
                for (int l : b.targets().toIntArray()) labels.add(l);
            }
        }
        assertEquals(5, batches);
        assertEquals(23, labels.size());
        for (int i = 0; i < 23; i++) assertEquals(i % 10, labels.get(i));
        assertEquals(4, new DataLoader<>(data, 5, false, true, 0).size(), "drop_last");
        DataLoader<Sample> shuffled = new DataLoader<>(data, 4, true, false, 7);
        assertArrayEquals(
                shuffled.order(3),
                new DataLoader<>(data, 4, true, false, 7).order(3),
                "same seed and epoch, same order");
        assertTrue(!java.util.Arrays.equals(shuffled.order(0), shuffled.order(1)), "each epoch draws a new order");
        // resuming at batch 3 yields exactly the batches from 3 on
        Iterator<DataLoader.Batch> all = shuffled.iterator(2, 0), resumed = shuffled.iterator(2, 3);
        for (int i = 0; i < 3; i++) all.next().close();
        while (all.hasNext()) {
            try (DataLoader.Batch a = all.next();
                    DataLoader.Batch b = resumed.next()) {
                assertArrayEquals(a.inputs().toFloatArray(), b.inputs().toFloatArray());
                assertEquals(a.index(), b.index());
            }
        }
    }

    @Test
    void downloadVerifiesChecksumsAgainstALocalServer() throws Exception {
        byte[] good = "pretend this is an IDX file".getBytes();
        byte[] corrupted = "pretend this is an IDX filf".getBytes();
        HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/bad/", ex -> {
            ex.sendResponseHeaders(200, corrupted.length);
            ex.getResponseBody().write(corrupted);
            ex.close();
        });
        server.createContext("/missing/", ex -> {
            ex.sendResponseHeaders(404, -1);
            ex.close();
        });
        server.createContext("/good/", ex -> {
            ex.sendResponseHeaders(200, good.length);
            ex.getResponseBody().write(good);
            ex.close();
        });
        server.start();
        try {
            String base = "http://127.0.0.1:" + server.getAddress().getPort();
            String md5 = java.util.HexFormat.of()
                    .formatHex(java.security.MessageDigest.getInstance("MD5").digest(good));
            Map<String, String> files = Map.of("train-labels-idx1-ubyte.gz", md5);
            PrintStream quiet = new PrintStream(new ByteArrayOutputStream());
            IOException e = assertThrows(
                    IOException.class,
                    () -> Download.mnist(
                            dir, List.of(URI.create(base + "/bad/"), URI.create(base + "/missing/")), files, quiet));
            assertTrue(e.getMessage().contains("checksum") && e.getMessage().contains("HTTP 404"), e.getMessage());
            assertTrue(!Files.exists(dir.resolve("MNIST/raw/train-labels-idx1-ubyte.gz")), "nothing half-written");
            Path raw =
                    Download.mnist(dir, List.of(URI.create(base + "/bad/"), URI.create(base + "/good/")), files, quiet);
            assertArrayEquals(good, Files.readAllBytes(raw.resolve("train-labels-idx1-ubyte.gz")));
            try (var listing = Files.list(raw)) {
                assertEquals(1, listing.count(), "no temporary files left behind");
            }
        } finally {
            server.stop(0);
        }
    }
}
