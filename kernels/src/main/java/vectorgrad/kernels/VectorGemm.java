package vectorgrad.kernels;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/** Vector bodies of {@link Gemm}; loaded only when the Vector API is available. */
final class VectorGemm {
    private VectorGemm() {}

    private static final VectorSpecies<Float> S = VectorKernels.S;
    private static final int L = S.length();
    private static final ByteOrder NO = ByteOrder.nativeOrder();

    /** {@code c[ci + j] += s * b[bp + j]} for j in [0, n). */
    static void axpyRow(int n, float s, MemorySegment b, long bp, MemorySegment c, long ci) {
        int upper = n - n % L;
        FloatVector vs = FloatVector.broadcast(S, s);
        for (int j = 0; j < upper; j += L) {
            long cb = (ci + j) * Float.BYTES;
            FloatVector vb = FloatVector.fromMemorySegment(S, b, (bp + j) * Float.BYTES, NO);
            FloatVector.fromMemorySegment(S, c, cb, NO).add(vb.mul(vs)).intoMemorySegment(c, cb, NO);
        }
        Elementwise.axpyScalar(n, s, b, bp, c, ci, upper);
    }

    static float dot(int k, MemorySegment a, long ai, MemorySegment b, long bj) {
        int upper = k - k % L;
        FloatVector acc = FloatVector.zero(S);
        for (int p = 0; p < upper; p += L) {
            FloatVector va = FloatVector.fromMemorySegment(S, a, (ai + p) * Float.BYTES, NO);
            FloatVector vb = FloatVector.fromMemorySegment(S, b, (bj + p) * Float.BYTES, NO);
            acc = va.fma(vb, acc);
        }
        return acc.reduceLanes(VectorOperators.ADD) + Gemm.dotScalar(k, a, ai, b, bj, upper);
    }
}
