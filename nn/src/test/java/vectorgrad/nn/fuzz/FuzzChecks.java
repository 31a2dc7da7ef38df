package vectorgrad.nn.fuzz;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;

/** What every reader's error must look like: a message, on one line. */
public final class FuzzChecks {
    private FuzzChecks() {}

    public static void oneLine(Exception e) {
        assertNotNull(e.getMessage(), "no message: " + e);
        assertFalse(
                e.getMessage().contains("\n") || e.getMessage().contains("\r"),
                "message spans lines: " + e.getMessage());
    }
}
