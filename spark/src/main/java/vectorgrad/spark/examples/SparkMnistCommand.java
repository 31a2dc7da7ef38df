package vectorgrad.spark.examples;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.functions;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import vectorgrad.autograd.Generator;
import vectorgrad.autograd.Tensor;
import vectorgrad.examples.Args;
import vectorgrad.examples.MnistClassifier;
import vectorgrad.examples.MnistCommand;
import vectorgrad.examples.UsageException;
import vectorgrad.nn.data.Mnist;
import vectorgrad.nn.optim.Adam;
import vectorgrad.spark.DataParallelTrainer;
import vectorgrad.spark.ModelBundle;
import vectorgrad.spark.ModuleTransformer;
import vectorgrad.spark.StateBytes;

/** {@code spark mnist classify} and {@code spark mnist train}. */
public final class SparkMnistCommand {
    private SparkMnistCommand() {}

    static final Set<String> CLASSIFY_OPTIONS =
            Set.of("checkpoint", "master", "data", "input", "input-col", "output", "batch-size", "handle-invalid");
    static final Set<String> TRAIN_OPTIONS = Set.of(
            "master",
            "workers",
            "batch-size",
            "epochs",
            "max-steps",
            "lr",
            "seed",
            "data",
            "checkpoint",
            "print-every");

    /** The images as a DataFrame: {@code index} (int), {@code image} (binary, 784 bytes 0-255), {@code label} (int). */
    public static final StructType IMAGES = DataTypes.createStructType(List.of(
            DataTypes.createStructField("index", DataTypes.IntegerType, false),
            DataTypes.createStructField("image", DataTypes.BinaryType, false),
            DataTypes.createStructField("label", DataTypes.IntegerType, false)));

    /**
     * The images of {@code root}'s training or test split in file order, in {@code partitions} contiguous
     * slices; each task reads its slice from the files (so {@code root} must be where the executors can read
     * it: any local folder in local mode, a shared one on a cluster), which keeps the tasks small.
     */
    public static Dataset<Row> images(SparkSession spark, Path root, boolean train, int size, int partitions) {
        List<int[]> slices = new ArrayList<>();
        for (int p = 0; p < partitions; p++)
            slices.add(new int[] {(int) ((long) p * size / partitions), (int) ((long) (p + 1) * size / partitions)});
        String dir = root.toAbsolutePath().toString();
        JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
        JavaRDD<Row> rows = jsc.parallelize(slices, partitions).flatMap(slice -> {
            Mnist data = MnistFiles.load(dir, train);
            List<Row> out = new ArrayList<>(slice[1] - slice[0]);
            for (int i = slice[0]; i < slice[1]; i++) out.add(RowFactory.create(i, data.imageBytes(i), data.label(i)));
            return out.iterator();
        });
        return spark.createDataFrame(rows, IMAGES);
    }

    /** The IDX files each executor JVM has read, by folder and split (a task per slice would read them again). */
    static final class MnistFiles {
        private static final java.util.Map<String, Mnist> LOADED = new java.util.HashMap<>();

        static synchronized Mnist load(String dir, boolean train) throws IOException {
            String key = dir + (train ? "#train" : "#test");
            Mnist m = LOADED.get(key);
            if (m == null) {
                m = Mnist.load(Path.of(dir), train);
                LOADED.clear(); // one split at a time: the training set is 47 MB
                LOADED.put(key, m);
            }
            return m;
        }
    }

    /** The session: {@code --master} if given, else the one spark-submit set, else {@code local[2]}. */
    static SparkSession session(Args a, String app) {
        SparkSession.Builder b = SparkSession.builder().appName(app);
        String master = a.string("master", null);
        if (master != null) b.master(master);
        else if (System.getProperty("spark.master") == null) b.master("local[2]");
        b.config("spark.ui.showConsoleProgress", "false");
        // a barrier stage that cannot get all its slots fails within seconds, not after Spark's ten minutes
        b.config("spark.scheduler.barrier.maxConcurrentTasksCheck.interval", "1s");
        b.config("spark.scheduler.barrier.maxConcurrentTasksCheck.maxFailures", "3");
        return b.getOrCreate();
    }

    // ------------------------------------------------------------------ classify

    static int classify(String[] argv, PrintStream out) throws IOException {
        Args a = new Args("spark mnist classify", argv, CLASSIFY_OPTIONS, Set.of("json"));
        String ckpt = a.string("checkpoint", null);
        if (ckpt == null) throw new UsageException("spark mnist classify: --checkpoint FILE is required");
        String input = a.string("input", null);
        if (input != null && a.string("data", null) != null)
            throw new UsageException("spark mnist classify: give --data DIR or --input FILE.parquet, not both");
        ModelBundle bundle;
        try {
            bundle = ModelBundle.fromCheckpoint(MnistClassifier.class, Path.of(ckpt), 1, 28, 28);
        } catch (NoSuchFileException e) {
            throw new UsageException(ckpt + ": no such checkpoint");
        } catch (vectorgrad.nn.io.FormatException e) {
            throw new UsageException(e.getMessage());
        }
        Path root = input == null ? MnistCommand.dataRoot(a, false, out) : null;
        Mnist test = input == null
                ? MnistCommand.load(root, false)
                : null; // read here first: a clear error if it is not there
        SparkSession spark = session(a, "vectorgrad spark mnist classify");
        try {
            Dataset<Row> df;
            String col = a.string("input-col", "image");
            if (input != null) {
                if (!Files.exists(Path.of(input))) throw new UsageException(input + ": no such file or folder");
                df = spark.read().parquet(input);
            } else {
                df = images(
                        spark, root, false, test.size(), spark.sparkContext().defaultParallelism());
                col = "image";
            }
            ModuleTransformer t = new ModuleTransformer(bundle)
                    .setInputCol(col)
                    .setBatchSize((int) a.longValue("batch-size", 256, 1))
                    .setHandleInvalid(a.string("handle-invalid", "error"));
            long t0 = System.nanoTime();
            Dataset<Row> result;
            try {
                result = t.transform(df).cache();
            } catch (IllegalArgumentException e) {
                throw new UsageException("spark mnist classify: " + e.getMessage());
            }
            long rows = result.count();
            double seconds = (System.nanoTime() - t0) / 1e9;
            Double accuracy = null;
            if (List.of(df.columns()).contains("label")) {
                accuracy = rows == 0
                        ? Double.NaN
                        : result.filter(functions
                                                .col("prediction")
                                                .equalTo(functions.col("label").cast("double")))
                                        .count()
                                / (double) rows;
            }
            out.printf(
                    Locale.ROOT,
                    "classified %d rows in %.1f s (%.0f rows/s) on %s%n",
                    rows,
                    seconds,
                    rows / seconds,
                    spark.sparkContext().master());
            if (accuracy != null) out.printf(Locale.ROOT, "accuracy %.4f%n", accuracy);
            String output = a.string("output", null);
            if (output != null) {
                if (Files.exists(Path.of(output)))
                    throw new UsageException(
                            "spark mnist classify: " + output + " exists; name a new folder for --output");
                result.write().parquet(output);
                out.println("predictions written to " + output
                        + " (Parquet: the input's columns, prediction, probability)");
            }
            if (a.flag("json"))
                out.printf(
                        Locale.ROOT,
                        "{\"rows\":%d,\"accuracy\":%s}%n",
                        rows,
                        accuracy == null ? "null" : String.format(Locale.ROOT, "%.6f", accuracy));
            return 0;
        } finally {
            spark.stop();
        }
    }

    // ------------------------------------------------------------------ train

    static int train(String[] argv, PrintStream out) throws IOException {
        Args a = new Args("spark mnist train", argv, TRAIN_OPTIONS, Set.of("json", "shuffle", "resume"));
        int workers = (int) a.longValue("workers", 2, 1);
        int batchSize = (int) a.longValue("batch-size", 64, 1);
        int epochs = (int) a.longValue("epochs", 1, 1);
        long maxSteps = a.longValue("max-steps", Long.MAX_VALUE, 0);
        double lr = a.doubleValue("lr", 1e-3);
        if (lr <= 0) throw new UsageException("spark mnist train: --lr must be > 0, got " + lr);
        long seed = a.longValue("seed", 0, Long.MIN_VALUE);
        String ckpt = a.string("checkpoint", null);
        boolean resume = a.flag("resume");
        if (resume && ckpt == null) throw new UsageException("spark mnist train: --resume needs --checkpoint FILE");
        Path root = MnistCommand.dataRoot(a, false, out);
        Mnist train = MnistCommand.load(root, true), test = MnistCommand.load(root, false);

        // the start: mnist train's (same seed, same initial weights), or the checkpoint to resume
        Tensor.manualSeed(seed);
        MnistClassifier model = new MnistClassifier(Generator.keyedBySample(seed));
        Adam optimizer = new Adam(model.parameters(), lr);
        byte[] start;
        if (resume) {
            MnistCommand.loadCheckpoint(Path.of(ckpt), model, optimizer); // checks it fits
            start = Files.readAllBytes(Path.of(ckpt));
        } else {
            Map<String, String> md = new LinkedHashMap<>();
            md.put("epoch", "0");
            md.put("batch", "0");
            md.put("step", "0");
            start = StateBytes.save(model, optimizer, md);
        }
        if (ckpt != null) vectorgrad.nn.io.Checkpoint.removeStaleTemporaries(Path.of(ckpt));
        SparkSession spark = session(a, "vectorgrad spark mnist train");
        try {
            Dataset<Row> df = images(spark, root, true, train.size(), workers);
            DataParallelTrainer trainer = new DataParallelTrainer(
                            new MnistTask(lr, seed),
                            workers,
                            batchSize,
                            epochs,
                            maxSteps,
                            seed,
                            a.flag("shuffle"),
                            ckpt == null ? null : Path.of(ckpt).toAbsolutePath().toString(),
                            "image",
                            "label")
                    .printEvery((int) a.longValue("print-every", 25, 0));
            out.printf(
                    Locale.ROOT,
                    "training on %s (%d images) with %d workers on %s, global batch %d, Adam(lr=%g)%n",
                    train.imageFile().getParent(),
                    train.size(),
                    workers,
                    spark.sparkContext().master(),
                    batchSize,
                    lr);
            DataParallelTrainer.Result r = trainer.fit(df, start);
            double rate = r.samples() / Math.max(r.seconds(), 1e-9);
            out.printf(
                    Locale.ROOT,
                    "done: %d steps (%d images) in %.1f s, %.0f images/s; all-reduce %.1f s (%.0f%%)%n",
                    r.steps(),
                    r.samples(),
                    r.seconds(),
                    rate,
                    r.allReduceSeconds(),
                    100 * r.allReduceSeconds() / Math.max(r.seconds(), 1e-9));
            r.loadInto(model, optimizer);
            if (ckpt != null)
                out.printf(
                        Locale.ROOT,
                        "checkpoint written to %s (epoch=%d batch=%d, step %d)%n",
                        ckpt,
                        r.epoch(),
                        r.batchNext(),
                        r.steps());
            MnistCommand.Evaluation ev = MnistCommand.evaluate(model, test, 500);
            MnistCommand.printTestResult(out, ev, test.size());
            if (a.flag("json")) MnistCommand.printRunJson(out, ev, r.steps(), rate, r.seconds());
            return 0;
        } finally {
            spark.stop();
        }
    }

    /** The innermost message of a failure (Spark wraps a task's exception in its job-abort message). */
    static String rootMessage(Throwable e) {
        Throwable t = e;
        String best = e.getMessage();
        while (t != null) {
            if (t instanceof DataParallelTrainer.WorkerException || t instanceof IllegalArgumentException)
                best = t.getMessage();
            t = t.getCause();
        }
        if (best != null && best.contains("most recent failure")) {
            // Spark's "Job aborted due to stage failure: ... most recent failure: ... : <exception>: <message>"
            int at = best.indexOf("\n");
            if (at > 0) best = best.substring(0, at);
        }
        return best;
    }
}
