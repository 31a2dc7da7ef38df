package vectorgrad.nn.io;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import vectorgrad.autograd.DType;
import vectorgrad.autograd.Tensor;
import vectorgrad.autograd.internal.TensorAccess;

/**
 * The safetensors format, as {@code safetensors.torch.save_file}/{@code load_file} write and read it:
 * an 8-byte little-endian header length, a JSON header mapping each name to
 * {@code {"dtype", "shape", "data_offsets": [begin, end]}} (offsets into the data that follows) plus an
 * optional {@code "__metadata__"} object of strings, then little-endian data.
 *
 * <p>Reading checks the header against the file before allocating: header length, JSON, dtypes (F32, I32,
 * and I64 converted to int32), shapes against offsets, offsets against the file and each other.
 * Writing goes to a temporary file in the same folder, forced to disk, then renamed over the target, so a
 * reader sees the old file or the new one, never a mix.
 */
public final class SafeTensors {
    private SafeTensors() {}

    /** Tensors by name (file order) and the string metadata. */
    public record Contents(Map<String, Tensor> tensors, Map<String, String> metadata) {}

    private static final long MAX_HEADER = 100L << 20;

    /** Every tensor of {@code file} and its metadata. */
    public static Contents read(Path file) throws IOException {
        return read(file, name -> true);
    }

    /**
     * The tensors of {@code file} whose names {@code wanted} accepts, and the metadata: the whole header is
     * checked as by {@link #read(Path)}, the other tensors' data is not read (a checkpoint's optimizer
     * state, twice its model's size with Adam, when only the model is loaded), so neither are their values
     * checked (an I64 value outside int32's range fails only a tensor that is read).
     */
    public static Contents read(Path file, java.util.function.Predicate<String> wanted) throws IOException {
        long length;
        try {
            length = Files.size(file);
        } catch (NoSuchFileException e) {
            throw new NoSuchFileException(file.toString(), null, "no such file");
        }
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            if (length < 8)
                throw new FormatException(
                        file, 0, "file of " + length + " bytes is too short for a safetensors header");
            ByteBuffer lenBuf = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
            readFully(ch, lenBuf, 0, file);
            long headerLen = lenBuf.getLong(0);
            if (headerLen < 2 || headerLen > MAX_HEADER || 8 + headerLen > length) {
                throw new FormatException(
                        file, 0, "header length " + headerLen + " does not fit in the file's " + length + " bytes");
            }
            ByteBuffer hb = ByteBuffer.allocate((int) headerLen);
            readFully(ch, hb, 8, file);
            String headerText = StandardCharsets.UTF_8.decode(hb.flip()).toString();
            Object parsed;
            try {
                parsed = Json.parse(headerText);
            } catch (Json.ParseError e) {
                throw new FormatException(file, 8, "header is not valid JSON: " + e.getMessage());
            }
            if (!(parsed instanceof Map<?, ?> header))
                throw new FormatException(file, 8, "header is not a JSON object");
            long dataStart = 8 + headerLen, dataLen = length - dataStart;
            Map<String, String> metadata = new LinkedHashMap<>();
            record Entry(String name, DType dtype, int width, int[] shape, long begin, long end) {}
            List<Entry> entries = new ArrayList<>();
            for (Map.Entry<?, ?> e : header.entrySet()) {
                String name = (String) e.getKey();
                if (name.equals("__metadata__")) {
                    if (!(e.getValue() instanceof Map<?, ?> md))
                        throw new FormatException(file, 8, "__metadata__ is not an object");
                    for (Map.Entry<?, ?> m : md.entrySet()) {
                        if (!(m.getValue() instanceof String v))
                            throw new FormatException(file, 8, "metadata \"" + m.getKey() + "\" is not a string");
                        metadata.put((String) m.getKey(), v);
                    }
                    continue;
                }
                if (!(e.getValue() instanceof Map<?, ?> info))
                    throw new FormatException(file, 8, "tensor \"" + name + "\": entry is not an object");
                Object dt = info.get("dtype");
                int width;
                DType dtype;
                if ("F32".equals(dt)) {
                    dtype = DType.FLOAT32;
                    width = 4;
                } else if ("I32".equals(dt)) {
                    dtype = DType.INT32;
                    width = 4;
                } else if ("I64".equals(dt)) {
                    dtype = DType.INT32;
                    width = 8;
                } else
                    throw new FormatException(
                            file,
                            8,
                            "tensor \"" + name + "\": unsupported dtype " + dt + " (supported: F32, I32, I64)");
                if (!(info.get("shape") instanceof List<?> shapeList))
                    throw new FormatException(file, 8, "tensor \"" + name + "\": missing shape");
                if (shapeList.size() > 8)
                    throw new FormatException(
                            file, 8, "tensor \"" + name + "\": rank " + shapeList.size() + " is too large");
                int[] shape = new int[shapeList.size()];
                long numel = 1;
                for (int i = 0; i < shape.length; i++) {
                    if (!(shapeList.get(i) instanceof Long d) || d < 0 || d > Integer.MAX_VALUE) {
                        throw new FormatException(
                                file, 8, "tensor \"" + name + "\": bad dimension " + shapeList.get(i));
                    }
                    shape[i] = (int) (long) d;
                    numel *= d;
                    if (numel > dataLen)
                        throw new FormatException(
                                file,
                                8,
                                "tensor \"" + name + "\": shape " + shapeList + " is larger than the file's data");
                }
                if (!(info.get("data_offsets") instanceof List<?> offs)
                        || offs.size() != 2
                        || !(offs.get(0) instanceof Long begin)
                        || !(offs.get(1) instanceof Long end)) {
                    throw new FormatException(file, 8, "tensor \"" + name + "\": data_offsets must be [begin, end]");
                }
                if (begin < 0 || end < begin || end > dataLen) {
                    throw new FormatException(
                            file,
                            dataStart + Math.max(0, begin),
                            "tensor \"" + name + "\": data_offsets [" + begin + ", " + end + "] outside the " + dataLen
                                    + " data bytes");
                }
                if (end - begin != numel * width) {
                    throw new FormatException(
                            file,
                            dataStart + begin,
                            "tensor \"" + name + "\": " + (end - begin) + " bytes for shape " + shapeList + " of "
                                    + dt);
                }
                entries.add(new Entry(name, dtype, width, shape, begin, end));
            }
            List<Entry> sorted = new ArrayList<>(entries);
            sorted.sort((x, y) -> Long.compare(x.begin(), y.begin()));
            for (int i = 1; i < sorted.size(); i++) {
                if (sorted.get(i).begin() < sorted.get(i - 1).end()) {
                    throw new FormatException(
                            file,
                            dataStart + sorted.get(i).begin(),
                            "tensors \"" + sorted.get(i - 1).name() + "\" and \""
                                    + sorted.get(i).name() + "\" overlap");
                }
            }
            Map<String, Tensor> tensors = new LinkedHashMap<>();
            for (Entry e : entries) {
                if (!wanted.test(e.name())) continue;
                ByteBuffer buf =
                        ByteBuffer.allocate((int) (e.end() - e.begin())).order(ByteOrder.LITTLE_ENDIAN);
                readFully(ch, buf, dataStart + e.begin(), file);
                buf.flip();
                int n = (int) ((e.end() - e.begin()) / e.width());
                if (e.dtype() == DType.FLOAT32) {
                    float[] v = new float[n];
                    buf.asFloatBuffer().get(v);
                    tensors.put(e.name(), Tensor.of(v, e.shape()));
                } else {
                    int[] v = new int[n];
                    for (int i = 0; i < n; i++) {
                        long x = e.width() == 8 ? buf.getLong(i * 8) : buf.getInt(i * 4);
                        if (x < Integer.MIN_VALUE || x > Integer.MAX_VALUE) {
                            throw new FormatException(
                                    file,
                                    dataStart + e.begin() + (long) i * 8,
                                    "tensor \"" + e.name() + "\": value " + x + " does not fit int32");
                        }
                        v[i] = (int) x;
                    }
                    tensors.put(e.name(), Tensor.ofInts(v, e.shape()));
                }
            }
            return new Contents(tensors, metadata);
        }
    }

    private static void readFully(FileChannel ch, ByteBuffer buf, long position, Path file) throws IOException {
        long pos = position;
        while (buf.hasRemaining()) {
            int r = ch.read(buf, pos);
            if (r < 0) throw new FormatException(file, pos, "unexpected end of file");
            pos += r;
        }
    }

    /** Writes {@code tensors} (float32 or int32) and {@code metadata} atomically to {@code file}. */
    public static void write(Path file, Map<String, Tensor> tensors, Map<String, String> metadata) throws IOException {
        StringBuilder h = new StringBuilder("{");
        boolean first = true;
        if (metadata != null && !metadata.isEmpty()) {
            h.append("\"__metadata__\":{");
            boolean f2 = true;
            for (Map.Entry<String, String> m : metadata.entrySet()) {
                if (!f2) h.append(',');
                f2 = false;
                h.append(Json.quote(m.getKey())).append(':').append(Json.quote(m.getValue()));
            }
            h.append('}');
            first = false;
        }
        long offset = 0;
        for (Map.Entry<String, Tensor> e : tensors.entrySet()) {
            Tensor t = e.getValue();
            long bytes = t.numel() * 4;
            if (!first) h.append(',');
            first = false;
            h.append(Json.quote(e.getKey()))
                    .append(":{\"dtype\":\"")
                    .append(t.dtype() == DType.FLOAT32 ? "F32" : "I32")
                    .append("\",\"shape\":[");
            int[] s = t.shape();
            for (int i = 0; i < s.length; i++) h.append(i == 0 ? "" : ",").append(s[i]);
            h.append("],\"data_offsets\":[")
                    .append(offset)
                    .append(',')
                    .append(offset + bytes)
                    .append("]}");
            offset += bytes;
        }
        h.append('}');
        // pad the header with spaces to a multiple of 8 bytes, as the reference writer does, so data is aligned
        int pad = (8 - h.toString().getBytes(StandardCharsets.UTF_8).length % 8) % 8;
        h.append(" ".repeat(pad));
        byte[] header = h.toString().getBytes(StandardCharsets.UTF_8);
        AtomicFile.write(file, out -> {
            ByteBuffer len =
                    ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(0, header.length);
            out.write(len.array());
            out.write(header);
            byte[] buf = new byte[1 << 16];
            for (Tensor t : tensors.values()) {
                MemorySegment seg = TensorAccess.segment(t);
                long bytes = t.numel() * 4;
                for (long o = 0; o < bytes; o += buf.length) {
                    int n = (int) Math.min(buf.length, bytes - o);
                    MemorySegment.copy(seg, ValueLayout.JAVA_BYTE, o, buf, 0, n);
                    if (ByteOrder.nativeOrder() != ByteOrder.LITTLE_ENDIAN) swap4(buf, n);
                    out.write(buf, 0, n);
                }
            }
        });
    }

    private static void swap4(byte[] b, int n) {
        for (int i = 0; i + 3 < n; i += 4) {
            byte t0 = b[i], t1 = b[i + 1];
            b[i] = b[i + 3];
            b[i + 1] = b[i + 2];
            b[i + 2] = t1;
            b[i + 3] = t0;
        }
    }
}
