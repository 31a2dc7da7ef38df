package vectorgrad.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import vectorgrad.autograd.MemoryScope;
import vectorgrad.autograd.NoGrad;
import vectorgrad.autograd.Tensor;

/**
 * The kernels' cold start as an application sees it: a new JVM's first classification (served by the
 * scalar twins while the vector kernels compile) and its classifications seconds later (served by the
 * vector kernels once warm) give the same bits, and the same as a JVM with the cold start turned off.
 */
class ColdStartInferenceTest {
    /** The child: the seed-0 model's logits at the first call and after ~3 s of calls, as float bits. */
    public static void main(String[] args) throws Exception {
        Tensor.manualSeed(0);
        MnistClassifier model = new MnistClassifier();
        model.eval();
        float[] image = new float[784];
        for (int i = 0; i < 784; i++) image[i] = ((i * 37) % 101) / 101f;
        System.out.println("first " + bits(classify(model, image)));
        long end = System.nanoTime() + 3_000_000_000L;
        while (System.nanoTime() < end) classify(model, image);
        System.out.println("late " + bits(classify(model, image)));
    }

    /** The logits: the probabilities round away a last-bit difference in a layer (softmax in double). */
    private static float[] classify(MnistClassifier model, float[] image) {
        try (MemoryScope s = MemoryScope.open();
                NoGrad g = Tensor.noGrad()) {
            return model.forward(Tensor.of(image, 1, 1, 28, 28)).toFloatArray();
        }
    }

    private static String bits(float[] p) {
        StringBuilder sb = new StringBuilder();
        for (float v : p)
            sb.append(Integer.toHexString(Float.floatToRawIntBits(v))).append(',');
        return sb.toString();
    }

    private static List<String> child(boolean coldStart) throws Exception {
        String java = System.getProperty("java.home") + File.separator + "bin" + File.separator + "java";
        Process p = new ProcessBuilder(
                        java,
                        "--add-modules",
                        "jdk.incubator.vector",
                        "--enable-native-access=ALL-UNNAMED",
                        "-Dvectorgrad.coldStart=" + coldStart,
                        "-cp",
                        System.getProperty("java.class.path"),
                        ColdStartInferenceTest.class.getName())
                .redirectErrorStream(true)
                .start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), "child JVM did not finish");
        assertEquals(0, p.exitValue(), "child JVM failed:\n" + out);
        List<String> lines = new ArrayList<>();
        for (String l : out.split("\n"))
            if (l.startsWith("first ") || l.startsWith("late ")) lines.add(l.split(" ")[1]);
        assertEquals(2, lines.size(), out);
        return lines;
    }

    @Test
    void theFirstCallGivesTheBitsOfEveryLaterOne() throws Exception {
        List<String> cold = child(true), off = child(false);
        assertEquals(cold.get(1), cold.get(0), "cold start: first call against a call 3 s later");
        assertEquals(off.get(0), cold.get(0), "first call with and without the cold start");
        assertEquals(off.get(1), off.get(0), "without the cold start: first against later");
    }
}
