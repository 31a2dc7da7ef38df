package vectorgrad.kernels;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Vector bodies of {@link Softmax}'s row passes over contiguous rows (the softmax dimension last). Each
 * handles its own tail through {@link ScalarExp#exp}, the same function as the lanes', so a row's
 * result does not depend on where its vectors end. Sums run in float lanes, which are added as
 * {@link VectorKernels#sumLanes}' fixed tree; the tail is added in double.
 */
final class VectorSoftmax {
    private VectorSoftmax() {}

    private static final VectorSpecies<Float> S = VectorKernels.S;
    private static final int LANES = S.length();
    private static final ByteOrder NO = ByteOrder.nativeOrder();
    private static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT;

    private static FloatVector load(MemorySegment m, long i) {
        return FloatVector.fromMemorySegment(S, m, i * Float.BYTES, NO);
    }

    /** {@code Σ exp(x[i] - shift)} over {@code n} floats from {@code off}. */
    static double expSum(MemorySegment x, long off, int n, float shift) {
        int upper = n - n % LANES;
        FloatVector acc = FloatVector.zero(S);
        for (int i = 0; i < upper; i += LANES)
            acc = acc.add(VectorExp.exp(load(x, off + i).sub(shift)));
        double sum = VectorKernels.sumLanes(acc);
        for (int i = upper; i < n; i++) sum += ScalarExp.exp(x.getAtIndex(F, off + i) - shift);
        return sum;
    }

    /** {@code out[i] = exp(x[i] - shift)·scale}. */
    static void expScaled(MemorySegment x, long off, int n, float shift, float scale, MemorySegment out, long outOff) {
        int upper = n - n % LANES;
        for (int i = 0; i < upper; i += LANES) {
            VectorExp.exp(load(x, off + i).sub(shift))
                    .mul(scale)
                    .intoMemorySegment(out, (outOff + i) * Float.BYTES, NO);
        }
        for (int i = upper; i < n; i++)
            out.setAtIndex(F, outOff + i, ScalarExp.exp(x.getAtIndex(F, off + i) - shift) * scale);
    }

    /** {@code Σ a[i]·b[i]}, or {@code Σ a[i]} with b null. */
    static double dot(MemorySegment a, MemorySegment b, long off, int n) {
        int upper = n - n % LANES;
        FloatVector acc = FloatVector.zero(S);
        if (b == null) for (int i = 0; i < upper; i += LANES) acc = acc.add(load(a, off + i));
        else
            for (int i = 0; i < upper; i += LANES)
                acc = load(a, off + i).mul(load(b, off + i)).add(acc);
        double sum = VectorKernels.sumLanes(acc);
        for (int i = upper; i < n; i++) sum += a.getAtIndex(F, off + i) * (b == null ? 1f : b.getAtIndex(F, off + i));
        return sum;
    }

    /** Softmax's gradient {@code dx = y·(dy - s)}. */
    static void softmaxGrad(MemorySegment y, MemorySegment dy, long off, int n, float s, MemorySegment dx) {
        int upper = n - n % LANES;
        for (int i = 0; i < upper; i += LANES)
            load(y, off + i).mul(load(dy, off + i).sub(s)).intoMemorySegment(dx, (off + i) * Float.BYTES, NO);
        for (int i = upper; i < n; i++)
            dx.setAtIndex(F, off + i, y.getAtIndex(F, off + i) * (dy.getAtIndex(F, off + i) - s));
    }

    /** Log-softmax's gradient {@code dx = dy - exp(y)·s}. */
    static void logSoftmaxGrad(MemorySegment y, MemorySegment dy, long off, int n, float s, MemorySegment dx) {
        int upper = n - n % LANES;
        for (int i = 0; i < upper; i += LANES) {
            load(dy, off + i)
                    .sub(VectorExp.exp(load(y, off + i)).mul(s))
                    .intoMemorySegment(dx, (off + i) * Float.BYTES, NO);
        }
        for (int i = upper; i < n; i++)
            dx.setAtIndex(F, off + i, dy.getAtIndex(F, off + i) - ScalarExp.exp(y.getAtIndex(F, off + i)) * s);
    }
}
