package vectorgrad.examples;

import static vectorgrad.examples.MnistCommand.column;
import static vectorgrad.examples.MnistCommand.duration;
import static vectorgrad.examples.MnistCommand.kept;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import vectorgrad.autograd.MemoryScope;
import vectorgrad.autograd.Tensor;
import vectorgrad.autograd.Threads;
import vectorgrad.nn.Functional;
import vectorgrad.nn.data.DataLoader;
import vectorgrad.nn.data.Mnist;
import vectorgrad.nn.data.Sample;
import vectorgrad.nn.optim.OneCycleLR;
import vectorgrad.nn.optim.SGD;
import vectorgrad.nn.train.Interruptible;

/**
 * {@code ./vectorgrad resnet train|eval}: the {@link SmallResNet} on Fashion-MNIST (or MNIST) with SGD
 * (momentum 0.9, Nesterov, weight decay 5e-4), the one-cycle schedule over the run's steps, and
 * cross-entropy with label smoothing 0.1; checkpoints, resume, Ctrl-C/SIGTERM, plots and {@code --json}
 * as {@code mnist train}.
 */
final class ResNetCommand {
    private ResNetCommand() {}

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
    static final Set<String> TRAIN_FLAGS = Set.of("resume", "json", "download");
    static final Set<String> EVAL_OPTIONS = Set.of("data", "checkpoint", "threads", "batch-size");
    static final Set<String> EVAL_FLAGS = Set.of("json");

    static final double MOMENTUM = 0.9, WEIGHT_DECAY = 5e-4, LABEL_SMOOTHING = 0.1;

    static int run(String[] args) throws IOException {
        if (args.length == 0) throw new UsageException("resnet: expected train or eval\n" + Main.USAGE);
        String[] rest = java.util.Arrays.copyOfRange(args, 1, args.length);
        return switch (args[0]) {
            case "train" -> train(new Args("resnet train", rest, TRAIN_OPTIONS, TRAIN_FLAGS), System.out);
            case "eval" -> eval(new Args("resnet eval", rest, EVAL_OPTIONS, EVAL_FLAGS), System.out);
            default -> throw new UsageException("resnet: unknown subcommand '" + args[0] + "' (train, eval)");
        };
    }

    static int train(Args a, PrintStream out) throws IOException {
        int epochs = (int) a.longValue("epochs", 1, 1);
        int batchSize = (int) a.longValue("batch-size", 128, 1);
        double maxLr = a.doubleValue("lr", 0.2);
        if (maxLr <= 0) throw new UsageException("resnet train: --lr must be > 0, got " + maxLr);
        long seed = a.longValue("seed", 0, Long.MIN_VALUE);
        long maxSteps = a.longValue("max-steps", Long.MAX_VALUE, 1);
        long printEvery = a.longValue("print-every", 20, 1);
        long saveEvery = a.longValue("save-every", 200, 1);
        String ckpt = a.string("checkpoint", null);
        boolean resume = a.flag("resume"), json = a.flag("json");
        if (resume && ckpt == null) throw new UsageException("resnet train: --resume needs --checkpoint FILE");
        if (ckpt != null) vectorgrad.nn.io.Checkpoint.removeStaleTemporaries(Path.of(ckpt));
        MnistCommand.threads(a);
        Path root = MnistCommand.dataRoot(a, a.flag("download"), out);
        Mnist train = MnistCommand.load(root, true), test = MnistCommand.load(root, false);

        Tensor.manualSeed(seed);
        SmallResNet model = new SmallResNet();
        DataLoader<Sample> loader = new DataLoader<>(train, batchSize, true, false, seed);
        // the schedule spans the planned epochs (PyTorch's OneCycleLR(..., epochs, steps_per_epoch)); --max-steps
        // stops early. Its length is part of the run: a resumed run must keep it (checked against the checkpoint)
        long totalSteps = (long) epochs * loader.size();
        if (totalSteps > Integer.MAX_VALUE)
            throw new UsageException("resnet train: too many steps (" + totalSteps + ")");
        SGD optimizer = new SGD(model.parameters(), maxLr / 25, MOMENTUM, 0, WEIGHT_DECAY, true);
        OneCycleLR schedule = new OneCycleLR(optimizer, maxLr, (int) totalSteps);
        int epoch = 0, batchNext = 0;
        long step = 0;
        if (resume) {
            Map<String, String> md = MnistCommand.loadCheckpoint(Path.of(ckpt), model, optimizer);
            String planned = md.get("total_steps");
            if (planned != null && Long.parseLong(planned) != totalSteps) {
                throw new UsageException("resnet train: " + ckpt + " is from a run planned for " + planned
                        + " steps; resume it with the same --epochs and --batch-size (this run plans " + totalSteps
                        + ")");
            }
            epoch = Integer.parseInt(md.getOrDefault("epoch", "0"));
            batchNext = Integer.parseInt(md.getOrDefault("batch", "0"));
            step = Long.parseLong(md.getOrDefault("step", "0"));
            schedule.loadStateDict(Map.of("last_epoch", Long.toString(step)));
            out.printf(Locale.ROOT, "resumed from %s at epoch=%d batch=%d (step %d)%n", ckpt, epoch, batchNext, step);
        }
        out.printf(
                Locale.ROOT,
                "training SmallResNet (%d parameters) on %s (%d images, %d batches of %d per epoch), SGD(nesterov, "
                        + "weight_decay=%g) with OneCycleLR(max_lr=%g, %d steps), label smoothing %g, %d thread(s); "
                        + "Ctrl-C stops and saves%n",
                model.parameters().stream().mapToLong(Tensor::numel).sum(),
                train.imageFile().getParent(),
                train.size(),
                loader.size(),
                batchSize,
                WEIGHT_DECAY,
                maxLr,
                totalSteps,
                LABEL_SMOOTHING,
                Threads.getNumThreads());

        String plot = a.string("plot", null);
        long evalEvery = a.longValue("eval-every", Math.max(1, Math.min(totalSteps, maxSteps) / 10), 1);
        List<double[]> curve = new ArrayList<>(), accuracy = new ArrayList<>();
        ProgressLine progress = new ProgressLine(out);
        model.train(true);
        long t0 = System.nanoTime(), images = 0, stepsThisRun = 0, lastSaved = resume ? step : -1;
        boolean interrupted = false, stopped = false;
        int exitStatus = 0;
        double lastLoss = Double.NaN;
        try (Interruptible loop = Interruptible.open()) {
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
                            break outer;
                        }
                        try (DataLoader.Batch batch = it.next();
                                MemoryScope s = MemoryScope.open()) {
                            optimizer.zeroGrad();
                            Tensor loss = Functional.crossEntropy(
                                    model.forward(batch.inputs()),
                                    batch.targets(),
                                    null,
                                    -100,
                                    LABEL_SMOOTHING,
                                    "mean");
                            lastLoss = loss.item();
                            if (!Double.isFinite(lastLoss)) {
                                throw new UsageException("resnet train: diverged at step " + (step + 1) + " (loss "
                                        + lastLoss + "); " + kept(ckpt, lastSaved));
                            }
                            loss.backward();
                            optimizer.step();
                            images += batch.size();
                            batchNext = batch.index() + 1;
                        }
                        step++;
                        stepsThisRun++;
                        if (step < totalSteps) schedule.step();
                        if (plot != null) {
                            curve.add(new double[] {step, lastLoss});
                            if (step % evalEvery == 0) {
                                accuracy.add(new double[] {
                                    step, evaluate(model, test, 500, 1000).accuracy()
                                });
                            }
                        }
                        if (ckpt != null && step % saveEvery == 0 && MnistCommand.parametersFinite(model)) {
                            save(
                                    Path.of(ckpt),
                                    model,
                                    optimizer,
                                    metadata(epoch, batchNext, step, seed, batchSize, totalSteps));
                            lastSaved = step;
                        }
                        if ((step - 1) % printEvery == 0 || step == Math.min(totalSteps, maxSteps)) {
                            double secs = (System.nanoTime() - t0) / 1e9, rate = images / Math.max(secs, 1e-9);
                            progress.report(
                                    String.format(
                                            Locale.ROOT,
                                            "epoch=%d batch=%d/%d loss=%.4f lr=%.4f  %.0f images/s, %s left",
                                            epoch,
                                            batchNext - 1,
                                            loader.size(),
                                            lastLoss,
                                            optimizer.getLr(),
                                            rate,
                                            duration((Math.min(totalSteps, maxSteps) - step)
                                                    * batchSize
                                                    / Math.max(rate, 1e-9))),
                                    (double) step / Math.min(totalSteps, maxSteps));
                        }
                    }
                }
            }
        } finally {
            progress.end();
        }
        double seconds = (System.nanoTime() - t0) / 1e9;
        if (ckpt != null || interrupted) {
            Path file = Path.of(ckpt != null ? ckpt : "resnet-checkpoint.safetensors");
            if (!MnistCommand.parametersFinite(model)) {
                throw new UsageException("resnet train: diverged: the parameters hold NaN or infinity after step "
                        + step + "; " + kept(ckpt, lastSaved));
            }
            save(file, model, optimizer, metadata(epoch, batchNext, step, seed, batchSize, totalSteps));
            out.printf(
                    Locale.ROOT,
                    "checkpoint written to %s (step %d); continue with --checkpoint %s --resume%n",
                    file,
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
        MnistCommand.Evaluation ev = evaluate(model, test, 500, Integer.MAX_VALUE);
        MnistCommand.printTestResult(out, ev, test.size());
        if (plot != null) {
            accuracy.add(new double[] {step, ev.accuracy()});
            Plots.curves(
                    Path.of(plot),
                    "training loss (moving average)",
                    "cross-entropy (label smoothing 0.1)",
                    column(curve, 0),
                    column(curve, 1),
                    "test accuracy",
                    "accuracy",
                    column(accuracy, 0),
                    column(accuracy, 1),
                    true);
            out.println("plot written to " + plot);
        }
        if (json) MnistCommand.printRunJson(out, ev, step, rate, seconds);
        return 0;
    }

    static MnistCommand.Evaluation evaluate(SmallResNet model, Mnist data, int batchSize, int limit) {
        return MnistCommand.evaluate(model, model::forward, data, batchSize, limit, null, 0);
    }

    static Map<String, String> metadata(
            int epoch, int batchNext, long step, long seed, int batchSize, long totalSteps) {
        Map<String, String> md = new LinkedHashMap<>(MnistCommand.metadata(epoch, batchNext, step, seed, batchSize));
        md.put("model", "SmallResNet");
        md.put("total_steps", Long.toString(totalSteps));
        return md;
    }

    static void save(Path file, SmallResNet model, SGD optimizer, Map<String, String> md) throws IOException {
        MnistCommand.saveCheckpoint(file, model, optimizer, md);
    }

    static int eval(Args a, PrintStream out) throws IOException {
        String ckpt = a.string("checkpoint", null);
        if (ckpt == null) throw new UsageException("resnet eval: --checkpoint FILE is required");
        MnistCommand.threads(a);
        SmallResNet model = new SmallResNet();
        MnistCommand.loadCheckpoint(Path.of(ckpt), model, null);
        Mnist test = MnistCommand.load(MnistCommand.dataRoot(a, false, out), false);
        MnistCommand.Evaluation ev = evaluate(model, test, (int) a.longValue("batch-size", 500, 1), Integer.MAX_VALUE);
        MnistCommand.printTestResult(out, ev, test.size());
        double[] per = ev.perClass();
        for (int c = 0; c < per.length; c++) out.printf(Locale.ROOT, "  class %d: %.4f%n", c, per[c]);
        if (a.flag("json")) {
            out.printf(Locale.ROOT, "{\"test_accuracy\":%.6f,\"test_loglik\":%.6f}%n", ev.accuracy(), ev.loglik());
        }
        return 0;
    }
}
