package vectorgrad.examples;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import vectorgrad.autograd.MemoryScope;
import vectorgrad.autograd.NoGrad;
import vectorgrad.autograd.Tensor;
import vectorgrad.autograd.Threads;
import vectorgrad.nn.io.FormatException;
import vectorgrad.nn.optim.AdamW;
import vectorgrad.nn.optim.CosineAnnealingLR;
import vectorgrad.nn.optim.LRScheduler;
import vectorgrad.nn.optim.LinearLR;
import vectorgrad.nn.optim.ParamGroup;
import vectorgrad.nn.optim.ParamGroups;
import vectorgrad.nn.optim.SequentialLR;
import vectorgrad.nn.train.Interruptible;
import vectorgrad.nn.utils.ClipGrad;

/**
 * {@code ./vectorgrad gpt train|sample}: a character-level {@link Gpt} on a text corpus (default: Debian's
 * fortunes), trained as nanoGPT's shakespeare_char is — random blocks of the first 90 % of the text,
 * AdamW (weight decay on the matrices only, a parameter group each), linear warm-up then cosine decay,
 * gradient clipping — and sampled with a key/value cache.
 */
final class GptCommand {
    private GptCommand() {}

    static final Path DEFAULT_CORPUS = Path.of("/usr/share/games/fortunes");
    static final Set<String> TRAIN_OPTIONS = Set.of(
            "data",
            "layers",
            "heads",
            "embd",
            "block",
            "batch-size",
            "steps",
            "max-steps",
            "lr",
            "min-lr",
            "warmup",
            "dropout",
            "weight-decay",
            "eval-every",
            "eval-batches",
            "print-every",
            "seed",
            "threads",
            "checkpoint",
            "plot");
    static final Set<String> TRAIN_FLAGS = Set.of("resume", "json");
    static final Set<String> SAMPLE_OPTIONS =
            Set.of("checkpoint", "prompt", "tokens", "temperature", "top-k", "seed", "threads");
    static final Set<String> SAMPLE_FLAGS = Set.of("json");

    static int run(String[] args) throws IOException {
        if (args.length == 0) throw new UsageException("gpt: expected train or sample\n" + Main.USAGE);
        String[] rest = java.util.Arrays.copyOfRange(args, 1, args.length);
        return switch (args[0]) {
            case "train" -> train(new Args("gpt train", rest, TRAIN_OPTIONS, TRAIN_FLAGS), System.out);
            case "sample" -> sample(new Args("gpt sample", rest, SAMPLE_OPTIONS, SAMPLE_FLAGS), System.out);
            default -> throw new UsageException("gpt: unknown subcommand '" + args[0] + "' (train, sample)");
        };
    }

    /** A file's text, or a folder's files (regular files, not links, without fortune's .dat indexes) in name order. */
    static String corpus(Path path) throws IOException {
        if (!Files.exists(path)) {
            throw new UsageException(path + ": no such file or folder"
                    + (path.equals(DEFAULT_CORPUS)
                            ? " (install Debian's fortunes: apt-get install fortunes; or pass --data FILE)"
                            : ""));
        }
        List<Path> files = new ArrayList<>();
        if (Files.isDirectory(path)) {
            try (Stream<Path> s = Files.list(path)) {
                s.filter(p -> Files.isRegularFile(p, java.nio.file.LinkOption.NOFOLLOW_LINKS))
                        .filter(p -> !p.getFileName().toString().endsWith(".dat"))
                        .sorted()
                        .forEach(files::add);
            }
        } else {
            files.add(path);
        }
        StringBuilder sb = new StringBuilder();
        for (Path f : files) {
            // bytes that are not UTF-8 (a few old fortunes are Latin-1) become U+FFFD rather than failing
            sb.append(StandardCharsets.UTF_8
                    .newDecoder()
                    .onMalformedInput(CodingErrorAction.REPLACE)
                    .onUnmappableCharacter(CodingErrorAction.REPLACE)
                    .decode(java.nio.ByteBuffer.wrap(Files.readAllBytes(f))));
        }
        if (sb.length() < 2)
            throw new UsageException(path + ": too little text to train on (" + sb.length() + " characters)");
        return sb.toString();
    }

    /** Batch {@code index} of a stream: inputs and targets {@code [B, T]} at offsets drawn from (seed, index). */
    static Tensor[] batch(int[] data, int batch, int block, long seed, long index) {
        SplittableRandom r = new SplittableRandom(seed * 0x9E3779B97F4A7C15L + index);
        int[] x = new int[batch * block], y = new int[batch * block];
        for (int b = 0; b < batch; b++) {
            int o = r.nextInt(data.length - block);
            System.arraycopy(data, o, x, b * block, block);
            System.arraycopy(data, o + 1, y, b * block, block);
        }
        return new Tensor[] {Tensor.ofInts(x, batch, block), Tensor.ofInts(y, batch, block)};
    }

    static int train(Args a, PrintStream out) throws IOException {
        Path data = Path.of(a.string("data", DEFAULT_CORPUS.toString()));
        int batchSize = (int) a.longValue("batch-size", 32, 1), steps = (int) a.longValue("steps", 3000, 1);
        int warmup = (int) a.longValue("warmup", 100, 0), evalEvery = (int) a.longValue("eval-every", 250, 1);
        int evalBatches = (int) a.longValue("eval-batches", 20, 1),
                printEvery = (int) a.longValue("print-every", 50, 1);
        double lr = a.doubleValue("lr", 1e-3),
                minLr = a.doubleValue("min-lr", lr / 10),
                weightDecay = a.doubleValue("weight-decay", 0.1);
        long seed = a.longValue("seed", 1337, Long.MIN_VALUE);
        // stops the run at this step; the learning-rate schedule stays planned for --steps, so a resumed
        // run continues it exactly
        long maxSteps = a.longValue("max-steps", Long.MAX_VALUE, 0);
        String ckpt = a.string("checkpoint", null);
        boolean resume = a.flag("resume"), json = a.flag("json");
        if (resume && ckpt == null) throw new UsageException("gpt train: --resume needs --checkpoint FILE");
        MnistCommand.threads(a);

        String text = corpus(data);
        Map<String, String> saved = resume ? readMetadata(Path.of(ckpt)) : Map.of();
        CharTokenizer tok = saved.containsKey("vocab")
                ? CharTokenizer.fromVocabulary(saved.get("vocab"))
                : CharTokenizer.fromText(text);
        int[] ids;
        try {
            ids = tok.encode(text);
        } catch (IllegalArgumentException e) {
            throw new UsageException("gpt train: " + data + ": " + e.getMessage());
        }
        int split = (int) (ids.length * 0.9);
        int[] train = java.util.Arrays.copyOfRange(ids, 0, split),
                val = java.util.Arrays.copyOfRange(ids, split, ids.length);
        Gpt.Config config = saved.containsKey("config")
                ? parseConfig(saved.get("config"))
                : new Gpt.Config(
                        tok.size(),
                        (int) a.longValue("block", 128, 2),
                        (int) a.longValue("layers", 4, 1),
                        (int) a.longValue("heads", 4, 1),
                        (int) a.longValue("embd", 128, 1),
                        a.doubleValue("dropout", 0.1));
        if (val.length <= config.block() + 1 || train.length <= config.block() + 1)
            throw new UsageException(
                    "gpt train: " + data + " is too short for blocks of " + config.block() + " characters");

        Tensor.manualSeed(seed);
        Gpt model = new Gpt(config);
        List<Tensor> decay = new ArrayList<>(), noDecay = new ArrayList<>();
        for (Tensor p : model.parameters()) (p.shape().length >= 2 ? decay : noDecay).add(p);
        AdamW optimizer = new AdamW(
                ParamGroups.of(ParamGroup.of(decay), ParamGroup.of(noDecay).weightDecay(0)),
                lr,
                0.9,
                0.99,
                1e-8,
                weightDecay,
                false);
        LRScheduler schedule = schedule(optimizer, steps, warmup, minLr);
        long step = 0;
        if (resume) {
            Map<String, String> md = MnistCommand.loadCheckpoint(Path.of(ckpt), model, optimizer);
            step = Long.parseLong(md.getOrDefault("step", "0"));
            // dropout's masks continue from where the stopped run was
            if (md.containsKey("generator"))
                Tensor.defaultGenerator().setState(MnistCommand.parseState(md.get("generator")));
            if (!md.getOrDefault("steps", "").equals(Integer.toString(steps)))
                throw new UsageException("gpt train: " + ckpt + " is from a run of " + md.get("steps")
                        + " steps; resume it with --steps " + md.get("steps"));
            schedule.loadStateDict(Map.of("last_epoch", Long.toString(Math.min(step, steps - 1))));
            out.printf(Locale.ROOT, "resumed from %s at step %d%n", ckpt, step);
        }
        long params = model.parameters().stream().mapToLong(Tensor::numel).sum();
        out.printf(
                Locale.ROOT,
                "training a GPT (%d layers, %d heads, embd %d, block %d; %.2fM parameters) on %s (%,d characters, "
                        + "vocabulary %d; 90/10 split), batch %d, %d steps, AdamW(lr=%g, weight_decay=%g) with %d warm-up steps and "
                        + "cosine decay to %g, %d thread(s); Ctrl-C stops and saves%n",
                config.layers(),
                config.heads(),
                config.embd(),
                config.block(),
                params / 1e6,
                data,
                ids.length,
                tok.size(),
                batchSize,
                steps,
                lr,
                weightDecay,
                warmup,
                minLr,
                Threads.getNumThreads());

        List<double[]> curve = new ArrayList<>(), valCurve = new ArrayList<>();
        double[] last = {Double.NaN, Double.NaN};
        long tokens = 0, t0 = System.nanoTime();
        boolean interrupted = false;
        int exit = 0;
        double lastLoss = Double.NaN;
        long lastEval = -1;
        model.train(true);
        try (Interruptible loop = Interruptible.open()) {
            while (step < steps && step < maxSteps) {
                if (!loop.next()) {
                    interrupted = loop.wasInterrupted();
                    exit = loop.exitStatus();
                    break;
                }
                try (MemoryScope s = MemoryScope.open()) {
                    Tensor[] xy = batch(train, batchSize, config.block(), seed, step);
                    optimizer.zeroGrad();
                    Tensor loss = model.loss(xy[0], xy[1]);
                    lastLoss = loss.item();
                    if (!Double.isFinite(lastLoss))
                        throw new UsageException("gpt train: diverged at step " + (step + 1) + " (loss " + lastLoss
                                + "); try a smaller --lr");
                    loss.backward();
                    ClipGrad.clipGradNorm_(model.parameters(), 1.0);
                    optimizer.step();
                }
                step++;
                if (step < steps) schedule.step();
                tokens += (long) batchSize * config.block();
                curve.add(new double[] {step, lastLoss});
                if (step % printEvery == 0 || step == 1) {
                    double secs = (System.nanoTime() - t0) / 1e9;
                    out.printf(
                            Locale.ROOT,
                            "step %d/%d  loss %.4f  lr %.2e  %.0f tokens/s%n",
                            step,
                            steps,
                            lastLoss,
                            optimizer.getLr(),
                            tokens / secs);
                }
                if (step % evalEvery == 0 || step == steps) {
                    last = evaluate(model, train, val, batchSize, config.block(), evalBatches, seed);
                    lastEval = step;
                    valCurve.add(new double[] {step, last[1]});
                    out.printf(Locale.ROOT, "step %d: train loss %.4f, val loss %.4f%n", step, last[0], last[1]);
                }
            }
        }
        double seconds = (System.nanoTime() - t0) / 1e9;
        if (ckpt != null || interrupted) {
            Path file = Path.of(ckpt != null ? ckpt : "gpt-checkpoint.safetensors");
            Map<String, String> md = new LinkedHashMap<>();
            md.put("step", Long.toString(step));
            md.put("steps", Integer.toString(steps));
            md.put("seed", Long.toString(seed));
            md.put("vocab", tok.vocabulary());
            md.put("config", formatConfig(config));
            md.put(
                    "generator",
                    MnistCommand.formatState(Tensor.defaultGenerator().getState()));
            MnistCommand.saveCheckpoint(file, model, optimizer, md);
            out.printf(
                    Locale.ROOT,
                    "checkpoint written to %s (step %d)%s%n",
                    file,
                    step,
                    step < steps
                            ? "; continue with --checkpoint " + file + " --resume"
                            : "; sample with: ./vectorgrad gpt sample --checkpoint " + file);
        }
        if (interrupted) {
            out.println(exit == 143 ? "terminated (SIGTERM)" : "interrupted");
            return exit;
        }
        if (lastEval != step) last = evaluate(model, train, val, batchSize, config.block(), evalBatches, seed);
        out.printf(
                Locale.ROOT,
                "%s: %d steps in %.1f s, %.0f tokens/s; train loss %.4f, val loss %.4f%n",
                step < steps ? "stopped" : "done",
                step,
                seconds,
                tokens / seconds,
                last[0],
                last[1]);
        out.println("--- a sample (temperature 0.8, top-k 40):");
        out.println(generate(model, tok, "\n", 300, 0.8, 40, seed));
        String plot = a.string("plot", null);
        if (plot != null) {
            Plots.curves(
                    Path.of(plot),
                    "training loss (moving average)",
                    "cross-entropy (nats per character)",
                    MnistCommand.column(curve, 0),
                    MnistCommand.column(curve, 1),
                    "validation loss",
                    "cross-entropy",
                    MnistCommand.column(valCurve, 0),
                    MnistCommand.column(valCurve, 1),
                    false);
            out.println("plot written to " + plot);
        }
        if (json) {
            out.printf(
                    Locale.ROOT,
                    "{\"train_loss\":%.6f,\"val_loss\":%.6f,\"steps\":%d,\"tokens_per_s\":%.1f,\"seconds\":%.3f}%n",
                    last[0],
                    last[1],
                    step,
                    tokens / seconds,
                    seconds);
        }
        return 0;
    }

    /** Linear warm-up from lr/warmup to lr, then cosine decay to {@code minLr} (nanoGPT's schedule). */
    static LRScheduler schedule(AdamW optimizer, int steps, int warmup, double minLr) {
        var cosine = new CosineAnnealingLR(optimizer, Math.max(1, steps - warmup), minLr);
        if (warmup == 0) return cosine;
        var linear = new LinearLR(optimizer, 1.0 / warmup, 1.0, warmup);
        return new SequentialLR(optimizer, List.of(linear, cosine), new int[] {warmup});
    }

    /** {train, validation} mean loss over {@code batches} fixed batches each, in evaluation mode. */
    static double[] evaluate(Gpt model, int[] train, int[] val, int batchSize, int block, int batches, long seed) {
        model.eval();
        double[] out = new double[2];
        try (NoGrad g = Tensor.noGrad()) {
            for (int split = 0; split < 2; split++) {
                double sum = 0;
                for (int i = 0; i < batches; i++) {
                    try (MemoryScope s = MemoryScope.open()) {
                        Tensor[] xy = batch(split == 0 ? train : val, batchSize, block, ~seed, i);
                        sum += model.loss(xy[0], xy[1]).item();
                    }
                }
                out[split] = sum / batches;
            }
        }
        model.train(true);
        return out;
    }

    /**
     * {@code tokens} characters after {@code prompt}, each drawn from the softmax of the last logits over
     * temperature, among the {@code topK} likeliest (0: all). Keys and values of past positions are kept
     * per layer, so each new character costs one position's work; when the block is full, the cache is
     * rebuilt from the last half block.
     */
    static String generate(
            Gpt model, CharTokenizer tok, String prompt, int tokens, double temperature, int topK, long seed) {
        model.eval();
        int block = model.config().block();
        int[] start = tok.encode(prompt);
        if (start.length == 0) throw new UsageException("gpt sample: the prompt is empty");
        List<Integer> all = new ArrayList<>();
        for (int id : start) all.add(id);
        SplittableRandom r = new SplittableRandom(seed);
        StringBuilder outText = new StringBuilder();
        try (NoGrad g = Tensor.noGrad()) {
            Gpt.KvCache cache = new Gpt.KvCache(model.config().layers());
            float[] logits;
            // one memory scope per character: its temporaries go back to the cache at once instead of waiting
            // for the GC (without it the key/value concatenations took 0.22 ms a character, under 0.01 with)
            try (MemoryScope s = MemoryScope.open()) {
                logits = prefill(model, cache, all, block);
                cache.keep(s);
            }
            for (int n = 0; n < tokens; n++) {
                int next = draw(logits, temperature, topK, r);
                all.add(next);
                outText.append(tok.decode(new int[] {next}));
                try (MemoryScope s = MemoryScope.open()) {
                    if (cache.length() >= block) {
                        cache.close();
                        cache = new Gpt.KvCache(model.config().layers());
                        logits = prefill(model, cache, all.subList(all.size() - block / 2, all.size()), block);
                    } else {
                        int pos = cache.length();
                        Tensor h = model.hidden(Tensor.ofInts(new int[] {next}, 1, 1), cache, pos);
                        logits = model.logits(h).toFloatArray();
                    }
                    cache.keep(s);
                }
            }
            cache.close();
        }
        model.train(true);
        return prompt + outText;
    }

    /**
     * Runs the context (its last block) through the model one position at a time, filling the cache;
     * returns the last position's logits. One position a step rather than all at once: a step runs the
     * code every sampled character runs, compiled already or soon, where all positions at once take
     * products and attention paths of their own that the JIT must compile first, at a cost above the
     * work in a short run (500 characters, one thread: the cache's six rebuilds from 64 positions took
     * 942 ms at once; docs/PERFORMANCE.md).
     */
    private static float[] prefill(Gpt model, Gpt.KvCache cache, List<Integer> context, int block) {
        List<Integer> c = context.size() > block ? context.subList(context.size() - block, context.size()) : context;
        Tensor h = null;
        for (int pos = 0; pos < c.size(); pos++)
            h = model.hidden(Tensor.ofInts(new int[] {c.get(pos)}, 1, 1), cache, pos);
        return model.logits(h).toFloatArray();
    }

    static int draw(float[] logits, double temperature, int topK, SplittableRandom r) {
        int v = logits.length;
        if (temperature <= 0) {
            int best = 0;
            for (int i = 1; i < v; i++) if (logits[i] > logits[best]) best = i;
            return best;
        }
        double cut = Double.NEGATIVE_INFINITY;
        if (topK > 0 && topK < v) {
            float[] sorted = logits.clone();
            java.util.Arrays.sort(sorted);
            cut = sorted[v - topK];
        }
        double max = Double.NEGATIVE_INFINITY;
        for (float x : logits) max = Math.max(max, x);
        double[] p = new double[v];
        double sum = 0;
        for (int i = 0; i < v; i++) sum += p[i] = logits[i] < cut ? 0 : Math.exp((logits[i] - max) / temperature);
        double u = r.nextDouble() * sum;
        for (int i = 0; i < v; i++) if ((u -= p[i]) <= 0) return i;
        return v - 1;
    }

    /**
     * Multiply-adds of a whole generation below which it runs the scalar kernels (see
     * {@link #prefersScalarKernels}): 3,000 tokens of the default model on the fortunes (113 characters),
     * 931,968 a token. That model, one thread, an AMD EPYC Zen 4, seconds scalar against vector: 1,000
     * tokens 1.38 against 2.34, 2,000 tokens 2.12 against 2.30, 3,000 tokens 2.72 against 2.64
     * (docs/PERFORMANCE.md).
     */
    static final double SCALAR_KERNELS_BELOW_MULTIPLY_ADDS =
            3000.0 * multiplyAddsPerToken(new Gpt.Config(113, 128, 4, 4, 128, 0.1));

    /**
     * A sampled token's multiply-adds in the model's matrices: per layer q, k, v, the projection and the
     * MLP (12·embd²) and attention over at most a block of keys (the scores and their weighted sum,
     * 2·block·embd), then the output head.
     */
    static long multiplyAddsPerToken(Gpt.Config c) {
        long e = c.embd();
        return c.layers() * (12 * e * e + 2L * c.block() * e) + c.vocab() * e;
    }

    /**
     * Whether {@code args} (a whole command line) is a {@code gpt sample} whose generation is under
     * {@link #SCALAR_KERNELS_BELOW_MULTIPLY_ADDS} (tokens times {@link #multiplyAddsPerToken} of the
     * checkpoint's model, read from its header) and leaves {@code vectorgrad.scalar} unset: then the process
     * should run the scalar kernels. Sampling steps one position at a time; once C2 has compiled them the
     * vector kernels do a step in about a quarter of the scalar time, but compiling them takes the first
     * second and more of a run (their code runs interpreted, then profiled, meanwhile), so a short text is
     * done sooner without them. An explicit {@code -Dvectorgrad.scalar=true|false} wins. The kernels' sums
     * differ in order, so the same seed can draw differently on either side of the threshold (a longer
     * text need not extend a shorter one's). The kernels are chosen once per JVM: this is for a process's
     * entry point, before any kernel runs, and reads the checkpoint's header with plain I/O.
     */
    static boolean prefersScalarKernels(String[] args) {
        if (args.length < 2 || !args[0].equals("gpt") || !args[1].equals("sample")) return false;
        if (System.getProperty("vectorgrad.scalar") != null) return false;
        try {
            Args a = new Args(
                    "gpt sample", java.util.Arrays.copyOfRange(args, 2, args.length), SAMPLE_OPTIONS, SAMPLE_FLAGS);
            String ckpt = a.string("checkpoint", null);
            if (ckpt == null) return false;
            Gpt.Config c = configInHeader(Path.of(ckpt));
            return c != null
                    && (double) a.longValue("tokens", 500, 1) * multiplyAddsPerToken(c)
                            < SCALAR_KERNELS_BELOW_MULTIPLY_ADDS;
        } catch (UsageException e) {
            return false; // the command reports it
        }
    }

    /**
     * The model config in a safetensors checkpoint's header (its 8-byte length, then JSON whose
     * {@code __metadata__} holds {@code "config"}), or null where there is none to read; the command itself
     * reports a bad checkpoint.
     */
    static Gpt.Config configInHeader(Path file) {
        try (var in = Files.newInputStream(file)) {
            byte[] len = in.readNBytes(8);
            if (len.length < 8) return null;
            long n = java.nio.ByteBuffer.wrap(len)
                    .order(java.nio.ByteOrder.LITTLE_ENDIAN)
                    .getLong();
            if (n <= 0 || n > (1 << 24)) return null;
            String header = new String(in.readNBytes((int) n), StandardCharsets.UTF_8);
            var m = java.util.regex.Pattern.compile("\"config\"\\s*:\\s*\"([^\"]*)\"")
                    .matcher(header);
            return m.find() ? parseConfig(m.group(1)) : null;
        } catch (IOException | UsageException e) {
            return null;
        }
    }

    static int sample(Args a, PrintStream out) throws IOException {
        String ckpt = a.string("checkpoint", null);
        if (ckpt == null) throw new UsageException("gpt sample: --checkpoint FILE is required");
        MnistCommand.threads(a);
        Map<String, String> md = readMetadata(Path.of(ckpt));
        if (!md.containsKey("vocab") || !md.containsKey("config"))
            throw new UsageException(
                    ckpt + ": not a checkpoint of gpt train (no vocabulary or config in its metadata)");
        CharTokenizer tok = CharTokenizer.fromVocabulary(md.get("vocab"));
        Gpt model = new Gpt(parseConfig(md.get("config")));
        MnistCommand.loadCheckpoint(Path.of(ckpt), model, null);
        String prompt = a.string("prompt", "\n");
        int n = (int) a.longValue("tokens", 500, 1), topK = (int) a.longValue("top-k", 40, 0);
        double temperature = a.doubleValue("temperature", 0.8);
        long seed = a.longValue("seed", 0, Long.MIN_VALUE);
        long t0 = System.nanoTime();
        String text;
        try {
            text = generate(model, tok, prompt, n, temperature, topK, seed);
        } catch (IllegalArgumentException e) {
            throw new UsageException("gpt sample: prompt: " + e.getMessage());
        }
        double seconds = (System.nanoTime() - t0) / 1e9;
        out.println(text);
        if (a.flag("json")) {
            out.printf(
                    Locale.ROOT, "{\"tokens\":%d,\"tokens_per_s\":%.1f,\"seconds\":%.3f}%n", n, n / seconds, seconds);
        }
        return 0;
    }

    static Map<String, String> readMetadata(Path file) throws IOException {
        try {
            var contents = vectorgrad.nn.io.SafeTensors.read(file);
            contents.tensors().values().forEach(Tensor::close);
            return contents.metadata();
        } catch (NoSuchFileException e) {
            throw new UsageException(file + ": no such checkpoint");
        } catch (FormatException e) {
            throw new UsageException(e.getMessage());
        }
    }

    static String formatConfig(Gpt.Config c) {
        return String.format(
                Locale.ROOT,
                "vocab=%d,block=%d,layers=%d,heads=%d,embd=%d,dropout=%s",
                c.vocab(),
                c.block(),
                c.layers(),
                c.heads(),
                c.embd(),
                Double.toString(c.dropout()));
    }

    static Gpt.Config parseConfig(String s) {
        Map<String, String> m = new LinkedHashMap<>();
        for (String kv : s.split(",")) {
            String[] p = kv.split("=", 2);
            if (p.length == 2) m.put(p[0], p[1]);
        }
        try {
            return new Gpt.Config(
                    Integer.parseInt(m.get("vocab")),
                    Integer.parseInt(m.get("block")),
                    Integer.parseInt(m.get("layers")),
                    Integer.parseInt(m.get("heads")),
                    Integer.parseInt(m.get("embd")),
                    Double.parseDouble(m.get("dropout")));
        } catch (RuntimeException e) {
            throw new UsageException("checkpoint: unreadable model config '" + s + "'");
        }
    }
}
