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
        super(oneLine(file + " at byte " + offset + ": " + problem));
    }

    public FormatException(Path file, String problem) {
        super(oneLine(file + ": " + problem));
    }

    /**
     * Messages quote bytes from the file (a JSON key, a bad escape); control characters among them are
     * shown as Java-style u+XXXX escapes so the message stays one printable line (found by fuzzing).
     */
    public static String oneLine(String s) {
        StringBuilder b = null;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            boolean bad = Character.isISOControl(c) || c == '\u2028' || c == '\u2029';
            if (bad && b == null) b = new StringBuilder(s.length() + 16).append(s, 0, i);
            if (b != null) {
                if (bad) b.append(String.format("\\u%04x", (int) c));
                else b.append(c);
            }
        }
        return b == null ? s : b.toString();
    }
}
