package vectorgrad.spark.examples;

import java.util.Arrays;
import vectorgrad.examples.Main;
import vectorgrad.examples.UsageException;

/** {@code ./vectorgrad spark ...}: the Spark programs (local mode from the launcher, or spark-submit). */
public final class SparkMain {
    private SparkMain() {}

    static final String USAGE = """
            usage: vectorgrad spark mnist <classify|train> [options]
              spark mnist classify  --checkpoint FILE [--master local[2]] [--data DIR | --input FILE.parquet [--input-col image]]
                       [--output DIR] [--batch-size 256] [--handle-invalid error|keep|skip] [--json]
                       classifies the IDX test set (as mnist eval) or a Parquet file's column (binary 0-255 pixels,
                       array<float> or vector; a 'label' column gives the accuracy) with the model in FILE
              spark mnist train  [--master local[2]] [--workers 2] [--batch-size 64 (global)] [--epochs 1] [--max-steps N]
                       [--lr 0.001] [--seed 0] [--shuffle] [--data DIR] [--checkpoint FILE [--resume]] [--print-every 25] [--json]
                       synchronous data-parallel training in barrier mode; the checkpoint is mnist train's file""";

    public static void main(String[] args) {
        Main.useConsoleLogFormat();
        System.exit(run(args));
    }

    public static int run(String[] args) {
        if (Main.asksForHelp(args)) {
            System.out.println(USAGE);
            return args.length == 0 ? 2 : 0;
        }
        try {
            if (!args[0].equals("mnist"))
                throw new UsageException("spark: unknown program '" + args[0] + "'\n" + USAGE);
            if (args.length < 2) throw new UsageException("spark mnist: expected classify or train\n" + USAGE);
            String[] rest = Arrays.copyOfRange(args, 2, args.length);
            return switch (args[1]) {
                case "classify" -> SparkMnistCommand.classify(rest, System.out);
                case "train" -> SparkMnistCommand.train(rest, System.out);
                default ->
                    throw new UsageException("spark mnist: unknown subcommand '" + args[1] + "' (classify, train)");
            };
        } catch (UsageException | java.io.IOException e) {
            System.err.println("vectorgrad: " + e.getMessage());
            return 2;
        } catch (RuntimeException e) {
            // a Spark job failure: its stack traces went to the log; here, the cause in one line
            System.err.println("vectorgrad: " + SparkMnistCommand.rootMessage(e));
            return 1;
        }
    }
}
