package vectorgrad.nn.data;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.GZIPOutputStream;

/** Writes small IDX files for tests (MNIST's format). */
public final class IdxFiles {
    private IdxFiles() {}

    public static byte[] idx(int[] dims, byte[] data) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(0);
        out.write(0);
        out.write(0x08);
        out.write(dims.length);
        for (int d : dims) {
            out.write(d >>> 24);
            out.write(d >>> 16);
            out.write(d >>> 8);
            out.write(d);
        }
        out.writeBytes(data);
        return out.toByteArray();
    }

    public static void write(Path file, byte[] bytes) throws IOException {
        if (file.getFileName().toString().endsWith(".gz")) {
            try (OutputStream o = new GZIPOutputStream(Files.newOutputStream(file))) {
                o.write(bytes);
            }
        } else {
            Files.write(file, bytes);
        }
    }

    /** A tiny MNIST-shaped split: n images of 28x28 whose pixels encode (image, position), labels i % 10. */
    public static void split(Path dir, String prefix, int n, boolean gz) throws IOException {
        byte[] px = new byte[n * 784];
        for (int i = 0; i < px.length; i++) px[i] = (byte) ((i * 7 + i / 784) % 256);
        byte[] lb = new byte[n];
        for (int i = 0; i < n; i++) lb[i] = (byte) (i % 10);
        String ext = gz ? ".gz" : "";
        write(dir.resolve(prefix + "-images-idx3-ubyte" + ext), idx(new int[] {n, 28, 28}, px));
        write(dir.resolve(prefix + "-labels-idx1-ubyte" + ext), idx(new int[] {n}, lb));
    }
}
