package vectorgrad.examples;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import vectorgrad.autograd.Generator;
import vectorgrad.autograd.MemoryScope;
import vectorgrad.autograd.Tensor;
import vectorgrad.nn.data.Mnist;
import vectorgrad.nn.optim.Adam;

/**
 * Eight threads classify the same images with one shared eval-mode model while a ninth trains another
 * model; every probability must equal the single-threaded run bit for bit, and nothing may deadlock.
 * CI uses 256 generated images; {@code VECTORGRAD_CONCURRENCY_FULL=1} in the environment uses the 10,000 Fashion-MNIST
 * test images (Debian's dataset-fashion-mnist) — the figure in the notes.
 */
class ConcurrentInferenceTest {
    static final int READERS = 8;

    @Test
    void eightReadersAndATrainerAgreeWithTheSingleThreadedRun() throws Exception {
        float[][] images = images();
        int n = images.length;
        Tensor.manualSeed(7);
        MnistClassifier shared = new MnistClassifier();
        shared.eval();
        float[][] expected = new float[n][];
        for (int i = 0; i < n; i++) expected[i] = probabilities(shared, images[i]);

        AtomicBoolean readersDone = new AtomicBoolean();
        AtomicLong trainSteps = new AtomicLong();
        ExecutorService pool = Executors.newFixedThreadPool(READERS + 1);
        try {
            Future<?> trainer = pool.submit(() -> {
                MnistClassifier other = new MnistClassifier();
                Adam opt = new Adam(other.parameters());
                Generator g = new Generator(11);
                try (Tensor x = Tensor.rand(g, 5, 1, 28, 28);
                        Tensor y = Tensor.ofInts(new int[] {1, 2, 3, 4, 5}, 5)) {
                    while (!readersDone.get()) {
                        try (MemoryScope s = MemoryScope.open()) {
                            opt.zeroGrad();
                            other.forward(x, y).mean().neg().backward();
                            opt.step();
                        }
                        trainSteps.incrementAndGet();
                    }
                }
                return null;
            });
            List<Future<int[]>> readers = new ArrayList<>();
            for (int r = 0; r < READERS; r++) {
                int start = r * n / READERS;
                readers.add(pool.submit(() -> {
                    int mismatches = 0, done = 0;
                    for (int k = 0; k < n; k++) {
                        int i = (start + k) % n; // each reader walks the images from a different place
                        float[] p = probabilities(shared, images[i]);
                        if (!java.util.Arrays.equals(p, expected[i])) mismatches++;
                        done++;
                    }
                    return new int[] {mismatches, done};
                }));
            }
            int classified = 0;
            for (Future<int[]> f : readers) {
                int[] r = f.get(10, TimeUnit.MINUTES); // a deadlock fails here instead of hanging the build
                assertEquals(0, r[0], "predictions differ from the single-threaded run");
                classified += r[1];
            }
            readersDone.set(true);
            trainer.get(1, TimeUnit.MINUTES);
            assertTrue(trainSteps.get() > 0, "the trainer made progress");
            assertEquals(READERS * n, classified);
            System.out.printf(
                    "concurrent inference: %d readers x %d images = %d classifications, bit-identical; trainer ran %d steps alongside%n",
                    READERS, n, classified, trainSteps.get());
        } finally {
            pool.shutdownNow();
        }
    }

    static float[] probabilities(MnistClassifier model, float[] image) {
        try (MemoryScope s = MemoryScope.open();
                Tensor x = Tensor.of(image, 1, 28, 28)) {
            return model.classify(x).toFloatArray();
        }
    }

    static float[][] images() throws Exception {
        Path fashion = Path.of("/usr/share/datasets/fashion-mnist");
        if ((Boolean.getBoolean("vectorgrad.concurrency.full")
                        || "1".equals(System.getenv("VECTORGRAD_CONCURRENCY_FULL")))
                && Files.isDirectory(fashion)) {
            Mnist test = Mnist.load(fashion, false);
            float[][] out = new float[test.size()][784];
            for (int i = 0; i < out.length; i++) test.image(i, out[i], 0);
            return out;
        }
        java.util.Random rnd = new java.util.Random(5);
        float[][] out = new float[256][784];
        for (float[] img : out) for (int j = 0; j < img.length; j++) img[j] = rnd.nextFloat();
        return out;
    }

    /** The kernel pool is daemon: a program that used it exits when main returns, without shutdown. */
    @Test
    void aProgramExitsPromptlyAfterMainReturns() throws Exception {
        String java = ProcessHandle.current().info().command().orElseThrow();
        Process p = new ProcessBuilder(
                        java,
                        "--add-modules",
                        "jdk.incubator.vector",
                        "-Dvectorgrad.threads=2",
                        "-cp",
                        System.getProperty("java.class.path"),
                        ExitChild.class.getName())
                .redirectErrorStream(true)
                .start();
        boolean exited = p.waitFor(60, TimeUnit.SECONDS);
        if (!exited) p.destroyForcibly().waitFor(); // before reading: a live child never ends its output
        String out = new String(p.getInputStream().readAllBytes());
        assertTrue(exited, "the JVM did not exit after main returned: " + out);
        assertEquals(0, p.exitValue(), out);
        assertTrue(out.contains("classified"), out);
    }

    /** Runs kernels on the pool, then returns from main. */
    public static final class ExitChild {
        public static void main(String[] args) {
            MnistClassifier m = new MnistClassifier();
            m.eval();
            float[] p = probabilities(m, new float[784]);
            assertArrayEquals(p, probabilities(m, new float[784]));
            System.out.println("classified");
        }
    }
}
