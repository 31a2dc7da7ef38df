package vectorgrad.examples;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** The usage text names every option each command accepts, so it cannot drift from the parsers. */
class UsageTest {
    /** A command's lines of the usage text: from "  command" to the next line that starts a command. */
    private static String section(String command) {
        Matcher m = Pattern.compile("(?m)^  " + Pattern.quote(command) + " .*?(?=^  \\S|\\z)", Pattern.DOTALL)
                .matcher(Main.USAGE);
        assertTrue(m.find(), command + " is missing from the usage text");
        return m.group();
    }

    private static void listed(String command, Set<String> options) {
        String section = section(command);
        for (String o : options)
            assertTrue(
                    section.contains("--" + o + " ") || section.contains("--" + o + "]"),
                    command + ": --" + o + " is accepted but not in its usage lines:\n" + section);
    }

    @Test
    void everyAcceptedOptionIsInTheUsageText() {
        listed("linreg", LinearRegression.OPTIONS);
        listed("linreg", LinearRegression.FLAGS);
        listed("mnist train", MnistCommand.TRAIN_OPTIONS);
        listed("mnist train", MnistCommand.TRAIN_FLAGS);
        listed("mnist eval", MnistCommand.EVAL_OPTIONS);
        listed("mnist eval", MnistCommand.EVAL_FLAGS);
        listed("mnist classify", MnistCommand.CLASSIFY_OPTIONS);
        listed("mnist classify", MnistCommand.CLASSIFY_FLAGS);
        listed("resnet train", ResNetCommand.TRAIN_OPTIONS);
        listed("resnet train", ResNetCommand.TRAIN_FLAGS);
        listed("resnet eval", ResNetCommand.EVAL_OPTIONS);
        listed("resnet eval", ResNetCommand.EVAL_FLAGS);
        listed("tabular train", TabularCommand.OPTIONS);
        listed("tabular train", TabularCommand.FLAGS);
        listed("gpt train", GptCommand.TRAIN_OPTIONS);
        listed("gpt train", GptCommand.TRAIN_FLAGS);
        listed("gpt sample", GptCommand.SAMPLE_OPTIONS);
        listed("gpt sample", GptCommand.SAMPLE_FLAGS);
    }
}
