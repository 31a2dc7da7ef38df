package vectorgrad.nn.io;

import java.io.IOException;
import java.nio.file.Path;

/**
 * A file that is not what its reader expects: bad magic number, impossible sizes, truncated data, an
 * unknown dtype, a checkpoint for another architecture. The message is one line naming the file and
 * the byte offset or key involved.
 */
public class FormatException extends IOException {
    public FormatException(Path file, long offset, String problem) {
        super(file + " at byte " + offset + ": " + problem);
    }

    public FormatException(Path file, String problem) {
        super(file + ": " + problem);
    }
}
