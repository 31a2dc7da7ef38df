package vectorgrad.nn.data;

import java.io.BufferedInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.zip.GZIPInputStream;
import java.util.zip.ZipException;
import vectorgrad.nn.io.FormatException;

/**
 * Reader of the IDX format MNIST ships in (raw or {@code .gz}): a 4-byte magic number (two zero bytes,
 * a type code, the rank), the dimensions as big-endian int32, then the data. Only unsigned bytes (type
 * 0x08) are accepted — what MNIST and Fashion-MNIST use.
 *
 * <p>Everything is validated before anything large is allocated: the rank, every dimension, and the
 * declared size against the file's length (raw) or against what the stream actually holds (gzip, read in
 * bounded chunks). Errors are {@link FormatException}s naming the file and byte offset.
 */
public final class Idx {
    private Idx() {}

    /** A decoded IDX file of unsigned bytes. */
    public record UByteArray(int[] dims, byte[] data) {
        public int count() {
            return dims[0];
        }

        /** Elements per item (product of the dimensions after the first). */
        public int itemSize() {
            int s = 1;
            for (int i = 1; i < dims.length; i++) s *= dims[i];
            return s;
        }
    }

    /** Largest data block accepted (MNIST's training images are 47 MB). */
    static final long MAX_BYTES = 1L << 30;

    public static UByteArray read(Path file) throws IOException {
        boolean gz = file.getFileName().toString().endsWith(".gz");
        long fileLength;
        try {
            fileLength = Files.size(file);
        } catch (NoSuchFileException e) {
            throw new NoSuchFileException(file.toString(), null, "no such file");
        }
        try (InputStream raw = Files.newInputStream(file);
                InputStream in = gz
                        ? new GZIPInputStream(new BufferedInputStream(raw), 1 << 16)
                        : new BufferedInputStream(raw, 1 << 16)) {
            byte[] head = readFully(in, 4, file, 0, "the magic number");
            if (head[0] != 0 || head[1] != 0) {
                throw new FormatException(
                        file,
                        0,
                        String.format(
                                "bad magic number 0x%02x%02x%02x%02x (an IDX file starts with two zero bytes)",
                                head[0], head[1], head[2], head[3]));
            }
            if (head[2] != 0x08) {
                throw new FormatException(
                        file, 2, String.format("data type 0x%02x is not unsigned byte (0x08)", head[2]));
            }
            int rank = head[3] & 0xFF;
            if (rank < 1 || rank > 4) throw new FormatException(file, 3, "rank " + rank + " (expected 1 to 4)");
            byte[] dimBytes = readFully(in, 4 * rank, file, 4, "the dimensions");
            int[] dims = new int[rank];
            long total = 1;
            for (int i = 0; i < rank; i++) {
                int off = 4 * i;
                long d = ((dimBytes[off] & 0xFFL) << 24)
                        | ((dimBytes[off + 1] & 0xFF) << 16)
                        | ((dimBytes[off + 2] & 0xFF) << 8)
                        | (dimBytes[off + 3] & 0xFF);
                if (d <= 0 || d > Integer.MAX_VALUE)
                    throw new FormatException(file, 4 + off, "dimension " + i + " is " + d);
                dims[i] = (int) d;
                total *= d;
                if (total > MAX_BYTES)
                    throw new FormatException(file, 4 + off, "declared size exceeds " + MAX_BYTES + " bytes");
            }
            long dataStart = 4 + 4L * rank;
            if (!gz && fileLength != dataStart + total) {
                throw new FormatException(
                        file,
                        Math.min(fileLength, dataStart + total),
                        "header declares " + total + " data bytes but the file holds " + (fileLength - dataStart)
                                + (fileLength < dataStart + total ? " (truncated)" : " (trailing bytes)"));
            }
            byte[] data = readFully(in, (int) total, file, dataStart, "the data");
            if (in.read() != -1)
                throw new FormatException(
                        file, dataStart + total, "trailing bytes after the declared " + total + " data bytes");
            return new UByteArray(dims, data);
        } catch (ZipException | EOFException e) {
            throw new FormatException(file, "corrupt or truncated gzip stream (" + e.getMessage() + ")");
        }
    }

    /**
     * Reads exactly {@code n} bytes in chunks (so a lying header cannot make us allocate more than the
     * stream really holds, give or take a chunk).
     */
    private static byte[] readFully(InputStream in, int n, Path file, long offset, String what) throws IOException {
        byte[] out = new byte[Math.min(n, 1 << 20)];
        int have = 0;
        while (have < n) {
            if (have == out.length) out = java.util.Arrays.copyOf(out, (int) Math.min(n, 2L * out.length));
            int r = in.read(out, have, out.length - have);
            if (r < 0) {
                throw new FormatException(
                        file, offset + have, "file ends while reading " + what + " (" + have + " of " + n + " bytes)");
            }
            have += r;
        }
        return out;
    }
}
