package vectorgrad.autograd;

import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.longs;

import java.lang.foreign.ValueLayout;
import java.util.Arrays;
import java.util.SplittableRandom;
import java.util.function.Function;
import vectorgrad.autograd.internal.Shapes;

/**
 * The one way every gradient property reads: {@code GradCheck.property(name, inputs, f)} draws cases
 * with QuickTheories (a seed per case; the seed makes the shapes and values), runs {@code f} forward
 * and backward, and compares each input's gradient with central finite differences.
 *
 * <p>The scalar that is differentiated is {@code L = sum(f(x) * w)} with random weights {@code w}, so
 * every output element's gradient path is exercised with a different upstream value.
 *
 * <p>Tolerances: the forward runs in float32, so each evaluation of L carries rounding noise of about
 * {@code 6e-8 * sum|f·w|} (≤ ~5e-5 for the sizes drawn here); the central difference divides that by
 * {@code 2h = 0.02}, giving up to ~2.5e-3 of noise, and adds a truncation error {@code h²/6·|f'''|}
 * (≤ ~1e-3 for the value ranges drawn: inputs are kept away from poles and kinks). Hence
 * {@code |analytic - numeric| <= 5e-3 + 1e-2·|numeric|}. A wrong rule is off by O(1) (see
 * {@code GradientPropertiesTest.aWrongRuleIsCaught}).
 */
final class GradCheck {
    private GradCheck() {}

    static final double H = 1e-2, ATOL = 5e-3, RTOL = 1e-2;
    static final int EXAMPLES = Integer.getInteger("vectorgrad.propExamples", 60);

    /** Inputs for one case, made from the case's random source. */
    @FunctionalInterface
    interface Inputs {
        Tensor[] make(SplittableRandom r);
    }

    static void property(String name, Inputs inputs, Function<Tensor[], Tensor> f) {
        qt().withExamples(EXAMPLES)
                .withFixedSeed(Long.getLong("vectorgrad.propSeed", (long) name.hashCode()))
                .forAll(longs().all())
                .checkAssert(seed -> {
                    SplittableRandom r = new SplittableRandom(seed);
                    check(name + " (case seed " + seed + ")", f, r, inputs.make(r));
                });
    }

    /** Checks {@code f}'s gradients at {@code xs}; throws AssertionError naming the op, input and element. */
    static void check(String name, Function<Tensor[], Tensor> f, SplittableRandom r, Tensor... xs) {
        // int32 inputs carry configuration (kernel sizes, labels): they get no gradient
        for (Tensor x : xs) if (x.dtype() == DType.FLOAT32) x.requiresGrad(true);
        Tensor out = f.apply(xs);
        float[] w = new float[(int) out.numel()];
        for (int i = 0; i < w.length; i++) w[i] = (float) (r.nextDouble() * 2 - 1);
        Tensor loss = out.mul(Tensor.of(w, out.shape())).sum();
        loss.backward();
        for (int k = 0; k < xs.length; k++) {
            Tensor x = xs[k];
            if (x.dtype() != DType.FLOAT32) continue;
            float[] analytic =
                    x.grad() == null ? new float[(int) x.numel()] : x.grad().toFloatArray();
            for (int j = 0; j < x.numel(); j++) {
                float orig = x.seg().getAtIndex(ValueLayout.JAVA_FLOAT, j);
                x.seg().setAtIndex(ValueLayout.JAVA_FLOAT, j, (float) (orig + H));
                double plus = weighted(f, xs, w);
                x.seg().setAtIndex(ValueLayout.JAVA_FLOAT, j, (float) (orig - H));
                double minus = weighted(f, xs, w);
                x.seg().setAtIndex(ValueLayout.JAVA_FLOAT, j, orig);
                double numeric = (plus - minus) / (2 * H);
                double err = Math.abs(analytic[j] - numeric);
                if (!(err <= ATOL + RTOL * Math.abs(numeric))) {
                    throw new AssertionError(
                            name + ": d/d input" + k + "[" + j + "] of shape " + Arrays.toString(x.shape())
                                    + ": backward gives " + analytic[j] + ", finite differences " + numeric
                                    + " (inputs "
                                    + Arrays.toString(Arrays.stream(xs)
                                            .map(t -> Arrays.toString(t.shape()))
                                            .toArray()) + ")");
                }
            }
        }
    }

    private static double weighted(Function<Tensor[], Tensor> f, Tensor[] xs, float[] w) {
        try (NoGrad g = Tensor.noGrad()) {
            float[] o = f.apply(xs).toFloatArray();
            double s = 0;
            for (int i = 0; i < o.length; i++) s += (double) o[i] * w[i];
            return s;
        }
    }

    // ------------------------------------------------------------------ case generators

    static int[] shape(SplittableRandom r, int minRank, int maxRank, int maxDim) {
        int[] s = new int[r.nextInt(minRank, maxRank + 1)];
        for (int i = 0; i < s.length; i++) s[i] = r.nextInt(1, maxDim + 1);
        return s;
    }

    /** A shape that broadcasts with {@code s}: some leading dims dropped, some dims set to 1. */
    static int[] broadcastPartner(SplittableRandom r, int[] s) {
        int drop = r.nextInt(0, s.length + 1);
        int[] p = Arrays.copyOfRange(s, drop, s.length);
        for (int i = 0; i < p.length; i++) if (r.nextInt(3) == 0) p[i] = 1;
        return p;
    }

    static Tensor uniform(SplittableRandom r, int[] shape, double lo, double hi) {
        float[] v = new float[(int) Shapes.numel(shape)];
        for (int i = 0; i < v.length; i++) v[i] = (float) (lo + (hi - lo) * r.nextDouble());
        return Tensor.of(v, shape);
    }

    /** Values with |x| in [lo, hi] and a random sign: away from the kink at 0. */
    static Tensor awayFromZero(SplittableRandom r, int[] shape, double lo, double hi) {
        float[] v = new float[(int) Shapes.numel(shape)];
        for (int i = 0; i < v.length; i++)
            v[i] = (float) ((lo + (hi - lo) * r.nextDouble()) * (r.nextBoolean() ? 1 : -1));
        return Tensor.of(v, shape);
    }

    /** Distinct values at least 0.1 apart (> 2h): the max is unique and stays so under perturbation. */
    static Tensor distinct(SplittableRandom r, int[] shape) {
        int n = (int) Shapes.numel(shape);
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (float) (i * 0.1 - n * 0.05);
        for (int i = n - 1; i > 0; i--) {
            int j = r.nextInt(i + 1);
            float t = v[i];
            v[i] = v[j];
            v[j] = t;
        }
        return Tensor.of(v, shape);
    }
}
