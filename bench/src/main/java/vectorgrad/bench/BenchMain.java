package vectorgrad.bench;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.options.ChainedOptionsBuilder;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;
import vectorgrad.kernels.Simd;

/**
 * {@code ./vectorgrad bench <suite> [--threads N] [--json] [--long]}: runs a JMH suite with short settings
 * (a few seconds; {@code --long} for more iterations), prints a table, and with {@code --json} a last
 * line of JSON. Suites: {@code linreg}. Anything else is passed to JMH's own command line ({@code jmh ...}).
 */
public final class BenchMain {
    private BenchMain() {}

    public static void main(String[] args) throws Exception {
        if (args.length == 0 || args[0].equals("--help")) {
            System.out.println(
                    "usage: vectorgrad bench linreg|gemm|train|layers|toolkit|optim|resnet|gpt [--threads N] [--vector-bits 128|256|512] [--json] [--long]\n"
                            + "       vectorgrad bench train|resnet|gpt --breakdown [--threads N] [--batch 64]   (time per op, forward and backward)\n"
                            + "       vectorgrad bench infer [--json] [--calls 10000] [--warmup 20000]   (one image per call: first call, p50, p99; a JVM per row)\n"
                            + "       vectorgrad bench soak [--steps 10000] [--every 500] [--batch-size 5] [--json]   (memory over a long run)\n"
                            + "       vectorgrad bench jmh <JMH options>   (e.g. jmh -l to list benchmarks)");
            System.exit(args.length == 0 ? 2 : 0);
        }
        if (args[0].equals("infer")) {
            InferBench.main(java.util.Arrays.copyOfRange(args, 1, args.length));
            return;
        }
        if (args[0].equals("soak")) {
            Soak.main(java.util.Arrays.copyOfRange(args, 1, args.length));
            return;
        }
        if (args[0].equals("jmh")) {
            String[] rest = java.util.Arrays.copyOfRange(args, 1, args.length);
            org.openjdk.jmh.Main.main(rest);
            return;
        }
        boolean json = false, longRun = false, breakdown = false;
        int threads = 1, batch = 64;
        int bits = 0;
        for (int i = 1; i < args.length; i++) {
            switch (args[i]) {
                case "--json" -> json = true;
                case "--long" -> longRun = true;
                case "--breakdown" -> breakdown = true;
                case "--vector-bits" -> {
                    if (i + 1 >= args.length) fail("--vector-bits needs a value (128, 256 or 512)");
                    bits = switch (args[++i]) {
                        case "128" -> 128;
                        case "256" -> 256;
                        case "512" -> 512;
                        default -> {
                            fail("--vector-bits expects 128, 256 or 512, got '" + args[i] + "'");
                            yield 0;
                        }
                    };
                    String arch = System.getProperty("os.arch");
                    if (!arch.equals("amd64") && !arch.equals("x86_64"))
                        fail("--vector-bits holds the JVM to a width with -XX:UseAVX, an x86 option; this JVM runs on "
                                + arch);
                }
                case "--batch" -> {
                    if (i + 1 >= args.length) fail("--batch needs a value");
                    try {
                        batch = Integer.parseInt(args[++i]);
                    } catch (NumberFormatException e) {
                        fail("--batch expects an integer, got '" + args[i] + "'");
                    }
                    if (batch < 1) fail("--batch must be >= 1");
                }
                case "--threads" -> {
                    if (i + 1 >= args.length) fail("--threads needs a value");
                    try {
                        threads = Integer.parseInt(args[++i]);
                    } catch (NumberFormatException e) {
                        fail("--threads expects an integer, got '" + args[i] + "'");
                    }
                    if (threads < 1) fail("--threads must be >= 1");
                }
                default -> fail("unknown option " + args[i]);
            }
        }
        vectorBits = bits;
        if (breakdown) {
            if (bits != 0)
                fail("--breakdown runs in this JVM: set the width when starting it, JAVA_TOOL_OPTIONS=-XX:UseAVX="
                        + useAvx(bits) + " ./vectorgrad bench ...");
            if (!List.of("train", "resnet", "gpt").contains(args[0]))
                fail("--breakdown is for the train, resnet and gpt suites");
            Breakdown.run(args[0], threads, batch);
            return;
        }
        switch (args[0]) {
            case "linreg" -> linreg(threads, json, longRun);
            case "gemm" -> gemm(threads, json, longRun);
            case "train" -> train(threads, json, longRun);
            case "layers" -> layers(threads, json, longRun);
            case "toolkit" -> toolkit(threads, json, longRun);
            case "optim" -> optim(threads, json, longRun);
            case "resnet" -> resnet(threads, json, longRun);
            case "gpt" -> gpt(threads, json, longRun);
            default ->
                fail("unknown suite '" + args[0]
                        + "' (suites: linreg, gemm, train, layers, toolkit, optim, resnet, gpt)");
        }
    }

    private static void fail(String message) {
        System.err.println("vectorgrad bench: " + message);
        System.exit(2);
    }

    /** The vector width the forked JVMs are held to (--vector-bits), 0 for the machine's own. */
    private static int vectorBits;

    /** HotSpot's -XX:UseAVX level for a vector width: 3 for 512-bit, 2 for 256, 0 for 128 (SSE). */
    static int useAvx(int bits) {
        return bits == 512 ? 3 : bits == 256 ? 2 : 0;
    }

    /**
     * What kernels the measured JVMs run: the forks always have the Vector API ({@link #forkArgs}); at this
     * JVM's width, or the width they were held to. A bench jar started without the Vector API module cannot
     * tell the machine's width, and says so.
     */
    private static String kernels() {
        if (vectorBits != 0) return "Vector API held to " + vectorBits + "-bit (-XX:UseAVX=" + useAvx(vectorBits) + ")";
        return Simd.VECTOR_AVAILABLE ? Simd.describe() : "Vector API at the machine's width";
    }

    private static ChainedOptionsBuilder options(String include, int threads, boolean longRun) {
        return options(include, threads, longRun, vectorBits);
    }

    /** The JMH run of {@code include}: one fork with {@link #forkArgs}, one-second iterations. */
    static ChainedOptionsBuilder options(String include, int threads, boolean longRun, int bits) {
        return new OptionsBuilder()
                .include(include)
                .forks(1)
                .warmupIterations(longRun ? 5 : 3)
                .warmupTime(TimeValue.seconds(1))
                .measurementIterations(longRun ? 10 : 5)
                .measurementTime(TimeValue.seconds(1))
                .jvmArgsAppend(forkArgs(threads, bits));
    }

    /**
     * The forked JVMs' flags: the Vector API module, native access, the collector, the thread count and, with
     * {@code --vector-bits}, the width. One list, passed once: JMH's {@code jvmArgsAppend} replaces what an
     * earlier call gave. The forks start with this JVM's own flags and then these; with the width appended by a
     * second call, a bench jar started without {@code --add-modules jdk.incubator.vector} ({@code java -jar
     * vectorgrad-bench.jar train --vector-bits 256}; {@code ./vectorgrad bench} passes it) forked JVMs
     * without the Vector API, on the scalar kernels: 34–47 images/s for the MNIST step.
     */
    static String[] forkArgs(int threads, int bits) {
        List<String> args = new java.util.ArrayList<>(List.of(
                "--add-modules",
                "jdk.incubator.vector",
                "--enable-native-access=ALL-UNNAMED",
                "-XX:+UseParallelGC",
                "-Dvectorgrad.threads=" + threads));
        if (bits != 0) args.add("-XX:UseAVX=" + useAvx(bits));
        return args.toArray(String[]::new);
    }

    static final String[] GEMM_SHAPES = {
        "64:64:64:NN",
        "128:128:128:NN",
        "256:256:256:NN",
        "512:512:512:NN",
        "1024:1024:1024:NN",
        "2048:2048:2048:NN",
        // the MNIST model: Linear(9216,128) forward x·Wᵀ and its gradients g·W, gᵀ·x, at batch 5 and 64; Linear(128,10)
        "5:128:9216:NT",
        "5:9216:128:NN",
        "128:9216:5:TN",
        "64:128:9216:NT",
        "64:9216:128:NN",
        "128:9216:64:TN",
        "5:10:128:NT"
    };
    /** The scalar triple loop runs only where it finishes in reasonable time. */
    static final String[] NAIVE_SHAPES = {
        "64:64:64:NN", "128:128:128:NN", "256:256:256:NN", "512:512:512:NN", "5:128:9216:NT", "5:10:128:NT"
    };

    private static void gemm(int threads, boolean json, boolean longRun) throws RunnerException {
        List<RunResult> results = new ArrayList<>();
        String cls = GemmBenchmark.class.getName();
        results.addAll(new Runner(options(cls + ".(vectorgrad|netlibVectorBlas)$", threads, longRun)
                        .param("shape", GEMM_SHAPES)
                        .build())
                .run());
        results.addAll(new Runner(options(cls + ".naiveJava$", threads, longRun)
                        .param("shape", NAIVE_SHAPES)
                        .build())
                .run());
        List<String> rows = new ArrayList<>();
        System.out.println();
        System.out.printf(
                Locale.ROOT,
                "sgemm, %d thread(s) for vectorgrad (the baselines are single-threaded), kernels: %s%n",
                threads,
                kernels());
        System.out.printf(Locale.ROOT, "%-18s %6s %6s %6s %4s %9s %9s%n", "impl", "m", "n", "k", "op", "GFLOP/s", "±");
        results.sort(java.util.Comparator.comparing((RunResult r) -> java.util.Arrays.asList(GEMM_SHAPES)
                        .indexOf(r.getParams().getParam("shape")))
                .thenComparing(r -> r.getParams().getBenchmark()));
        for (RunResult r : results) {
            String impl = r.getParams().getBenchmark().replaceAll(".*\\.", "");
            String shape = r.getParams().getParam("shape");
            String[] p = shape.split(":");
            double f = GemmBenchmark.flops(shape) / 1e9;
            double g = r.getPrimaryResult().getScore() * f,
                    e = r.getPrimaryResult().getScoreError() * f;
            int t = impl.equals("vectorgrad") ? threads : 1;
            System.out.printf(Locale.ROOT, "%-18s %6s %6s %6s %4s %9.1f %9.1f%n", impl, p[0], p[1], p[2], p[3], g, e);
            rows.add(String.format(
                    Locale.ROOT,
                    "{\"impl\":\"%s\",\"m\":%s,\"n\":%s,\"k\":%s,\"op\":\"%s\",\"threads\":%d,\"gflops\":%.2f}",
                    impl,
                    p[0],
                    p[1],
                    p[2],
                    p[3],
                    t,
                    g));
        }
        if (json) System.out.println("[" + String.join(",", rows) + "]");
    }

    private static void layers(int threads, boolean json, boolean longRun) throws RunnerException {
        ChainedOptionsBuilder o = options(LayersBenchmark.class.getName(), threads, longRun);
        if (!longRun) {
            // 1-s iterations: with half-second ones conv2's forward at batch 5 was once measured before C2
            // had compiled the micro-kernel (62 ms a call instead of 0.7 ms); 6 s of warm-up: conv1's
            // forward+backward at batch 5 ran 425 µs in the fourth and fifth seconds, 55 µs from the sixth
            o.warmupIterations(6).measurementIterations(3);
        }
        List<RunResult> results = new ArrayList<>(new Runner(o.build()).run());
        List<String> order =
                List.of("conv1", "relu1", "conv2", "pool", "dropout1", "fc1", "relu2", "dropout2", "fc2", "loss");
        results.sort(java.util.Comparator.comparingInt(
                        (RunResult r) -> Integer.parseInt(r.getParams().getParam("batch")))
                .thenComparingInt(r -> order.indexOf(r.getParams().getParam("layer")))
                .thenComparing(r -> r.getParams().getBenchmark()));
        List<String> rows = new ArrayList<>();
        System.out.println();
        System.out.printf(Locale.ROOT, "MNIST model layers, %d thread(s), kernels: %s%n", threads, kernels());
        System.out.printf(Locale.ROOT, "%-9s %6s %-8s %11s %9s %9s%n", "layer", "batch", "pass", "µs", "±", "GFLOP/s");
        for (RunResult r : results) {
            String layer = r.getParams().getParam("layer");
            int batch = Integer.parseInt(r.getParams().getParam("batch"));
            boolean bwd = r.getParams().getBenchmark().endsWith("fwdBwd");
            double us = r.getPrimaryResult().getScore(),
                    err = r.getPrimaryResult().getScoreError();
            double f = LayersBenchmark.forwardFlops(layer, batch) * (bwd ? (layer.equals("conv1") ? 2 : 3) : 1);
            String gf = f == 0 ? "null" : String.format(Locale.ROOT, "%.2f", f / us / 1e3);
            System.out.printf(
                    Locale.ROOT,
                    "%-9s %6d %-8s %11.2f %9.2f %9s%n",
                    layer,
                    batch,
                    bwd ? "fwd+bwd" : "fwd",
                    us,
                    err,
                    f == 0 ? "" : gf);
            rows.add(String.format(
                    Locale.ROOT,
                    "{\"layer\":\"%s\",\"batch\":%d,\"threads\":%d,\"pass\":\"%s\",\"micros\":%.3f,\"gflops\":%s}",
                    layer,
                    batch,
                    threads,
                    bwd ? "fwd+bwd" : "fwd",
                    us,
                    gf));
        }
        if (json) System.out.println("[" + String.join(",", rows) + "]");
    }

    /** Fused toolkit ops against their tensor-op composition, same run: µs per forward+backward and the ratio. */
    private static void toolkit(int threads, boolean json, boolean longRun) throws RunnerException {
        ChainedOptionsBuilder o = options(ToolkitBenchmark.class.getName(), threads, longRun);
        if (!longRun) o.warmupIterations(5).measurementIterations(5);
        List<RunResult> results = new ArrayList<>(new Runner(o.build()).run());
        java.util.Map<String, double[]> byOp = new java.util.TreeMap<>();
        for (RunResult r : results) {
            double[] v = byOp.computeIfAbsent(r.getParams().getParam("op"), k -> new double[4]);
            int at = r.getParams().getParam("impl").equals("fused") ? 0 : 2;
            v[at] = r.getPrimaryResult().getScore();
            v[at + 1] = r.getPrimaryResult().getScoreError();
        }
        List<String> rows = new ArrayList<>();
        System.out.println();
        System.out.printf(
                Locale.ROOT, "toolkit ops, forward+backward, %d thread(s), kernels: %s%n", threads, kernels());
        System.out.printf(Locale.ROOT, "%-18s %12s %12s %8s%n", "op", "fused µs", "composed µs", "ratio");
        for (var e : byOp.entrySet()) {
            double[] v = e.getValue();
            System.out.printf(
                    Locale.ROOT,
                    "%-18s %7.1f ±%4.1f %7.1f ±%4.1f %7.2fx%n",
                    e.getKey(),
                    v[0],
                    v[1],
                    v[2],
                    v[3],
                    v[2] / v[0]);
            rows.add(String.format(
                    Locale.ROOT,
                    "{\"op\":\"%s\",\"threads\":%d,\"fused_micros\":%.2f,\"composed_micros\":%.2f}",
                    e.getKey(),
                    threads,
                    v[0],
                    v[2]));
        }
        if (json) System.out.println("[" + String.join(",", rows) + "]");
    }

    /** Adam's step against a triad and a copy over the same bytes, same run: µs, GB/s and Adam's share of each. */
    private static void optim(int threads, boolean json, boolean longRun) throws RunnerException {
        ChainedOptionsBuilder o = options(OptimizerBenchmark.class.getName(), threads, longRun);
        java.util.Map<String, Double> micros = new java.util.LinkedHashMap<>();
        for (RunResult r : new Runner(o.build()).run())
            micros.put(r.getParams().getParam("op"), r.getPrimaryResult().getScore());
        double adamGbs = OptimizerBenchmark.bytes("adam") / micros.get("adam") / 1e3;
        System.out.println();
        System.out.printf(
                Locale.ROOT,
                "Adam over the MNIST model's %,d parameters against memory bandwidth, %d thread(s), kernels: %s%n",
                OptimizerBenchmark.PARAMS,
                threads,
                kernels());
        System.out.printf(Locale.ROOT, "%-6s %10s %8s %12s%n", "op", "µs", "GB/s", "Adam / this");
        List<String> rows = new ArrayList<>();
        for (var e : micros.entrySet()) {
            double gbs = OptimizerBenchmark.bytes(e.getKey()) / e.getValue() / 1e3;
            System.out.printf(
                    Locale.ROOT, "%-6s %10.1f %8.1f %11.0f%%%n", e.getKey(), e.getValue(), gbs, 100 * adamGbs / gbs);
            rows.add(String.format(
                    Locale.ROOT,
                    "{\"op\":\"%s\",\"threads\":%d,\"micros\":%.2f,\"gb_per_s\":%.2f}",
                    e.getKey(),
                    threads,
                    e.getValue(),
                    gbs));
        }
        if (json) System.out.println("[" + String.join(",", rows) + "]");
    }

    private static void train(int threads, boolean json, boolean longRun) throws RunnerException {
        // 8 s of warm-up: with two cores, C2's compiler threads share them with the two compute threads,
        // and a batch-64 step was still getting faster in the sixth second (36.5, 25.4, 21.9, 21.2, 21.3,
        // 20.3 ms in 1-s iterations after 3 s)
        ChainedOptionsBuilder o =
                options(TrainStepBenchmark.class.getName(), threads, longRun).warmupIterations(8);
        stepTable(
                new ArrayList<>(new Runner(o.build()).run()),
                "MNIST training step (forward, loss, backward, Adam)",
                threads,
                json);
    }

    /** A training-step suite's table (images/s, ms/step, new native bytes per step) and JSON rows. */
    private static void stepTable(List<RunResult> results, String title, int threads, boolean json) {
        results.sort(java.util.Comparator.comparingInt(
                r -> Integer.parseInt(r.getParams().getParam("batch"))));
        List<String> rows = new ArrayList<>();
        System.out.println();
        System.out.printf(Locale.ROOT, "%s, %d thread(s), kernels: %s%n", title, threads, kernels());
        System.out.printf(
                Locale.ROOT, "%6s %12s %10s %8s %14s%n", "batch", "images/s", "ms/step", "±", "new native B/step");
        for (RunResult r : results) {
            int batch = Integer.parseInt(r.getParams().getParam("batch"));
            double ms = r.getPrimaryResult().getScore(),
                    err = r.getPrimaryResult().getScoreError();
            double ips = batch * 1000.0 / ms;
            var bytes = r.getSecondaryResults().get("nativeBytes");
            var steps = r.getSecondaryResults().get("steps");
            double perStep = bytes == null || steps == null || steps.getScore() == 0
                    ? Double.NaN
                    : bytes.getScore() / steps.getScore();
            System.out.printf(Locale.ROOT, "%6d %12.0f %10.3f %8.3f %14.1f%n", batch, ips, ms, err, perStep);
            rows.add(String.format(
                    Locale.ROOT,
                    "{\"batch\":%d,\"threads\":%d,\"images_per_s\":%.1f,\"ms_per_step\":%.4f,\"native_bytes_per_step\":%s}",
                    batch,
                    threads,
                    ips,
                    ms,
                    Double.isNaN(perStep) ? "null" : String.format(Locale.ROOT, "%.1f", perStep)));
        }
        if (json) System.out.println("[" + String.join(",", rows) + "]");
    }

    private static void resnet(int threads, boolean json, boolean longRun) throws RunnerException {
        // a step takes 0.1-0.6 s: longer iterations, and warm-up until C2 has compiled the kernels
        ChainedOptionsBuilder o = options(ResNetBenchmark.class.getName(), threads, longRun)
                .warmupIterations(longRun ? 8 : 5)
                .warmupTime(TimeValue.seconds(3))
                .measurementIterations(longRun ? 8 : 4)
                .measurementTime(TimeValue.seconds(3));
        stepTable(
                new ArrayList<>(new Runner(o.build()).run()),
                "SmallResNet training step (forward, label-smoothed " + "cross-entropy, backward, SGD Nesterov)",
                threads,
                json);
    }

    /** The GPT training step: tokens/s; with --json rows {"batch", "block", "threads", "tokens_per_s"}. */
    private static void gpt(int threads, boolean json, boolean longRun) throws RunnerException {
        ChainedOptionsBuilder o = options(GptBenchmark.class.getName(), threads, longRun)
                .warmupIterations(longRun ? 8 : 5)
                .warmupTime(TimeValue.seconds(3))
                .measurementIterations(longRun ? 8 : 4)
                .measurementTime(TimeValue.seconds(3));
        List<String> rows = new ArrayList<>();
        System.out.println();
        System.out.printf(
                Locale.ROOT,
                "GPT training step (4 layers, 4 heads, embd 128), %d thread(s), kernels: %s%n",
                threads,
                kernels());
        System.out.printf(
                Locale.ROOT,
                "%6s %6s %12s %10s %8s %14s%n",
                "batch",
                "block",
                "tokens/s",
                "ms/step",
                "±",
                "new native B/step");
        for (RunResult r : new Runner(o.build()).run()) {
            int batch = Integer.parseInt(r.getParams().getParam("batch")),
                    block = Integer.parseInt(r.getParams().getParam("block"));
            double ms = r.getPrimaryResult().getScore(),
                    err = r.getPrimaryResult().getScoreError();
            double tps = (double) batch * block * 1000.0 / ms;
            var bytes = r.getSecondaryResults().get("nativeBytes");
            var steps = r.getSecondaryResults().get("steps");
            double perStep = bytes == null || steps == null || steps.getScore() == 0
                    ? Double.NaN
                    : bytes.getScore() / steps.getScore();
            System.out.printf(Locale.ROOT, "%6d %6d %12.0f %10.3f %8.3f %14.1f%n", batch, block, tps, ms, err, perStep);
            rows.add(String.format(
                    Locale.ROOT,
                    "{\"batch\":%d,\"block\":%d,\"threads\":%d,\"tokens_per_s\":%.1f}",
                    batch,
                    block,
                    threads,
                    tps));
        }
        if (json) System.out.println("[" + String.join(",", rows) + "]");
    }

    private static void linreg(int threads, boolean json, boolean longRun) throws RunnerException {
        Collection<RunResult> results = new Runner(options(LinregStepBenchmark.class.getName(), threads, longRun)
                        .build())
                .run();
        List<String> rows = new ArrayList<>();
        System.out.println();
        System.out.printf(
                Locale.ROOT, "linear regression step, n = 1000, %d thread(s), kernels: %s%n", threads, kernels());
        System.out.printf(Locale.ROOT, "%-22s %14s %12s %10s%n", "impl", "steps/s", "± (99.9%)", "µs/step");
        for (RunResult r : results) {
            String name = r.getParams().getBenchmark().replaceAll(".*\\.", "");
            double score = r.getPrimaryResult().getScore(),
                    err = r.getPrimaryResult().getScoreError();
            System.out.printf(Locale.ROOT, "%-22s %14.0f %12.0f %10.2f%n", name, score, err, 1e6 / score);
            rows.add(String.format(
                    Locale.ROOT,
                    "{\"impl\":\"%s\",\"threads\":%d,\"steps_per_s\":%.1f,\"error\":%.1f,\"us_per_step\":%.3f}",
                    name,
                    threads,
                    score,
                    err,
                    1e6 / score));
        }
        if (json) System.out.println("[" + String.join(",", rows) + "]");
    }
}
