package vectorgrad.examples;

import java.util.Arrays;

/** Entry point of {@code ./vectorgrad}: dispatches to the example programs. */
public final class Main {
    private Main() {}

    static final String USAGE = """
            usage: vectorgrad <command> [options]
              linreg   fit y = alpha + beta*x + N(0, sigma^2) by maximum likelihood with Adam (textbook example 3.3.1)
                       [--data FILE.csv] [--n 1000] [--alpha 2] [--beta 0.5] [--sigma 0.3] [--seed 0]
                       [--steps 20000] [--lr 0.001] [--print-every 1000] [--threads N] [--plot fit.png] [--json]
              mnist train     train the textbook's CNN (example 3.3.2) on MNIST or Fashion-MNIST
                       [--data DIR] [--download] [--epochs 1] [--batch-size 5] [--lr 0.001] [--seed 0] [--shuffle]
                       [--threads N] [--max-steps N] [--print-every 25] [--checkpoint FILE [--save-every 1000]] [--resume]
                       [--plot curves.png [--eval-every N]] [--detect-anomaly] [--json]
                       Ctrl-C or SIGTERM: finish the step, write the checkpoint, exit 130 (143 for SIGTERM)
              mnist eval      --checkpoint FILE [--data DIR] [--batch-size 100] [--threads N]
                       [--plot confusion.png] [--misclassified grid.png [--max-misclassified 24]] [--json]
                       accuracy, per class, confusion matrix
              mnist classify  --checkpoint FILE (--index N [--test] | --image FILE.png) [--data DIR] [--json]
              resnet train    train a small ResNet (3 stages, batch norm, residual blocks) on Fashion-MNIST or MNIST:
                       SGD (momentum 0.9, Nesterov, weight decay 5e-4), OneCycleLR, label smoothing 0.1
                       [--data DIR] [--download] [--epochs 1] [--batch-size 128] [--lr 0.2 (max_lr)] [--seed 0]
                       [--threads N] [--max-steps N] [--print-every 20] [--checkpoint FILE [--save-every 200]] [--resume]
                       [--plot curves.png [--eval-every N]] [--json]   Ctrl-C or SIGTERM as mnist train
              resnet eval     --checkpoint FILE [--data DIR] [--batch-size 500] [--threads N] [--json]
              tabular train   an MLP on a table (regression, or --classification), no --data: a built-in task
                       whose best possible loss is known; AdamW, one-cycle or cosine schedule, gradient clipping,
                       validation split, early stopping, the best model saved
                       [--data FILE.csv --target COLUMN [--features A,B,...] [--classification]] [--rows 10000]
                       [--hidden 64,64] [--epochs 200] [--batch-size 64] [--lr 0.003] [--weight-decay 0.0001]
                       [--schedule onecycle|cosine|none] [--clip 1.0] [--val-fraction 0.2] [--patience 20]
                       [--checkpoint tabular-best.safetensors] [--seed 0] [--threads N] [--quiet] [--json]
              gpt train       a character-level GPT (nanoGPT style) on a text corpus, default Debian's fortunes
                       [--data FILE|DIR] [--layers 4] [--heads 4] [--embd 128] [--block 128] [--batch-size 32]
                       [--steps 3000] [--max-steps N] [--lr 0.001] [--min-lr 0.0001] [--warmup 100] [--dropout 0.1] [--weight-decay 0.1]
                       [--eval-every 250] [--eval-batches 20] [--print-every 50] [--seed 1337] [--threads N]
                       [--checkpoint FILE] [--resume] [--plot curves.png] [--json]   Ctrl-C or SIGTERM as mnist train
              gpt sample      --checkpoint FILE [--prompt TEXT] [--tokens 500] [--temperature 0.8] [--top-k 40] [--seed 0]
                       [--threads N] [--json]   generates with a key/value cache; a short text (3,000 tokens of
                       the default model) on the scalar kernels, done before the vector ones would compile
                       (JDK_JAVA_OPTIONS=-Dvectorgrad.scalar=false keeps the vectors)
              test     run the test suite (launcher only)
              install  install the library jars in the local Maven repository (launcher only)
              samples  build and run samples/ against the installed jars (launcher only)
              bench    run the benchmarks (launcher only; bench/README.md)
              spark    the Spark programs: spark mnist classify|train (launcher only; spark/README.md)
              jshell   JShell with vectorgrad loaded (launcher only)
              fuzz     the long coverage-guided fuzzing run (launcher only)""";

    public static void main(String[] args) {
        useConsoleLogFormat();
        // before any kernel class loads: the choice is read once per JVM
        if (GptCommand.prefersScalarKernels(args)) System.setProperty("vectorgrad.scalar", "true");
        System.exit(run(args));
    }

    /**
     * The library warns through System.Logger; on the console one line per warning ("WARNING: ...") reads
     * better than java.util.logging's default two-line form with a timestamp and class name. A format the
     * user set is kept.
     */
    public static void useConsoleLogFormat() {
        if (System.getProperty("java.util.logging.SimpleFormatter.format") == null)
            System.setProperty("java.util.logging.SimpleFormatter.format", "%4$s: %5$s%6$s%n");
    }

    /** No arguments, or a request for help as the first. */
    public static boolean asksForHelp(String[] args) {
        return args.length == 0 || args[0].equals("--help") || args[0].equals("-h") || args[0].equals("help");
    }

    /** Runs a command; returns the process exit status. */
    public static int run(String[] args) {
        if (asksForHelp(args)) {
            System.out.println(USAGE);
            return args.length == 0 ? 2 : 0;
        }
        String[] rest = Arrays.copyOfRange(args, 1, args.length);
        try {
            return switch (args[0]) {
                case "linreg" -> LinearRegression.run(rest);
                case "mnist" -> MnistCommand.run(rest);
                case "resnet" -> ResNetCommand.run(rest);
                case "tabular" -> TabularCommand.run(rest);
                case "gpt" -> GptCommand.run(rest);
                default -> throw new UsageException("unknown command '" + args[0] + "'\n" + USAGE);
            };
        } catch (UsageException e) {
            System.err.println("vectorgrad: " + e.getMessage());
            return 2;
        } catch (java.io.IOException e) {
            System.err.println("vectorgrad: " + e.getMessage());
            return 2;
        }
    }
}
