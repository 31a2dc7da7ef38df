package vectorgrad.kernels;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/** Vector bodies of {@link OptimKernels}' updates; each returns where the scalar tail starts. */
final class VectorOptim {
    private VectorOptim() {}

    private static final VectorSpecies<Float> S = VectorKernels.S;
    private static final int L = S.length();
    private static final ByteOrder NO = ByteOrder.nativeOrder();

    static long adam(
            long n,
            MemorySegment p,
            MemorySegment grad,
            MemorySegment m,
            MemorySegment v,
            MemorySegment vmax,
            float w1,
            float beta2,
            float w2,
            float eps,
            float weightDecay,
            float stepSize,
            float bc2Sqrt) {
        long upper = n - n % L;
        float negStep = -stepSize;
        for (long i = 0; i < upper; i += L) {
            long o = i * Float.BYTES;
            FloatVector pi = FloatVector.fromMemorySegment(S, p, o, NO);
            FloatVector g = FloatVector.fromMemorySegment(S, grad, o, NO);
            if (weightDecay != 0f) g = g.add(pi.mul(weightDecay));
            FloatVector mi = FloatVector.fromMemorySegment(S, m, o, NO);
            mi = mi.add(g.sub(mi).mul(w1));
            FloatVector vi = FloatVector.fromMemorySegment(S, v, o, NO)
                    .mul(beta2)
                    .add(g.mul(w2).mul(g));
            mi.intoMemorySegment(m, o, NO);
            vi.intoMemorySegment(v, o, NO);
            if (vmax != null) {
                vi = FloatVector.fromMemorySegment(S, vmax, o, NO).max(vi);
                vi.intoMemorySegment(vmax, o, NO);
            }
            FloatVector denom = vi.sqrt().div(bc2Sqrt).add(eps);
            pi.add(mi.div(denom).mul(negStep)).intoMemorySegment(p, o, NO);
        }
        return upper;
    }

    static long rmsprop(
            long n,
            MemorySegment p,
            MemorySegment grad,
            MemorySegment squareAvg,
            MemorySegment gradAvg,
            MemorySegment buf,
            float lr,
            float alpha,
            float eps,
            float weightDecay,
            float momentum) {
        long upper = n - n % L;
        float w = 1f - alpha, negLr = -lr;
        for (long i = 0; i < upper; i += L) {
            long o = i * Float.BYTES;
            FloatVector pi = FloatVector.fromMemorySegment(S, p, o, NO);
            FloatVector g = FloatVector.fromMemorySegment(S, grad, o, NO);
            if (weightDecay != 0f) g = g.add(pi.mul(weightDecay));
            FloatVector sq = FloatVector.fromMemorySegment(S, squareAvg, o, NO)
                    .mul(alpha)
                    .add(g.mul(w).mul(g));
            sq.intoMemorySegment(squareAvg, o, NO);
            FloatVector avg;
            if (gradAvg != null) {
                FloatVector ga = FloatVector.fromMemorySegment(S, gradAvg, o, NO)
                        .mul(alpha)
                        .add(g.mul(w));
                ga.intoMemorySegment(gradAvg, o, NO);
                avg = sq.sub(ga.mul(ga)).sqrt().add(eps);
            } else {
                avg = sq.sqrt().add(eps);
            }
            if (momentum != 0f) {
                FloatVector b = FloatVector.fromMemorySegment(S, buf, o, NO)
                        .mul(momentum)
                        .add(g.div(avg));
                b.intoMemorySegment(buf, o, NO);
                pi.add(b.mul(negLr)).intoMemorySegment(p, o, NO);
            } else {
                pi.add(g.div(avg).mul(negLr)).intoMemorySegment(p, o, NO);
            }
        }
        return upper;
    }

    static long adagrad(
            long n, MemorySegment p, MemorySegment grad, MemorySegment sum, float clr, float eps, float weightDecay) {
        long upper = n - n % L;
        float negClr = -clr;
        for (long i = 0; i < upper; i += L) {
            long o = i * Float.BYTES;
            FloatVector pi = FloatVector.fromMemorySegment(S, p, o, NO);
            FloatVector g = FloatVector.fromMemorySegment(S, grad, o, NO);
            if (weightDecay != 0f) g = g.add(pi.mul(weightDecay));
            FloatVector s = FloatVector.fromMemorySegment(S, sum, o, NO).add(g.mul(g));
            s.intoMemorySegment(sum, o, NO);
            pi.add(g.div(s.sqrt().add(eps)).mul(negClr)).intoMemorySegment(p, o, NO);
        }
        return upper;
    }
}
