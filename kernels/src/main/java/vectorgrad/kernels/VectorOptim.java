package vectorgrad.kernels;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/** Vector body of {@link OptimKernels#adam}; returns where the scalar tail starts. */
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
}
