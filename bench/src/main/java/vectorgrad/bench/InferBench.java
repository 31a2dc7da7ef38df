package vectorgrad.bench;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CyclicBarrier;
import vectorgrad.autograd.MemoryScope;
import vectorgrad.autograd.Tensor;
import vectorgrad.autograd.Threads;
import vectorgrad.examples.MnistClassifier;
import vectorgrad.nn.data.Mnist;
import vectorgrad.nn.io.Checkpoint;

/**
 * {@code ./vectorgrad bench infer [--json] [--calls 10000] [--warmup 20000]}: an application's view of
 * inference latency — classify one 28×28 image with the textbook's model (eval mode, no-grad, a memory
 * scope per call). Each configuration (kernel threads × concurrent callers) runs in a new JVM, so that
 * {@code first_ms} is what an application sees: the first call after loading the weights, before the JIT
 * has compiled anything. Then {@code --warmup} calls, then {@code --calls} timed calls on each caller;
 * p50 and p99 are of single calls (with several callers, the slowest caller's). With {@code --json} the last
 * line is a JSON array of {@code {"threads":…,"callers":…,"load_ms":…,"first_ms":…,"p50_us":…,"p99_us":…}}.
 * {@code bench/scripts/infer_torch.py} measures PyTorch the same way.
 */
final class InferBench {
    private InferBench() {}

    static final int[][] CONFIGS = {{1, 1}, {2, 1}, {1, 4}, {2, 4}}; // {threads, callers}

    record Row(int threads, int callers, double loadMs, double firstMs, double p50Us, double p99Us) {
        String json() {
            return String.format(
                    Locale.ROOT,
                    "{\"threads\":%d,\"callers\":%d,\"load_ms\":%.1f,\"first_ms\":%.1f,\"p50_us\":%.1f,\"p99_us\":%.1f}",
                    threads,
                    callers,
                    loadMs,
                    firstMs,
                    p50Us,
                    p99Us);
        }
    }

    static void main(String[] args) throws Exception {
        boolean json = false;
        int calls = 10_000, warmup = 20_000;
        List<String> jvmArgs = new ArrayList<>();
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--json" -> json = true;
                case "--calls" -> calls = Integer.parseInt(args[++i]);
                case "--warmup" -> warmup = Integer.parseInt(args[++i]);
                case "--jvm-arg" -> jvmArgs.add(args[++i]);
                case "--child" -> {
                    child(
                            Path.of(args[i + 1]),
                            Integer.parseInt(args[i + 2]),
                            Integer.parseInt(args[i + 3]),
                            Integer.parseInt(args[i + 4]),
                            Integer.parseInt(args[i + 5]));
                    return;
                }
                default ->
                    throw new IllegalArgumentException("bench infer: unknown option " + args[i]
                            + " (--json, --calls N, --warmup N, --jvm-arg ARG)");
            }
        }
        // the weights every child loads: the model as `mnist train` starts it (seed 0)
        Path weights = Files.createTempFile("vectorgrad-infer", ".safetensors");
        try {
            Tensor.manualSeed(0);
            Checkpoint.save(weights, new MnistClassifier(), null, null);
            System.out.printf(
                    Locale.ROOT,
                    "bench infer: one 28x28 image per call, %d warm-up and %d timed calls, a new JVM per row%n",
                    warmup,
                    calls);
            System.out.println("threads callers   load ms  first ms   p50 us   p99 us");
            List<Row> rows = new ArrayList<>();
            for (int[] c : CONFIGS) {
                Row r = fork(weights, c[0], c[1], warmup, calls, jvmArgs);
                rows.add(r);
                System.out.printf(
                        Locale.ROOT,
                        "%7d %7d %9.1f %9.1f %8.1f %8.1f%n",
                        r.threads(),
                        r.callers(),
                        r.loadMs(),
                        r.firstMs(),
                        r.p50Us(),
                        r.p99Us());
            }
            if (json) {
                StringBuilder sb = new StringBuilder("[");
                for (Row r : rows) sb.append(sb.length() > 1 ? "," : "").append(r.json());
                System.out.println(sb.append(']'));
            }
        } finally {
            Files.deleteIfExists(weights);
        }
    }

    /**
     * Runs one configuration in a new JVM with this JVM's flags and class path; reads its result line. The
     * child always gets the Vector API module and native access: a bench jar started without them (`java
     * -jar vectorgrad-bench.jar infer`) measured the scalar kernels (p50 about 3 ms on two threads).
     */
    static Row fork(Path weights, int threads, int callers, int warmup, int calls, List<String> extra)
            throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.addAll(childFlags(ManagementFactory.getRuntimeMXBean().getInputArguments()));
        cmd.addAll(extra);
        cmd.addAll(List.of(
                "-cp",
                System.getProperty("java.class.path"),
                InferBench.class.getName(),
                "--child",
                weights.toString(),
                Integer.toString(threads),
                Integer.toString(callers),
                Integer.toString(warmup),
                Integer.toString(calls)));
        Process p = new ProcessBuilder(cmd)
                .redirectError(ProcessBuilder.Redirect.INHERIT)
                .start();
        String last = null;
        try (BufferedReader in =
                new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            for (String line; (line = in.readLine()) != null; ) last = line;
        }
        if (p.waitFor() != 0 || last == null || !last.startsWith("row "))
            throw new IllegalStateException("bench infer: the child JVM for threads=" + threads + " callers=" + callers
                    + " failed (exit " + p.exitValue() + ")");
        double[] v = Arrays.stream(last.substring(4).split(" "))
                .mapToDouble(Double::parseDouble)
                .toArray();
        return new Row(threads, callers, v[0], v[1], v[2], v[3]);
    }

    /**
     * The child JVM's flags: this JVM's (less an agent and an AOT cache of its own), with the Vector API
     * module and native access added where they are missing.
     */
    static List<String> childFlags(List<String> parent) {
        List<String> flags = new ArrayList<>();
        boolean vector = false, nativeAccess = false;
        for (int i = 0; i < parent.size(); i++) {
            String a = parent.get(i);
            if (a.startsWith("-agentlib") || a.startsWith("-XX:AOTCache")) continue;
            vector |= a.contains("jdk.incubator.vector");
            nativeAccess |= a.startsWith("--enable-native-access");
            flags.add(a);
        }
        if (!vector) flags.addAll(List.of("--add-modules", "jdk.incubator.vector"));
        if (!nativeAccess) flags.add("--enable-native-access=ALL-UNNAMED");
        return flags;
    }

    /** The child: load, first call, warm-up, then the timed calls on each caller. */
    static void child(Path weights, int threads, int callers, int warmup, int calls) throws Exception {
        float[][] images = images(64);
        long t0 = System.nanoTime(); // load_ms: building the model and loading its weights
        Threads.setNumThreads(threads);
        MnistClassifier model = new MnistClassifier();
        Checkpoint.load(weights, model, null);
        model.eval();
        long t1 = System.nanoTime();
        classify(model, images[0]);
        long t2 = System.nanoTime();
        for (int i = 0; i < warmup; i++) classify(model, images[i % images.length]);
        long[][] lat = new long[callers][calls];
        CyclicBarrier start = new CyclicBarrier(callers);
        List<Thread> ts = new ArrayList<>();
        for (int c = 0; c < callers; c++) {
            int caller = c;
            Thread t = new Thread(() -> {
                try {
                    start.await();
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
                for (int i = 0; i < calls; i++) {
                    long s = System.nanoTime();
                    classify(model, images[(i + caller) % images.length]);
                    lat[caller][i] = System.nanoTime() - s;
                }
            });
            ts.add(t);
            t.start();
        }
        for (Thread t : ts) t.join();
        double p50 = 0, p99 = 0;
        for (long[] l : lat) {
            Arrays.sort(l);
            p50 = Math.max(p50, l[l.length / 2] / 1e3);
            p99 = Math.max(p99, l[(int) (l.length * 0.99)] / 1e3);
        }
        System.out.printf(Locale.ROOT, "row %.3f %.3f %.3f %.3f%n", (t1 - t0) / 1e6, (t2 - t1) / 1e6, p50, p99);
    }

    static float[] classify(MnistClassifier model, float[] image) {
        try (MemoryScope s = MemoryScope.open()) {
            return model.classify(Tensor.of(image, 1, 28, 28)).toFloatArray();
        }
    }

    /** Fashion-MNIST's first test images when Debian's package is there, random ones otherwise. */
    static float[][] images(int n) throws IOException {
        Path fashion = Path.of("/usr/share/datasets/fashion-mnist");
        float[][] out = new float[n][784];
        if (Files.isDirectory(fashion)) {
            Mnist test = Mnist.load(fashion, false);
            for (int i = 0; i < n; i++) test.image(i, out[i], 0);
        } else {
            java.util.SplittableRandom r = new java.util.SplittableRandom(1);
            for (float[] img : out) for (int k = 0; k < 784; k++) img[k] = (float) r.nextDouble();
        }
        return out;
    }
}
