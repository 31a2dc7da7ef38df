package vectorgrad.kernels;

import java.lang.foreign.MemorySegment;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The fused Adam, SGD, RMSprop and Adagrad updates against the textbook formulas in double, at sizes with tails. */
class OptimKernelsTest {
    private final SplittableRandom rnd = new SplittableRandom(3);

    @Test
    void adamMatchesFormula() {
        for (int n : Mem.SIZES) {
            for (boolean ams : new boolean[] {false, true}) {
                float[] p = Mem.random(rnd, n, -1, 1), g = Mem.random(rnd, n, -1, 1);
                float[] m = Mem.random(rnd, n, -0.1, 0.1),
                        v = Mem.random(rnd, n, 0, 0.1),
                        vmax = Mem.random(rnd, n, 0, 0.1);
                double b1 = 0.9, b2 = 0.999, eps = 1e-8, wd = 0.01, lr = 1e-2;
                int step = 3;
                double stepSize = lr / (1 - Math.pow(b1, step)), bc2 = Math.sqrt(1 - Math.pow(b2, step));
                MemorySegment ps = Mem.of(p), ms = Mem.of(m), vs = Mem.of(v), vms = Mem.of(vmax);
                OptimKernels.adam(
                        n,
                        ps,
                        Mem.of(g),
                        ms,
                        vs,
                        ams ? vms : null,
                        (float) (1 - b1),
                        (float) b2,
                        (float) (1 - b2),
                        (float) eps,
                        (float) wd,
                        (float) stepSize,
                        (float) bc2);
                float[] gotP = Mem.read(ps, n), gotM = Mem.read(ms, n), gotV = Mem.read(vs, n);
                for (int i = 0; i < n; i++) {
                    double gi = g[i] + wd * p[i];
                    double mi = m[i] + (1 - b1) * (gi - m[i]);
                    double vi = v[i] * b2 + (1 - b2) * gi * gi;
                    double vu = ams ? Math.max(vmax[i], vi) : vi;
                    double pi = p[i] - stepSize * mi / (Math.sqrt(vu) / bc2 + eps);
                    Mem.assertClose(mi, gotM[i], 1e-5, 1e-7, "exp_avg");
                    Mem.assertClose(vi, gotV[i], 1e-5, 1e-9, "exp_avg_sq");
                    Mem.assertClose(pi, gotP[i], 1e-5, 1e-6, "param n=" + n + " amsgrad=" + ams);
                }
            }
        }
    }

    @Test
    void sgdMatchesFormula() {
        for (int n : Mem.SIZES) {
            for (int variant = 0; variant < 4; variant++) {
                float momentum = variant == 0 ? 0f : 0.9f,
                        damp = variant == 2 ? 0.3f : 0f,
                        wd = variant == 3 ? 0.05f : 0f;
                boolean nesterov = variant == 3, first = variant == 1;
                float[] p = Mem.random(rnd, n, -1, 1), g = Mem.random(rnd, n, -1, 1), buf = Mem.random(rnd, n, -1, 1);
                MemorySegment ps = Mem.of(p), bs = Mem.of(buf);
                OptimKernels.sgd(
                        n, ps, Mem.of(g), momentum == 0 ? null : bs, first, 0.1f, momentum, 1f - damp, nesterov, wd);
                float[] gotP = Mem.read(ps, n);
                for (int i = 0; i < n; i++) {
                    double d = g[i] + wd * p[i];
                    if (momentum != 0) {
                        double b = first ? d : buf[i] * momentum + (1 - damp) * d;
                        d = nesterov ? d + momentum * b : b;
                    }
                    Mem.assertClose(p[i] - 0.1 * d, gotP[i], 1e-5, 1e-6, "sgd variant " + variant);
                }
            }
        }
    }

    @Test
    void rmspropMatchesFormula() {
        for (int n : Mem.SIZES) {
            for (int variant = 0; variant < 3; variant++) {
                boolean centered = variant >= 1;
                float momentum = variant == 2 ? 0.9f : 0f, wd = variant == 2 ? 0.01f : 0f, alpha = 0.99f, eps = 1e-8f;
                float[] p = Mem.random(rnd, n, -1, 1), g = Mem.random(rnd, n, -1, 1);
                float[] sq = Mem.random(rnd, n, 0.5, 1),
                        ga = Mem.random(rnd, n, -0.1, 0.1),
                        buf = Mem.random(rnd, n, -1, 1);
                MemorySegment ps = Mem.of(p), sqs = Mem.of(sq), gas = Mem.of(ga), bs = Mem.of(buf);
                OptimKernels.rmsprop(
                        n,
                        ps,
                        Mem.of(g),
                        sqs,
                        centered ? gas : null,
                        momentum != 0 ? bs : null,
                        0.01f,
                        alpha,
                        eps,
                        wd,
                        momentum);
                float[] gotP = Mem.read(ps, n), gotSq = Mem.read(sqs, n);
                for (int i = 0; i < n; i++) {
                    double gi = g[i] + wd * p[i];
                    double s = sq[i] * alpha + (1 - alpha) * gi * gi;
                    double a = centered ? ga[i] * alpha + (1 - alpha) * gi : 0;
                    double avg = Math.sqrt(s - a * a) + eps;
                    double d = momentum != 0 ? buf[i] * momentum + gi / avg : gi / avg;
                    Mem.assertClose(s, gotSq[i], 1e-5, 1e-7, "square_avg variant " + variant);
                    Mem.assertClose(
                            p[i] - 0.01 * d, gotP[i], 1e-5, 1e-6, "rmsprop param variant " + variant + " n=" + n);
                }
            }
        }
    }

    @Test
    void adagradMatchesFormula() {
        for (int n : Mem.SIZES) {
            float[] p = Mem.random(rnd, n, -1, 1), g = Mem.random(rnd, n, -1, 1), sum = Mem.random(rnd, n, 0, 1);
            MemorySegment ps = Mem.of(p), ss = Mem.of(sum);
            OptimKernels.adagrad(n, ps, Mem.of(g), ss, 0.05f, 1e-10f, 0.02f);
            float[] gotP = Mem.read(ps, n);
            for (int i = 0; i < n; i++) {
                double gi = g[i] + 0.02 * p[i], s = sum[i] + gi * gi;
                Mem.assertClose(p[i] - 0.05 * gi / (Math.sqrt(s) + 1e-10), gotP[i], 1e-5, 1e-6, "adagrad n=" + n);
            }
        }
    }
}
