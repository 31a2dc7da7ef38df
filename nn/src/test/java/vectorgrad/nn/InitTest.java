package vectorgrad.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import vectorgrad.autograd.Generator;
import vectorgrad.autograd.Tensor;

/** nn.init: PyTorch's gains and fans (golden/schedulers.txt), and the distributions they give. */
class InitTest {
    private static final Golden GOLDEN = new Golden("/golden/schedulers.txt");

    @Test
    void gainsAndFansArePyTorchs() {
        for (String nl : new String[] {"linear", "conv2d", "sigmoid", "tanh", "relu", "leaky_relu", "selu"}) {
            assertEquals(GOLDEN.get("init.gain." + nl)[0], Init.calculateGain(nl), 1e-15, nl);
        }
        assertEquals(GOLDEN.get("init.gain.leaky_relu_0.2")[0], Init.calculateGain("leaky_relu", 0.2), 1e-15);
        int[][] shapes = {{5, 3}, {8, 4, 3, 3}, {16, 2, 5}};
        for (int[] s : shapes) {
            String key = "init.fans."
                    + String.join(
                            "x",
                            java.util.Arrays.stream(s)
                                    .mapToObj(Integer::toString)
                                    .toList());
            double[] want = GOLDEN.get(key);
            long[] got = Init.fans(Tensor.zeros(s));
            assertArrayEquals(new long[] {(long) want[0], (long) want[1]}, got, key);
        }
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Init.fans(Tensor.zeros(7)));
        assertTrue(e.getMessage().contains("fewer than 2 dimensions"), e.getMessage());
    }

    @Test
    void distributionsHaveTheirBoundsAndSpread() {
        Tensor w = Tensor.zeros(256, 64, 3, 3); // fan_in 576, fan_out 2304
        Init.kaimingUniform_(w, 0, "fan_in", "relu", new Generator(1));
        double bound = Math.sqrt(3.0) * Math.sqrt(2.0) / Math.sqrt(576);
        float[] v = w.toFloatArray();
        double sq = 0;
        for (float x : v) {
            assertTrue(Math.abs(x) <= bound, "inside ±" + bound + ": " + x);
            sq += (double) x * x;
        }
        assertEquals(
                Math.sqrt(2.0 / 576), Math.sqrt(sq / v.length), 0.01 * Math.sqrt(2.0 / 576), "std of kaiming_uniform_");
        Init.xavierNormal_(w, 1, new Generator(2));
        sq = 0;
        for (float x : w.toFloatArray()) sq += (double) x * x;
        assertEquals(
                Math.sqrt(2.0 / (576 + 2304)),
                Math.sqrt(sq / v.length),
                0.01 * Math.sqrt(2.0 / (576 + 2304)),
                "std of xavier_normal_");
        Tensor a = Init.xavierUniform_(Tensor.zeros(4, 5), 1, new Generator(3)),
                b = Init.xavierUniform_(Tensor.zeros(4, 5), 1, new Generator(3));
        assertArrayEquals(a.toFloatArray(), b.toFloatArray(), "same generator, same values");
        assertArrayEquals(
                new float[] {0.5f, 0.5f}, Init.constant_(Tensor.zeros(2), 0.5).toFloatArray());
    }

    @Test
    void initialisingAParameterKeepsItALeaf() {
        Parameter p = new Parameter(Tensor.zeros(3, 2));
        Init.ones_(p);
        assertTrue(p.isLeaf() && p.requiresGrad());
        assertArrayEquals(new float[] {1, 1, 1, 1, 1, 1}, p.toFloatArray());
    }
}
