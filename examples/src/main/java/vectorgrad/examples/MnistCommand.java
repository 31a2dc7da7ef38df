package vectorgrad.examples;

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
import vectorgrad.autograd.Anomaly;
import vectorgrad.autograd.Generator;
import vectorgrad.autograd.MemoryScope;
import vectorgrad.autograd.NoGrad;
import vectorgrad.autograd.Tensor;
import vectorgrad.autograd.Threads;
import vectorgrad.nn.Module;
import vectorgrad.nn.data.DataLoader;
import vectorgrad.nn.data.Download;
import vectorgrad.nn.data.Mnist;
import vectorgrad.nn.data.Sample;
import vectorgrad.nn.io.Checkpoint;
import vectorgrad.nn.io.FormatException;
import vectorgrad.nn.optim.Adam;
import vectorgrad.nn.optim.Optimizer;
import vectorgrad.nn.train.Interruptible;

/**
 * {@code ./vectorgrad mnist train|eval|classify}: the textbook's example 3.3.2 as a program.
 */
public final class MnistCommand {
    private MnistCommand() {}

    /** Where Debian's dataset-fashion-mnist package puts the files, and the other default folders. */
    public static final List<Path> DEFAULT_DATA =
            List.of(Path.of("data"), Path.of("/usr/share/datasets/fashion-mnist"));

    static final String NO_DATA = "no MNIST data found (looked in ./data and /usr/share/datasets/fashion-mnist); "
            + "install Debian's Fashion-MNIST (apt-get install dataset-fashion-mnist), pass --data DIR with MNIST's IDX files, "
            + "or add --download to fetch MNIST into --data (default ./data)";

    /** The options (with a value) and flags each subcommand accepts; Main's usage text lists them all (tested). */
    static final Set<String> TRAIN_OPTIONS = Set.of(
            "data",
            "epochs",
            "batch-size",
            "lr",
            "seed",
            "threads",
            "max-steps",
            "checkpoint",
            "print-every",
            "save-every",
            "plot",
            "eval-every");

    static final Set<String> TRAIN_FLAGS = Set.of("resume", "json", "download", "shuffle", "detect-anomaly");
    static final Set<String> EVAL_OPTIONS =
            Set.of("data", "checkpoint", "threads", "batch-size", "plot", "misclassified", "max-misclassified");
    static final Set<String> EVAL_FLAGS = Set.of("json");
    static final Set<String> CLASSIFY_OPTIONS = Set.of("data", "checkpoint", "index", "image");
    static final Set<String> CLASSIFY_FLAGS = Set.of("test", "json");

    static int run(String[] args) throws IOException {
        if (args.length == 0) throw new UsageException("mnist: expected train, eval or classify\n" + Main.USAGE);
        String[] rest = java.util.Arrays.copyOfRange(args, 1, args.length);
        return switch (args[0]) {
            case "train" -> train(new Args("mnist train", rest, TRAIN_OPTIONS, TRAIN_FLAGS), System.out);
            case "eval" -> eval(new Args("mnist eval", rest, EVAL_OPTIONS, EVAL_FLAGS), System.out);
            case "classify" -> classify(new Args("mnist classify", rest, CLASSIFY_OPTIONS, CLASSIFY_FLAGS), System.out);
            default -> throw new UsageException("mnist: unknown subcommand '" + args[0] + "' (train, eval, classify)");
        };
    }

    public static Path dataRoot(Args a, boolean download, PrintStream out) throws IOException {
        String d = a.string("data", null);
        if (download) {
            Path root = Path.of(d == null ? "data" : d);
            out.println("downloading MNIST into " + root.resolve("MNIST").resolve("raw"));
            Download.mnist(root, Download.MNIST_MIRRORS, Download.MNIST_FILES, out);
            return root;
        }
        if (d != null) return Path.of(d);
        for (Path p : DEFAULT_DATA) {
            try {
                Mnist.candidates(p, "train-images-idx3-ubyte").stream()
                        .filter(Files::isRegularFile)
                        .findFirst()
                        .orElseThrow();
                return p;
            } catch (java.util.NoSuchElementException e) {
                // try the next
            }
        }
        throw new UsageException(NO_DATA);
    }

    public static Mnist load(Path root, boolean train) throws IOException {
        try {
            return Mnist.load(root, train);
        } catch (NoSuchFileException e) {
            throw new UsageException(e.getFile() + ": " + e.getReason());
        } catch (FormatException e) {
            throw new UsageException(e.getMessage());
        }
    }

    public static void threads(Args a) {
        if (a.string("threads", null) != null) Threads.setNumThreads((int) a.longValue("threads", 1, 1));
    }

    // ------------------------------------------------------------------ train

    /**
     * Images per batch when evaluating (mnist eval's default and mnist train's final test): in a short run
     * the JIT is still compiling, and smaller batches reach compiled code sooner (a whole mnist eval took
     * 3.84 s in batches of 100 and 4.45 in 500s; the test after a 20-step run 1.28 s and 1.53-1.59).
     */
    static final int EVAL_BATCH = 100;

    static int train(Args a, PrintStream out) throws IOException {
        int epochs = (int) a.longValue("epochs", 1, 1);
        int batchSize = (int) a.longValue("batch-size", 5, 1);
        double lr = a.doubleValue("lr", 1e-3);
        if (lr <= 0) throw new UsageException("mnist train: --lr must be > 0, got " + lr);
        long seed = a.longValue("seed", 0, Long.MIN_VALUE);
        long maxSteps = a.longValue("max-steps", Long.MAX_VALUE, 0);
        long printEvery = a.longValue("print-every", 25, 1);
        String ckpt = a.string("checkpoint", null);
        boolean resume = a.flag("resume"), json = a.flag("json"), shuffle = a.flag("shuffle");
        long saveEvery = a.longValue("save-every", 1000, 1);
        if (resume && ckpt == null) throw new UsageException("mnist train: --resume needs --checkpoint FILE");
        boolean detectAnomaly = a.flag("detect-anomaly");
        if (ckpt != null) Checkpoint.removeStaleTemporaries(Path.of(ckpt)); // left by a run killed mid-write
        threads(a);
        Path root = dataRoot(a, a.flag("download"), out);
        Mnist train = load(root, true), test = load(root, false);

        Tensor.manualSeed(seed);
        // dropout masks keyed by (seed, step, sample): `spark mnist train` splits each batch across workers
        // and draws the same masks, so the two runs can be compared weight by weight
        Generator masks = Generator.keyedBySample(seed);
        MnistClassifier model = new MnistClassifier(masks);
        Adam optimizer = new Adam(model.parameters(), lr);
        int startEpoch = 0, startBatch = 0;
        long step = 0;
        if (resume) {
            Map<String, String> md = loadCheckpoint(Path.of(ckpt), model, optimizer);
            startEpoch = Integer.parseInt(md.getOrDefault("epoch", "0"));
            startBatch = Integer.parseInt(md.getOrDefault("batch", "0"));
            step = Long.parseLong(md.getOrDefault("step", "0"));
            if (md.containsKey("generator")) Tensor.defaultGenerator().setState(parseState(md.get("generator")));
            out.printf(
                    Locale.ROOT,
                    "resumed from %s at epoch=%d batch=%d (step %d)%n",
                    ckpt,
                    startEpoch,
                    startBatch,
                    step);
        }
        DataLoader<Sample> loader = new DataLoader<>(train, batchSize, shuffle, false, seed);
        out.printf(
                Locale.ROOT,
                "training on %s (%d images, %d batches of %d per epoch), Adam(lr=%g), %d thread(s); Ctrl-C stops and saves%n",
                train.imageFile().getParent(),
                train.size(),
                loader.size(),
                batchSize,
                lr,
                Threads.getNumThreads());

        String plot = a.string("plot", null);
        long evalEvery = a.longValue("eval-every", Math.max(1, loader.size() / 10), 1);
        List<double[]> curve = new ArrayList<>(), accuracy = new ArrayList<>(); // {step, value}
        ProgressLine progress = new ProgressLine(out);
        model.train(true);
        long t0 = System.nanoTime(), images = 0, stepsThisRun = 0;
        int epoch = startEpoch, batchNext = startBatch;
        boolean interrupted = false, stopped = false;
        int exitStatus = 0;
        double lastLoglik = Double.NaN;
        long lastSaved = resume ? step : -1;
        try (Interruptible loop = Interruptible.open();
                Anomaly anomaly = detectAnomaly ? Anomaly.detect() : null) {
            outer:
            for (; epoch < epochs; epoch++, batchNext = 0) {
                try (DataLoader.BatchIterator it = loader.iterator(epoch, batchNext)) {
                    while (it.hasNext()) {
                        if (step >= maxSteps) {
                            stopped = true;
                            break outer;
                        }
                        if (!loop.next()) {
                            interrupted = loop.wasInterrupted();
                            exitStatus = loop.exitStatus();
                            stopped = true;
                            break outer;
                        }
                        try (DataLoader.Batch batch = it.next();
                                MemoryScope s = MemoryScope.open()) {
                            optimizer.zeroGrad();
                            masks.beginBatch(step, 0);
                            Tensor loglik = model.forward(batch.inputs(), batch.targets());
                            Tensor e = loglik.mean().neg();
                            lastLoglik = -e.item();
                            if (!Double.isFinite(lastLoglik)) {
                                // stop before the step spoils the parameters; keep the last good checkpoint
                                throw new UsageException(diverged(model, batch, lastLoglik, step + 1, ckpt, lastSaved));
                            }
                            e.backward();
                            optimizer.step();
                            images += batch.size();
                            batchNext = batch.index() + 1;
                        } catch (Anomaly.AnomalyException e) {
                            // --detect-anomaly caught it inside forward or backward, before the update
                            throw new UsageException("mnist train: diverged at step " + (step + 1) + ": "
                                    + e.getMessage() + "; " + kept(ckpt, lastSaved));
                        }

                        step++;
                        stepsThisRun++;
                        if (plot != null) {
                            curve.add(new double[] {step, lastLoglik});
                            if (step % evalEvery == 0) {
                                // a quick look on the first 1,000 test images; the full test set is scored at the end
                                accuracy.add(new double[] {
                                    step,
                                    evaluate(model, test, 500, 1000, null, 0).accuracy()
                                });
                            }
                        }
                        if (ckpt != null && step % saveEvery == 0 && parametersFinite(model)) {
                            saveCheckpoint(
                                    Path.of(ckpt), model, optimizer, metadata(epoch, batchNext, step, seed, batchSize));
                            lastSaved = step;
                        }
                        if ((batchNext - 1) % printEvery == 0) {
                            double secs = (System.nanoTime() - t0) / 1e9, rate = images / Math.max(secs, 1e-9);
                            long left = (long) (epochs - epoch) * loader.size() - batchNext;
                            progress.report(
                                    String.format(
                                            Locale.ROOT,
                                            "epoch=%d batch=%d/%d loglik=%.4f  %.0f images/s, %s left",
                                            epoch,
                                            batchNext - 1,
                                            loader.size(),
                                            lastLoglik,
                                            rate,
                                            duration(left * batchSize / Math.max(rate, 1e-9))),
                                    ((double) epoch * loader.size() + batchNext) / ((double) epochs * loader.size()));
                        }
                    }
                }
            }
        } finally {
            progress.end();
        }
        double seconds = (System.nanoTime() - t0) / 1e9;
        Map<String, String> md = metadata(epoch, batchNext, step, seed, batchSize);
        if (ckpt != null || interrupted) {
            Path file = Path.of(ckpt != null ? ckpt : "mnist-checkpoint.safetensors");
            if (!parametersFinite(model)) {
                // the last update made the weights non-finite: never write them over a good checkpoint
                throw new UsageException("mnist train: diverged: the parameters hold NaN or infinity after step " + step
                        + "; " + kept(ckpt, lastSaved));
            }
            saveCheckpoint(file, model, optimizer, md);
            out.printf(
                    Locale.ROOT,
                    "checkpoint written to %s (epoch=%d batch=%d, step %d); continue with --checkpoint %s --resume%n",
                    file,
                    epoch,
                    batchNext,
                    step,
                    file);
        }
        if (interrupted) {
            out.println(exitStatus == 143 ? "terminated (SIGTERM)" : "interrupted");
            return exitStatus;
        }
        double rate = images / Math.max(seconds, 1e-9);
        out.printf(
                Locale.ROOT,
                "%s: %d steps (%d images) in %.1f s, %.0f images/s%n",
                stopped ? "stopped" : "done",
                stepsThisRun,
                images,
                seconds,
                rate);
        Evaluation ev = evaluate(model, test, EVAL_BATCH);
        printTestResult(out, ev, test.size());
        if (plot != null) {
            accuracy.add(new double[] {step, ev.accuracy()});
            Plots.trainingCurves(
                    Path.of(plot), column(curve, 0), column(curve, 1), column(accuracy, 0), column(accuracy, 1));
            out.println("plot written to " + plot);
        }
        if (json) printRunJson(out, ev, step, rate, seconds);
        return 0;
    }

    /** The training programs' line after the test evaluation. */
    public static void printTestResult(PrintStream out, Evaluation ev, int images) {
        out.printf(
                Locale.ROOT,
                "test accuracy %.4f, mean log-likelihood %.4f (%d images)%n",
                ev.accuracy(),
                ev.loglik(),
                images);
    }

    /** A training run's last line with {@code --json}: test accuracy and log-likelihood, steps, speed, time. */
    public static void printRunJson(PrintStream out, Evaluation ev, long step, double rate, double seconds) {
        out.printf(
                Locale.ROOT,
                "{\"test_accuracy\":%.6f,\"test_loglik\":%.6f,\"steps\":%d,\"images_per_s\":%.1f,\"seconds\":%.3f}%n",
                ev.accuracy(),
                ev.loglik(),
                step,
                rate,
                seconds);
    }

    public static Map<String, String> metadata(int epoch, int batchNext, long step, long seed, int batchSize) {
        Map<String, String> md = new LinkedHashMap<>();
        md.put("epoch", Integer.toString(epoch));
        md.put("batch", Integer.toString(batchNext));
        md.put("step", Long.toString(step));
        md.put("seed", Long.toString(seed));
        md.put("batch_size", Integer.toString(batchSize));
        md.put("generator", formatState(Tensor.defaultGenerator().getState()));
        return md;
    }

    public static void saveCheckpoint(Path file, Module model, Optimizer optimizer, Map<String, String> md)
            throws IOException {
        try {
            Checkpoint.save(file, model, optimizer, md);
        } catch (NoSuchFileException e) {
            throw new UsageException(file + ": cannot write the checkpoint (" + e.getReason() + ")");
        } catch (java.nio.file.AccessDeniedException e) {
            throw new UsageException(file + ": cannot write the checkpoint (permission denied)");
        }
    }

    static boolean parametersFinite(Module model) {
        for (Tensor p : model.parameters()) if (Anomaly.nonFiniteIn(p) != null) return false;
        return true;
    }

    /**
     * The message for a diverged run: replays the batch's forward pass with anomaly detection to name the
     * first op that produced NaN or infinity, and says which checkpoint was kept.
     */
    static String diverged(
            MnistClassifier model, DataLoader.Batch batch, double loglik, long step, String ckpt, long lastSaved) {
        String where;
        try (Anomaly a = Anomaly.detect();
                NoGrad g = Tensor.noGrad();
                MemoryScope s = MemoryScope.open()) {
            model.forward(batch.inputs(), batch.targets()).mean();
            where = "the replay with anomaly detection found no non-finite value";
        } catch (Anomaly.AnomalyException e) {
            where = e.getMessage();
        }
        return "mnist train: diverged at step " + step + " (log-likelihood " + loglik + "): " + where + "; "
                + kept(ckpt, lastSaved);
    }

    static String kept(String ckpt, long lastSaved) {
        String kept = ckpt == null
                ? "no checkpoint was written (pass --checkpoint FILE to keep one)"
                : lastSaved >= 0
                        ? "the last good checkpoint " + ckpt + " (step " + lastSaved + ") was kept"
                        : "no checkpoint had been written yet";
        return kept + "; try a smaller --lr";
    }

    public static Map<String, String> loadCheckpoint(Path file, Module model, Optimizer optimizer) throws IOException {
        try {
            return Checkpoint.load(file, model, optimizer);
        } catch (NoSuchFileException e) {
            throw new UsageException(file + ": no such checkpoint");
        } catch (FormatException e) {
            throw new UsageException(e.getMessage());
        }
    }

    public static String duration(double seconds) {
        long s = Math.round(seconds);
        return s >= 3600
                ? String.format(Locale.ROOT, "%dh%02dm", s / 3600, s / 60 % 60)
                : String.format(Locale.ROOT, "%dm%02ds", s / 60, s % 60);
    }

    static String formatState(long[] s) {
        StringBuilder sb = new StringBuilder();
        for (long v : s) sb.append(sb.length() == 0 ? "" : ",").append(Long.toHexString(v));
        return sb.toString();
    }

    static long[] parseState(String s) {
        String[] p = s.split(",");
        long[] out = new long[p.length];
        for (int i = 0; i < p.length; i++) out[i] = Long.parseUnsignedLong(p[i], 16);
        return out;
    }

    // ------------------------------------------------------------------ eval

    /** Accuracy, mean log-likelihood and the confusion matrix (rows: true class, columns: predicted). */
    public record Evaluation(double accuracy, double loglik, int[][] confusion) {
        double[] perClass() {
            double[] out = new double[confusion.length];
            for (int c = 0; c < out.length; c++) {
                int total = 0;
                for (int v : confusion[c]) total += v;
                out[c] = total == 0 ? Double.NaN : (double) confusion[c][c] / total;
            }
            return out;
        }
    }

    static double[] column(List<double[]> rows, int c) {
        double[] out = new double[rows.size()];
        for (int i = 0; i < out.length; i++) out[i] = rows.get(i)[c];
        return out;
    }

    public static Evaluation evaluate(MnistClassifier model, Mnist data, int batchSize) {
        return evaluate(model, data, batchSize, Integer.MAX_VALUE, null, 0);
    }

    /**
     * Accuracy, mean log-likelihood and confusion matrix over the first {@code limit} images (eval mode,
     * no grad); collects up to {@code maxWrong} misclassified images into {@code wrong} if it is given.
     */
    public static Evaluation evaluate(
            MnistClassifier model,
            Mnist data,
            int batchSize,
            int limit,
            List<Plots.Misclassified> wrong,
            int maxWrong) {
        return evaluate(model, model.f::forward, data, batchSize, limit, wrong, maxWrong);
    }

    /** As above for any classifier of 28×28 images: {@code logits} maps {@code [B, 1, 28, 28]} to {@code [B, 10]}. */
    static Evaluation evaluate(
            Module model,
            java.util.function.UnaryOperator<Tensor> logitsOf,
            Mnist data,
            int batchSize,
            int limit,
            List<Plots.Misclassified> wrong,
            int maxWrong) {
        boolean wasTraining = model.isTraining();
        model.eval();
        int[][] confusion = new int[10][10];
        double loglik = 0;
        int correct = 0, seen = 0;
        DataLoader<Sample> loader = new DataLoader<>(data, batchSize, false, false, 0);
        try (NoGrad g = Tensor.noGrad();
                DataLoader.BatchIterator it = loader.iterator(0, 0)) {
            while (it.hasNext() && seen < limit) {
                try (DataLoader.Batch b = it.next();
                        MemoryScope s = MemoryScope.open()) {
                    Tensor logits = logitsOf.apply(b.inputs());
                    loglik += -vectorgrad.nn.Functional.crossEntropy(logits, b.targets(), "sum")
                            .item();
                    int[] pred = logits.argmax(1, false).toIntArray(),
                            truth = b.targets().toIntArray();
                    float[] probs = wrong != null
                            ? vectorgrad.nn.Functional.softmax(logits, 1).toFloatArray()
                            : null;
                    for (int i = 0; i < pred.length; i++) {
                        confusion[truth[i]][pred[i]]++;
                        if (pred[i] == truth[i]) correct++;
                        else if (wrong != null && wrong.size() < maxWrong) {
                            float[] px = new float[784];
                            data.image(b.index() * batchSize + i, px, 0);
                            wrong.add(new Plots.Misclassified(px, truth[i], pred[i], probs[i * 10 + pred[i]]));
                        }
                    }
                    seen += pred.length;
                }
            }
        }
        model.train(wasTraining);
        return new Evaluation((double) correct / seen, loglik / seen, confusion);
    }

    static int eval(Args a, PrintStream out) throws IOException {
        String ckpt = a.string("checkpoint", null);
        if (ckpt == null) throw new UsageException("mnist eval: --checkpoint FILE is required");
        threads(a);
        MnistClassifier model = new MnistClassifier();
        loadCheckpoint(Path.of(ckpt), model, null);
        Path root = dataRoot(a, false, out);
        Mnist test = load(root, false);
        String plot = a.string("plot", null), grid = a.string("misclassified", null);
        List<Plots.Misclassified> wrong = grid != null ? new ArrayList<>() : null;
        Evaluation ev =
                evaluate(model, test, (int) a.longValue("batch-size", EVAL_BATCH, 1), Integer.MAX_VALUE, wrong, (int)
                        a.longValue("max-misclassified", 24, 1));
        out.printf(
                Locale.ROOT,
                "accuracy %.4f on %d test images (mean log-likelihood %.4f)%n",
                ev.accuracy(),
                test.size(),
                ev.loglik());
        double[] pc = ev.perClass();
        out.println("per class: ");
        for (int c = 0; c < 10; c++) out.printf(Locale.ROOT, "  %d: %.4f%n", c, pc[c]);
        out.println("confusion matrix (rows: true class, columns: predicted):");
        for (int[] row : ev.confusion()) {
            StringBuilder sb = new StringBuilder(" ");
            for (int v : row) sb.append(String.format(Locale.ROOT, " %5d", v));
            out.println(sb);
        }
        if (a.flag("json")) {
            List<String> rows = new ArrayList<>();
            for (int[] row : ev.confusion())
                rows.add(java.util.Arrays.toString(row).replace(" ", ""));
            StringBuilder per = new StringBuilder();
            for (double v : pc)
                per.append(per.length() == 0 ? "" : ",")
                        .append(Double.isNaN(v) ? "null" : String.format(Locale.ROOT, "%.6f", v));
            out.printf(
                    Locale.ROOT,
                    "{\"accuracy\":%.6f,\"per_class\":[%s],\"confusion\":[%s]}%n",
                    ev.accuracy(),
                    per,
                    String.join(",", rows));
        }
        if (plot != null) {
            long[][] counts = new long[10][10];
            for (int t = 0; t < 10; t++) for (int p = 0; p < 10; p++) counts[t][p] = ev.confusion()[t][p];
            Plots.confusion(Path.of(plot), counts, Plots.classNames(root));
            out.println("confusion matrix plot written to " + plot);
        }
        if (grid != null) {
            Plots.misclassifiedGrid(Path.of(grid), wrong, Plots.classNames(root));
            out.println(wrong.size() + " misclassified images written to " + grid);
        }
        return 0;
    }

    // ------------------------------------------------------------------ classify

    static int classify(Args a, PrintStream out) throws IOException {
        String ckpt = a.string("checkpoint", null);
        if (ckpt == null) throw new UsageException("mnist classify: --checkpoint FILE is required");
        String index = a.string("index", null), image = a.string("image", null);
        if ((index == null) == (image == null))
            throw new UsageException("mnist classify: give one of --index N or --image FILE.png");
        MnistClassifier model = new MnistClassifier();
        loadCheckpoint(Path.of(ckpt), model, null);
        model.train(false);
        Tensor img;
        String what;
        if (index != null) {
            boolean fromTest = a.flag("test");
            Mnist data = load(dataRoot(a, false, out), !fromTest);
            int i = (int) a.longValue("index", 0, 0);
            if (i >= data.size())
                throw new UsageException("mnist classify: --index " + i + " is past the " + data.size() + " images");
            float[] px = new float[data.height() * data.width()];
            data.image(i, px, 0);
            img = Tensor.of(px, 1, data.height(), data.width());
            what = (fromTest ? "test" : "training") + " image " + i + " (label " + data.label(i) + ")";
        } else {
            img = Images.readGray(Path.of(image), 28, 28);
            what = image;
        }
        float[] p = model.classify(img).toFloatArray();
        int best = 0;
        for (int c = 1; c < 10; c++) if (p[c] > p[best]) best = c;
        out.println("class probabilities for " + what + ":");
        for (int c = 0; c < 10; c++)
            out.printf(Locale.ROOT, "  %d: %.4f%s%n", c, p[c], c == best ? "  <- predicted" : "");
        if (a.flag("json")) {
            StringBuilder sb = new StringBuilder();
            for (float v : p) sb.append(sb.length() == 0 ? "" : ",").append(String.format(Locale.ROOT, "%.6f", v));
            out.printf(Locale.ROOT, "{\"predicted\":%d,\"probabilities\":[%s]}%n", best, sb);
        }
        return 0;
    }
}
