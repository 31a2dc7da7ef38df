package vectorgrad.nn.io;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Writes a file so that readers see the old content or the new, never half of it: the bytes go to
 * {@code .<name>.<random>.tmp} in the same folder, are forced to disk, and the file is renamed over the
 * target. A writer killed midway leaves only the temporary ({@link #removeTemporaries} clears it).
 */
public final class AtomicFile {
    private AtomicFile() {}

    /** What writes the content. */
    @FunctionalInterface
    public interface Content {
        void writeTo(OutputStream out) throws IOException;
    }

    /** Temporaries of {@link #write} for {@code file}: exactly {@code .<name>.<hex>.tmp}, nothing else's. */
    static java.util.regex.Pattern temporaryName(Path file) {
        return java.util.regex.Pattern.compile(
                "\\." + java.util.regex.Pattern.quote(file.getFileName().toString()) + "\\.[0-9a-f]+\\.tmp");
    }

    /** Deletes temporaries a killed {@link #write} of {@code file} left behind; returns how many. */
    public static int removeTemporaries(Path file) throws IOException {
        Path dir = file.toAbsolutePath().getParent();
        if (dir == null || !Files.isDirectory(dir)) return 0;
        java.util.regex.Pattern mine = temporaryName(file);
        int removed = 0;
        try (var entries = Files.newDirectoryStream(
                dir, e -> mine.matcher(e.getFileName().toString()).matches())) {
            for (Path p : entries) if (Files.deleteIfExists(p)) removed++;
        }
        return removed;
    }

    public static void write(Path file, Content content) throws IOException {
        Path dir = file.toAbsolutePath().getParent();
        if (dir == null || !Files.isDirectory(dir))
            throw new NoSuchFileException(file.toString(), null, "its folder does not exist");
        // not createTempFile: its owner-only permissions would stay on the renamed file
        Path tmp = Files.createFile(dir.resolve("." + file.getFileName() + "."
                + Long.toHexString(ThreadLocalRandom.current().nextLong()) + ".tmp"));
        try {
            try (FileChannel ch =
                            FileChannel.open(tmp, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING);
                    OutputStream out = Channels.newOutputStream(ch)) {
                content.writeTo(out);
                out.flush();
                ch.force(true);
            }
            try {
                Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
            }
            try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
                d.force(true); // the rename itself survives a power cut, not only a killed process
            } catch (IOException | UnsupportedOperationException notOnThisPlatform) {
                // some platforms cannot open or sync a folder; the rename is still atomic
            }
        } finally {
            Files.deleteIfExists(tmp);
        }
    }
}
