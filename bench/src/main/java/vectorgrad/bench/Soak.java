package vectorgrad.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import vectorgrad.autograd.Memory;
import vectorgrad.autograd.MemoryScope;
import vectorgrad.autograd.Tensor;
import vectorgrad.examples.MnistClassifier;
import vectorgrad.nn.data.DataLoader;
import vectorgrad.nn.data.Mnist;
import vectorgrad.nn.optim.Adam;

/**
 * {@code ./vectorgrad bench soak [--steps 10000] [--every 500] [--batch-size 5] [--json]}: trains the
 * MNIST model as the program does (Fashion-MNIST from Debian's package when present, random images
 * otherwise) and samples the process's resident size ({@code VmRSS}), the pool's native bytes (reserved
 * and in use) and the Java heap in use every {@code --every} steps. Not a timing benchmark: its output
 * is a series that should be flat after warm-up. With {@code --json} the last line is that series.
 */
final class Soak {
    private Soak() {}

    record Sample(
            long step, double rssMb, double poolReservedMb, double poolLiveMb, double heapMb, double imagesPerS) {}

    static void main(String[] args) throws IOException {
        long steps = 10_000, every = 500;
        int batch = 5;
        boolean json = false;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--steps" -> steps = Long.parseLong(args[++i]);
                case "--every" -> every = Long.parseLong(args[++i]);
                case "--batch-size" -> batch = Integer.parseInt(args[++i]);
                case "--json" -> json = true;
                default ->
                    throw new IllegalArgumentException(
                            "bench soak: unknown option " + args[i] + " (--steps N --every N --batch-size N --json)");
            }
        }
        Path fashion = Path.of("/usr/share/datasets/fashion-mnist");
        Mnist data = Files.isDirectory(fashion) ? Mnist.load(fashion, true) : null;
        Tensor.manualSeed(0);
        MnistClassifier model = new MnistClassifier();
        model.train(true);
        Adam optimizer = new Adam(model.parameters());
        System.out.printf(
                Locale.ROOT,
                "soak: %d steps at batch %d on %s, sampling every %d steps%n",
                steps,
                batch,
                data != null ? fashion : "random images",
                every);
        System.out.println("    step   rss MB   cache reserved MB   in use MB   heap MB   images/s");
        List<Sample> series = new ArrayList<>();
        DataLoader<vectorgrad.nn.data.Sample> loader =
                data != null ? new DataLoader<>(data, batch, true, true, 0) : null;
        Iterator<DataLoader.Batch> it = null;
        int epoch = 0;
        Tensor rx = Tensor.rand(batch, 1, 28, 28), ry = Tensor.ofInts(new int[batch], batch);
        long t0 = System.nanoTime();
        for (long step = 1; step <= steps; step++) {
            DataLoader.Batch b = null;
            if (loader != null) {
                if (it == null || !it.hasNext()) it = loader.iterator(epoch++, 0);
                b = it.next();
            }
            try (MemoryScope s = MemoryScope.open()) {
                optimizer.zeroGrad();
                Tensor e = model.forward(b != null ? b.inputs() : rx, b != null ? b.targets() : ry)
                        .mean()
                        .neg();
                e.backward();
                optimizer.step();
            } finally {
                if (b != null) b.close();
            }
            if (step % every == 0) {
                double secs = (System.nanoTime() - t0) / 1e9;
                Runtime rt = Runtime.getRuntime();
                Sample smp = new Sample(
                        step,
                        rssMb(),
                        Memory.reservedBytes() / 1048576.0,
                        Memory.liveBytes() / 1048576.0,
                        (rt.totalMemory() - rt.freeMemory()) / 1048576.0,
                        every * batch / secs);
                series.add(smp);
                System.out.printf(
                        Locale.ROOT,
                        "%8d %8.1f %18.1f %16.1f %9.1f %10.0f%n",
                        smp.step(),
                        smp.rssMb(),
                        smp.poolReservedMb(),
                        smp.poolLiveMb(),
                        smp.heapMb(),
                        smp.imagesPerS());
                t0 = System.nanoTime();
            }
        }
        if (json) {
            StringBuilder sb = new StringBuilder("[");
            for (Sample s : series) {
                if (sb.length() > 1) sb.append(',');
                sb.append(String.format(
                        Locale.ROOT,
                        "{\"step\":%d,\"rss_mb\":%.1f,\"pool_reserved_mb\":%.1f,\"pool_live_mb\":%.1f,\"heap_mb\":%.1f}",
                        s.step(),
                        s.rssMb(),
                        s.poolReservedMb(),
                        s.poolLiveMb(),
                        s.heapMb()));
            }
            System.out.println(sb.append(']'));
        }
    }

    /** Resident set size from /proc (Linux); NaN elsewhere. */
    static double rssMb() {
        try {
            for (String l : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (l.startsWith("VmRSS:")) return Long.parseLong(l.replaceAll("[^0-9]", "")) / 1024.0;
            }
        } catch (IOException | NumberFormatException ignored) {
            // not Linux
        }
        return Double.NaN;
    }
}
