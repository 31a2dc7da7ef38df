package vectorgrad.examples;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import vectorgrad.autograd.Generator;
import vectorgrad.autograd.NoGrad;
import vectorgrad.autograd.Tensor;
import vectorgrad.autograd.Threads;
import vectorgrad.nn.Functional;
import vectorgrad.nn.Sequential;
import vectorgrad.nn.data.CsvDataset;
import vectorgrad.nn.data.DataLoader;
import vectorgrad.nn.data.Dataset;
import vectorgrad.nn.data.Datasets;
import vectorgrad.nn.data.Sample;
import vectorgrad.nn.data.Subset;
import vectorgrad.nn.data.TensorDataset;
import vectorgrad.nn.io.Checkpoint;
import vectorgrad.nn.layers.Linear;
import vectorgrad.nn.layers.ReLU;
import vectorgrad.nn.optim.AdamW;
import vectorgrad.nn.optim.CosineAnnealingLR;
import vectorgrad.nn.optim.LRScheduler;
import vectorgrad.nn.optim.OneCycleLR;
import vectorgrad.nn.optim.ParamGroup;
import vectorgrad.nn.optim.ParamGroups;
import vectorgrad.nn.utils.ClipGrad;

/**
 * {@code ./vectorgrad tabular train}: an MLP on a table, written as a PyTorch user writes the loop — no
 * memory scopes. Regression (mean squared error) or classification (cross-entropy) on a CSV file's
 * columns, or, without {@code --data}, on a built-in task whose best possible loss is known. Features are
 * standardised with the training split's statistics; AdamW (no weight decay on biases, a parameter
 * group of their own), a one-cycle or cosine schedule stepped per batch, gradient clipping, a validation
 * split, early stopping on the validation loss, and the best model saved.
 */
final class TabularCommand {
    private TabularCommand() {}

    static final Set<String> OPTIONS = Set.of(
            "data",
            "target",
            "features",
            "hidden",
            "epochs",
            "batch-size",
            "lr",
            "weight-decay",
            "schedule",
            "clip",
            "val-fraction",
            "patience",
            "checkpoint",
            "seed",
            "threads",
            "rows");
    static final Set<String> FLAGS = Set.of("classification", "json", "quiet");

    /** The built-in task's noise: its variance is the best possible validation mean squared error. */
    static final double NOISE_SD = 0.1;

    static int run(String[] args) throws IOException {
        if (args.length == 0 || !args[0].equals("train"))
            throw new UsageException("tabular: expected train\n" + Main.USAGE);
        return train(new Args("tabular train", Arrays.copyOfRange(args, 1, args.length), OPTIONS, FLAGS), System.out);
    }

    /** The built-in regression task: {@code y = f(x) + N(0, 0.1²)}, x uniform in [-1, 1]^10. */
    static TensorDataset synthetic(int rows, long seed) {
        Generator g = new Generator(seed);
        Tensor x = Tensor.uniform(g, -1, 1, rows, 10), noise = Tensor.randn(g, rows, 1);
        float[] xs = x.toFloatArray(), e = noise.toFloatArray(), y = new float[rows];
        for (int i = 0; i < rows; i++) {
            int o = 10 * i;
            double f = Math.sin(Math.PI * xs[o])
                    + xs[o + 1] * xs[o + 2]
                    + 0.5 * xs[o + 3] * xs[o + 3]
                    - 0.5 * xs[o + 4]
                    + Math.exp(-2 * xs[o + 5] * xs[o + 5])
                    + 0.3 * Math.abs(xs[o + 6]);
            y[i] = (float) (f + NOISE_SD * e[i]);
        }
        noise.close();
        return new TensorDataset(x, Tensor.of(y, rows, 1));
    }

    static int train(Args a, PrintStream out) throws IOException {
        String data = a.string("data", null);
        boolean classification = a.flag("classification"), json = a.flag("json"), quiet = a.flag("quiet");
        long seed = a.longValue("seed", 0, Long.MIN_VALUE);
        int epochs = (int) a.longValue("epochs", 200, 1);
        int batchSize = (int) a.longValue("batch-size", 64, 1);
        double lr = a.doubleValue("lr", 3e-3), weightDecay = a.doubleValue("weight-decay", 1e-4);
        double clip = a.doubleValue("clip", 1.0), valFraction = a.doubleValue("val-fraction", 0.2);
        int patience = (int) a.longValue("patience", 20, 1);
        String schedule = a.string("schedule", "onecycle");
        if (!List.of("onecycle", "cosine", "none").contains(schedule))
            throw new UsageException(
                    "tabular train: --schedule must be onecycle, cosine or none, got '" + schedule + "'");
        if (!(lr > 0)) throw new UsageException("tabular train: --lr must be > 0, got " + lr);
        if (!(valFraction > 0 && valFraction < 1))
            throw new UsageException("tabular train: --val-fraction must be between 0 and 1, got " + valFraction);
        int[] hidden = parseHidden(a.string("hidden", "64,64"));
        Path best = Path.of(a.string("checkpoint", "tabular-best.safetensors"));
        MnistCommand.threads(a);

        // ---------------------------------------------------------------- data
        Dataset<Sample> table;
        String what;
        List<String> classes = null;
        if (data == null) {
            if (classification)
                throw new UsageException(
                        "tabular train: the built-in task is a regression; give --data for a classification");
            int rows = (int) a.longValue("rows", 10_000, 10);
            table = synthetic(rows, seed);
            what = "the built-in task y = f(x) + N(0, " + NOISE_SD + "²), " + rows + " rows, 10 features";
        } else {
            String target = a.string("target", null);
            if (target == null) throw new UsageException("tabular train: --target COLUMN is required with --data");
            String f = a.string("features", null);
            CsvDataset csv;
            try {
                csv = CsvDataset.read(Path.of(data), target, f == null ? null : List.of(f.split(",")), classification);
            } catch (NoSuchFileException e) {
                throw new UsageException(data + ": no such file");
            } catch (IllegalArgumentException e) {
                throw new UsageException(e.getMessage());
            }
            table = csv;
            classes = classification ? csv.classes() : null;
            what = data + " (" + csv.size() + " rows, features " + csv.featureNames() + ", target " + target
                    + (classification ? ", " + classes.size() + " classes" : "") + ")";
        }
        int n = table.size(), nVal = Math.max(1, (int) Math.round(n * valFraction));
        if (n - nVal < 1) throw new UsageException("tabular train: " + n + " rows leave none to train on");
        List<Subset<Sample>> split = Datasets.randomSplit(table, new int[] {n - nVal, nVal}, seed);
        Tensor[] standardised = standardise(table, split.get(0));
        TensorDataset scaled = new TensorDataset(standardised[0], standardised[1]);
        Subset<Sample> trainSet = new Subset<>(
                scaled,
                split.get(0).indices().stream().mapToInt(Integer::intValue).toArray());
        Subset<Sample> valSet = new Subset<>(
                scaled,
                split.get(1).indices().stream().mapToInt(Integer::intValue).toArray());
        int inputs = scaled.inputs().shape()[1];
        int outputs = classification ? classes.size() : 1;

        // ---------------------------------------------------------------- model, optimizer, schedule
        Tensor.manualSeed(seed);
        Sequential model = mlp(inputs, hidden, outputs);
        List<Tensor> weights = new ArrayList<>(), biases = new ArrayList<>();
        model.namedParameters().forEach((name, p) -> (name.endsWith("bias") ? biases : weights).add(p));
        AdamW optimizer = new AdamW(
                ParamGroups.of(ParamGroup.of(weights), ParamGroup.of(biases).weightDecay(0)),
                lr,
                0.9,
                0.999,
                1e-8,
                weightDecay,
                false);
        DataLoader<Sample> loader = new DataLoader<>(trainSet, batchSize, true, false, seed);
        int total = epochs * loader.size();
        LRScheduler scheduler = switch (schedule) {
            case "onecycle" -> new OneCycleLR(optimizer, lr, total);
            case "cosine" -> new CosineAnnealingLR(optimizer, total, 0);
            default -> null;
        };
        if (!quiet) {
            out.printf(
                    Locale.ROOT,
                    "training %s%n  on %s%n  %d train / %d validation rows, AdamW(lr=%g, weight_decay=%g), %s, clip %g, "
                            + "batch %d, up to %d epochs (patience %d), %d thread(s)%n",
                    model.toString().replace("\n", " ").replaceAll(" +", " "),
                    what,
                    n - nVal,
                    nVal,
                    lr,
                    weightDecay,
                    schedule.equals("none") ? "constant lr" : schedule + " schedule",
                    clip,
                    batchSize,
                    epochs,
                    patience,
                    Threads.getNumThreads());
        }

        // ---------------------------------------------------------------- the loop
        double bestVal = Double.POSITIVE_INFINITY, lastTrain = Double.NaN;
        int bestEpoch = -1, epoch = 0;
        long steps = 0, t0 = System.nanoTime();
        for (; epoch < epochs; epoch++) {
            model.train(true);
            double sum = 0;
            int seen = 0;
            try (DataLoader.BatchIterator it = loader.iterator(epoch, 0)) {
                while (it.hasNext()) {
                    try (DataLoader.Batch batch = it.next()) {
                        optimizer.zeroGrad();
                        Tensor loss = loss(model.forward(batch.inputs()), batch.targets(), classification);
                        loss.backward();
                        if (clip > 0) ClipGrad.clipGradNorm_(model.parameters(), clip);
                        optimizer.step();
                        if (scheduler != null && steps + 1 < total) scheduler.step();
                        sum += loss.item() * batch.size();
                        seen += batch.size();
                        steps++;
                    }
                }
            }
            lastTrain = sum / seen;
            double val = evaluate(model, valSet, classification)[0];
            boolean improved = val < bestVal;
            if (improved) {
                bestVal = val;
                bestEpoch = epoch;
                Map<String, String> md = new LinkedHashMap<>();
                md.put("epoch", Integer.toString(epoch));
                md.put("val_loss", Double.toString(val));
                Checkpoint.save(best, model, null, md);
            }
            if (!quiet && (epoch % 10 == 0 || improved && epoch < 10)) {
                out.printf(
                        Locale.ROOT,
                        "epoch %3d  train loss %.5f  validation loss %.5f%s  lr %.2e%n",
                        epoch,
                        lastTrain,
                        val,
                        improved ? " (best)" : "",
                        optimizer.getLr());
            }
            if (epoch - bestEpoch >= patience) {
                epoch++;
                if (!quiet) out.printf(Locale.ROOT, "early stop: no better validation loss for %d epochs%n", patience);
                break;
            }
        }
        double seconds = (System.nanoTime() - t0) / 1e9;

        // ---------------------------------------------------------------- report, from the best checkpoint
        Checkpoint.load(best, model, null);
        double[] val = evaluate(model, valSet, classification);
        out.printf(
                Locale.ROOT,
                "%d epochs, %d steps in %.1f s (%.0f steps/s); best validation loss %.5f at epoch %d, saved to %s%n",
                epoch,
                steps,
                seconds,
                steps / seconds,
                val[0],
                bestEpoch,
                best);
        if (classification) out.printf(Locale.ROOT, "validation accuracy %.4f%n", val[1]);
        double bestPossible = data == null ? NOISE_SD * NOISE_SD : Double.NaN;
        if (data == null) {
            out.printf(
                    Locale.ROOT,
                    "the best possible mean squared error is the noise's variance, %.5f: this model's is %.3f× that%n",
                    bestPossible,
                    val[0] / bestPossible);
        }
        if (json) {
            out.printf(
                    Locale.ROOT,
                    "{\"val_loss\":%.6f,%s\"best_epoch\":%d,\"epochs\":%d,\"steps\":%d,\"steps_per_s\":%.1f,\"seconds\":%.3f%s}%n",
                    val[0],
                    classification ? String.format(Locale.ROOT, "\"val_accuracy\":%.6f,", val[1]) : "",
                    bestEpoch,
                    epoch,
                    steps,
                    steps / seconds,
                    seconds,
                    data == null ? String.format(Locale.ROOT, ",\"best_possible\":%.6f", bestPossible) : "");
        }
        return 0;
    }

    static Sequential mlp(int inputs, int[] hidden, int outputs) {
        List<vectorgrad.nn.Layer> layers = new ArrayList<>();
        int width = inputs;
        for (int h : hidden) {
            layers.add(new Linear(width, h));
            layers.add(new ReLU());
            width = h;
        }
        layers.add(new Linear(width, outputs));
        return new Sequential(layers.toArray(vectorgrad.nn.Layer[]::new));
    }

    static Tensor loss(Tensor prediction, Tensor target, boolean classification) {
        return classification ? Functional.crossEntropy(prediction, target) : Functional.mseLoss(prediction, target);
    }

    /** {mean loss, accuracy (classification)} over {@code set}, in evaluation mode without gradients. */
    static double[] evaluate(Sequential model, Dataset<Sample> set, boolean classification) {
        model.eval();
        double sum = 0;
        long correct = 0;
        try (NoGrad g = Tensor.noGrad();
                DataLoader.BatchIterator it = new DataLoader<>(set, 4096, false, false, 0).iterator(0, 0)) {
            while (it.hasNext()) {
                try (DataLoader.Batch b = it.next()) {
                    Tensor y = model.forward(b.inputs());
                    sum += loss(y, b.targets(), classification).item() * b.size();
                    if (classification) {
                        int[] pred = y.argmax(1, false).toIntArray(),
                                truth = b.targets().toIntArray();
                        for (int i = 0; i < pred.length; i++) if (pred[i] == truth[i]) correct++;
                    }
                }
            }
        }
        model.train(true);
        return new double[] {sum / set.size(), (double) correct / set.size()};
    }

    /** The inputs standardised by the training rows' mean and standard deviation (constant columns left as 0), and the targets. */
    static Tensor[] standardise(Dataset<Sample> table, Subset<Sample> train) {
        Tensor x = table instanceof CsvDataset c ? c.inputs() : ((TensorDataset) table).inputs();
        Tensor y = table instanceof CsvDataset c ? c.targets() : ((TensorDataset) table).targets();
        int n = x.shape()[0], f = x.shape()[1];
        float[] v = x.toFloatArray();
        double[] mean = new double[f], sq = new double[f];
        List<Integer> rows = train.indices();
        for (int r : rows) for (int j = 0; j < f; j++) mean[j] += v[r * f + j];
        for (int j = 0; j < f; j++) mean[j] /= rows.size();
        for (int r : rows) for (int j = 0; j < f; j++) sq[j] += Math.pow(v[r * f + j] - mean[j], 2);
        float[] out = new float[n * f];
        for (int j = 0; j < f; j++) {
            double sd = Math.sqrt(sq[j] / rows.size());
            for (int i = 0; i < n; i++) out[i * f + j] = sd > 0 ? (float) ((v[i * f + j] - mean[j]) / sd) : 0f;
        }
        return new Tensor[] {Tensor.of(out, n, f), y.clone().detach()};
    }

    static int[] parseHidden(String s) {
        try {
            int[] h = Arrays.stream(s.split(","))
                    .map(String::strip)
                    .mapToInt(Integer::parseInt)
                    .toArray();
            if (h.length == 0 || Arrays.stream(h).anyMatch(v -> v <= 0)) throw new NumberFormatException();
            return h;
        } catch (NumberFormatException e) {
            throw new UsageException(
                    "tabular train: --hidden expects positive layer widths like 64,64, got '" + s + "'");
        }
    }
}
