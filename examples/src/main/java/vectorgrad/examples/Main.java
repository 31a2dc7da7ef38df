package vectorgrad.examples;

import java.util.Arrays;

/** Entry point of {@code ./vectorgrad}: dispatches to the example programs. */
public final class Main {
    private Main() {}

    static final String USAGE = """
            usage: vectorgrad <command> [options]
              linreg   fit y = alpha + beta*x + N(0, sigma^2) by maximum likelihood with Adam (textbook example 3.3.1)
                       [--data FILE.csv] [--n 1000] [--alpha 2] [--beta 0.5] [--sigma 0.3] [--seed 0]
                       [--steps 20000] [--lr 0.001] [--print-every 1000] [--threads N] [--json]
              mnist train     train the textbook's CNN (example 3.3.2) on MNIST or Fashion-MNIST
                       [--data DIR] [--epochs 1] [--batch-size 5] [--lr 0.001] [--seed 0] [--threads N]
                       [--max-steps N] [--checkpoint FILE] [--resume] [--shuffle] [--download] [--json]
              mnist eval      --checkpoint FILE [--data DIR] [--json]: accuracy, per class, confusion matrix
              mnist classify  --checkpoint FILE (--index N [--test] | --image FILE.png) [--json]
              test     run the test suite (launcher only)
              bench    run the benchmarks (launcher only)""";

    public static void main(String[] args) {
        System.exit(run(args));
    }

    /** Runs a command; returns the process exit status. */
    public static int run(String[] args) {
        if (args.length == 0 || args[0].equals("--help") || args[0].equals("-h") || args[0].equals("help")) {
            System.out.println(USAGE);
            return args.length == 0 ? 2 : 0;
        }
        String[] rest = Arrays.copyOfRange(args, 1, args.length);
        try {
            return switch (args[0]) {
                case "linreg" -> LinearRegression.run(rest);
                case "mnist" -> MnistCommand.run(rest);
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
