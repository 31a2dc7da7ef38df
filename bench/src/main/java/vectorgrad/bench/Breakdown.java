package vectorgrad.bench;

import java.util.Locale;
import vectorgrad.autograd.MemoryScope;
import vectorgrad.autograd.Profiler;
import vectorgrad.autograd.Tensor;
import vectorgrad.examples.Gpt;
import vectorgrad.examples.MnistClassifier;
import vectorgrad.examples.SmallResNet;
import vectorgrad.kernels.Simd;
import vectorgrad.nn.Functional;
import vectorgrad.nn.optim.Adam;
import vectorgrad.nn.optim.Optimizer;
import vectorgrad.nn.optim.SGD;

/**
 * {@code ./vectorgrad bench train|resnet|gpt --breakdown [--threads N] [--batch B]}: where a training step's time
 * goes, op by op (forward and backward apart, by the op's first input's shape), with {@code zeroGrad}, the
 * loss's {@code item()} and the optimizer timed on their own, against the whole step's time. Runs in this
 * JVM (no JMH): warm-up steps first, then a profiled run; the profile's own cost is a clock read per op.
 */
final class Breakdown {
    private Breakdown() {}

    static void run(String suite, int threads, int batch) {
        vectorgrad.autograd.Threads.setNumThreads(threads);
        Tensor.manualSeed(0);
        boolean resnet = suite.equals("resnet"), gpt = suite.equals("gpt");
        vectorgrad.nn.Module model = resnet
                ? new SmallResNet()
                : gpt ? new Gpt(new Gpt.Config(113, 128, 4, 4, 128, 0.1)) : new MnistClassifier();
        model.train(true);
        Optimizer opt = resnet
                ? new SGD(model.parameters(), 0.05, 0.9, 0, 5e-4, true)
                : gpt ? new vectorgrad.nn.optim.AdamW(model.parameters(), 1e-3) : new Adam(model.parameters());
        vectorgrad.autograd.Generator g = new vectorgrad.autograd.Generator(1);
        Tensor[] images = new Tensor[16], labels = new Tensor[16];
        for (int i = 0; i < 16; i++) {
            if (gpt) {
                int[] x = new int[batch * 128], y = new int[batch * 128];
                for (int j = 0; j < x.length; j++) {
                    x[j] = g.nextInt(113);
                    y[j] = g.nextInt(113);
                }
                images[i] = Tensor.ofInts(x, batch, 128);
                labels[i] = Tensor.ofInts(y, batch, 128);
                continue;
            }
            images[i] = Tensor.rand(g, batch, 1, 28, 28);
            int[] l = new int[batch];
            for (int j = 0; j < batch; j++) l[j] = g.nextInt(10);
            labels[i] = Tensor.ofInts(l, batch);
        }
        // enough warm-up for C2 to compile the kernels: about 10 s of steps
        long warmEnd = System.nanoTime() + 10_000_000_000L;
        int i = 0;
        while (System.nanoTime() < warmEnd) step(model, opt, images[i & 15], labels[i++ & 15], resnet, null);
        int steps = Math.max(5, (int) (5e9 / Math.max(1, stepNanos(model, opt, images[0], labels[0], resnet))));
        long total;
        String table;
        try (Profiler p = Profiler.start()) {
            long t0 = System.nanoTime();
            for (int s = 0; s < steps; s++) step(model, opt, images[s & 15], labels[s & 15], resnet, p);
            total = System.nanoTime() - t0;
            table = p.table(steps, (double) total / steps);
        }
        System.out.printf(
                Locale.ROOT,
                "%s training step at batch %d, %d thread(s), kernels: %s; %d profiled steps, %.3f ms/step (%.0f %s/s)%n",
                resnet ? "SmallResNet" : gpt ? "GPT (block 128)" : "MNIST",
                batch,
                threads,
                Simd.describe(),
                steps,
                total / 1e6 / steps,
                (gpt ? 128.0 : 1.0) * batch * 1e9 * steps / total,
                gpt ? "tokens" : "images");
        System.out.print(table);
    }

    private static long stepNanos(vectorgrad.nn.Module model, Optimizer opt, Tensor x, Tensor y, boolean resnet) {
        long t0 = System.nanoTime();
        step(model, opt, x, y, resnet, null);
        return System.nanoTime() - t0;
    }

    private static void step(
            vectorgrad.nn.Module model, Optimizer opt, Tensor x, Tensor y, boolean resnet, Profiler p) {
        try (MemoryScope s = MemoryScope.open()) {
            if (p != null) p.time("zeroGrad", opt::zeroGrad);
            else opt.zeroGrad();
            Tensor loss = model instanceof Gpt gm
                    ? gm.loss(x, y)
                    : resnet
                            ? Functional.crossEntropy(((SmallResNet) model).forward(x), y, null, -100, 0.1, "mean")
                            : ((MnistClassifier) model).forward(x, y).mean().neg();
            if (p != null) p.time("backward: engine and seed", () -> {});
            loss.backward();
            if (p != null) {
                p.time("optimizer step", opt::step);
                p.time("loss item()", loss::item);
            } else {
                opt.step();
                loss.item();
            }
        }
    }
}
