package vectorgrad.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.integers;
import static org.quicktheories.generators.SourceDSL.longs;

import java.util.SplittableRandom;
import java.util.function.BiFunction;
import org.junit.jupiter.api.Test;
import vectorgrad.autograd.Tensor;

/** The functional front door: the losses it composes, checked by value and by finite differences. */
class FunctionalTest {
    private static Tensor input(SplittableRandom r, int b, int c) {
        float[] v = new float[b * c];
        for (int i = 0; i < v.length; i++) v[i] = (float) r.nextDouble(-2, 2);
        return Tensor.of(v, b, c).requiresGrad(true);
    }

    /** Central differences of {@code loss} at {@code x} against its backward, for every element. */
    private static void gradientMatches(String name, Tensor x, java.util.function.Function<Tensor, Tensor> loss) {
        Tensor l = loss.apply(x);
        l.backward();
        float[] analytic = x.grad().toFloatArray(), v = x.toFloatArray();
        int[] shape = x.shape();
        double h = 1e-2;
        for (int i = 0; i < v.length; i++) {
            float[] plus = v.clone(), minus = v.clone();
            plus[i] += (float) h;
            minus[i] -= (float) h;
            double numeric = (loss.apply(Tensor.of(plus, shape)).item()
                            - loss.apply(Tensor.of(minus, shape)).item())
                    / (2 * h);
            assertEquals(numeric, analytic[i], 2e-2 * Math.max(1, Math.abs(numeric)), name + " d/dx[" + i + "]");
        }
    }

    @Test
    void lossGradientsMatchFiniteDifferences() {
        qt().withExamples(30)
                .forAll(integers().between(1, 4), integers().between(2, 5), longs().all())
                .checkAssert((b, c, seed) -> {
                    SplittableRandom r = new SplittableRandom(seed);
                    Tensor target = input(r, b, c).detach();
                    int[] labels = new int[b];
                    for (int i = 0; i < b; i++) labels[i] = r.nextInt(c);
                    Tensor classes = Tensor.ofInts(labels, b);
                    for (String red : new String[] {"mean", "sum"}) {
                        gradientMatches("mse " + red, input(r, b, c), x -> Functional.mseLoss(x, target, red));
                        gradientMatches(
                                "nll " + red,
                                input(r, b, c),
                                x -> Functional.nllLoss(Functional.logSoftmax(x, 1), classes, red));
                    }
                    // |x - t| has a kink at 0: keep inputs away from the targets
                    Tensor away = target.add(Tensor.full(0.5f, b, c)).requiresGrad(true);
                    gradientMatches("l1", away, x -> Functional.l1Loss(x, target));
                });
    }

    @Test
    void lossValues() {
        Tensor x = Tensor.of(new float[] {1, 2, 3, 4}, 2, 2), t = Tensor.of(new float[] {1, 0, 5, 4}, 2, 2);
        assertEquals(2.0, Functional.mseLoss(x, t).item(), 1e-6); // (0 + 4 + 4 + 0) / 4
        assertEquals(8.0, Functional.mseLoss(x, t, "sum").item(), 1e-6);
        assertArrayEquals(
                new float[] {0, 2, 2, 0}, Functional.l1Loss(x, t, "none").toFloatArray());
        Tensor logp = Tensor.of(new float[] {-0.5f, -1, -2, -0.25f}, 2, 2);
        assertEquals(
                (1 + 2) / 2.0,
                Functional.nllLoss(logp, Tensor.ofInts(new int[] {1, 0}, 2)).item(),
                1e-6);
        // nll of log-softmax is cross-entropy
        Tensor logits = Tensor.of(new float[] {0.3f, -1.2f, 2f, 0.1f, 0.5f, -0.7f}, 2, 3);
        Tensor y = Tensor.ofInts(new int[] {2, 0}, 2);
        assertEquals(
                Functional.crossEntropy(logits, y).item(),
                Functional.nllLoss(Functional.logSoftmax(logits, 1), y).item(),
                1e-6);
    }

    @Test
    void badArgumentsAreNamed() {
        Tensor x = Tensor.zeros(2, 3);
        IllegalArgumentException e =
                assertThrows(IllegalArgumentException.class, () -> Functional.mseLoss(x, x, "avg"));
        assertTrue(e.getMessage().contains("avg is not a valid value for reduction"), e.getMessage());
        e = assertThrows(
                IllegalArgumentException.class, () -> Functional.nllLoss(x, Tensor.ofInts(new int[] {0, 3}, 2)));
        assertTrue(e.getMessage().contains("target 3 at row 1 is out of bounds for 3 classes"), e.getMessage());
        e = assertThrows(
                IllegalArgumentException.class,
                () -> Functional.conv2d(
                        Tensor.zeros(1, 1, 5, 5),
                        Tensor.zeros(1, 1, 3, 3),
                        null,
                        new int[] {1, 1, 1},
                        new int[] {0},
                        new int[] {1},
                        1));
        assertTrue(e.getMessage().contains("stride must be one int or a pair"), e.getMessage());
    }

    @Test
    void pairsAndSinglesAgree() {
        Tensor x = Tensor.randn(1, 2, 7, 6), w = Tensor.randn(3, 2, 3, 3);
        BiFunction<int[], int[], float[]> conv =
                (s, p) -> Functional.conv2d(x, w, null, s, p, new int[] {1}, 1).toFloatArray();
        assertArrayEquals(conv.apply(new int[] {2}, new int[] {1}), conv.apply(new int[] {2, 2}, new int[] {1, 1}));
        assertArrayEquals(
                Functional.maxPool2d(x, 2).toFloatArray(),
                Functional.maxPool2d(x, new int[] {2, 2}, new int[] {2}, new int[] {0}, new int[] {1, 1}, false)
                        .toFloatArray());
    }

    @Test
    void keyedDropoutMasksDependOnTheSamplesIndexNotOnHowTheBatchIsSplit() {
        vectorgrad.autograd.Generator whole = vectorgrad.autograd.Generator.keyedBySample(3),
                halves = vectorgrad.autograd.Generator.keyedBySample(3);
        Tensor ones = Tensor.ones(6, 4, 5, 5);
        whole.beginBatch(7, 0);
        float[] all = Functional.dropout2d(ones, 0.5, true, whole).toFloatArray();
        float[] second =
                Functional.dropout(Tensor.ones(6, 50), 0.5, true, whole).toFloatArray();
        float[] split = new float[all.length], split2 = new float[second.length];
        for (int first : new int[] {0, 2}) { // samples [0, 2) then [2, 6), as two workers would
            int n = first == 0 ? 2 : 4;
            halves.beginBatch(7, first);
            System.arraycopy(
                    Functional.dropout2d(Tensor.ones(n, 4, 5, 5), 0.5, true, halves)
                            .toFloatArray(),
                    0,
                    split,
                    first * 100,
                    n * 100);
            System.arraycopy(
                    Functional.dropout(Tensor.ones(n, 50), 0.5, true, halves).toFloatArray(),
                    0,
                    split2,
                    first * 50,
                    n * 50);
        }
        assertArrayEquals(all, split);
        assertArrayEquals(second, split2);
        // another step, or the next mask of the same step, draws other masks
        whole.beginBatch(7, 0);
        Functional.dropout2d(ones, 0.5, true, whole);
        assertTrue(!java.util.Arrays.equals(
                all, Functional.dropout2d(ones, 0.5, true, whole).toFloatArray()));
        whole.beginBatch(8, 0);
        assertTrue(!java.util.Arrays.equals(
                all, Functional.dropout2d(ones, 0.5, true, whole).toFloatArray()));
        assertThrows(IllegalStateException.class, () -> new vectorgrad.autograd.Generator(1).beginBatch(0, 0));
    }
}
