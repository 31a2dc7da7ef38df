package vectorgrad.kernels;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/** The Vector API body of {@link Rng#dropout} (and attention's dropout): the keep decisions in integer lanes. */
final class VectorRng {
    private VectorRng() {}

    private static final VectorSpecies<Float> S = VectorKernels.S;
    private static final int LANES = S.length();
    private static final ByteOrder NO = ByteOrder.nativeOrder();

    /** Lane j holds {@code j·GOLDEN32}: consecutive elements' hash inputs, less the block's key. */
    private static final IntVector KEY_STEPS =
            IntVector.zero(VectorKernels.SI).addIndex(1).mul(Rng.GOLDEN32);

    /**
     * {@code dst[j] = src[j]·keepScale} where {@link Rng#keeps} keeps j, else 0, for whole vectors of j
     * below n; returns where the scalar tail starts. The decision is integer arithmetic (no compare or
     * blend, which C2 leaves to Java on x86 held to SSE): {@code (h >>> 8) - threshold} is negative exactly
     * where dropped, and its sign spread over the lane masks keepScale's bits.
     */
    static int dropoutRun(
            MemorySegment src,
            long srcOff,
            MemorySegment dst,
            long dstOff,
            int n,
            int key,
            int threshold,
            float keepScale) {
        int upper = n - n % LANES, scaleBits = Float.floatToRawIntBits(keepScale);
        for (int j = 0; j < upper; j += LANES) {
            FloatVector.fromMemorySegment(S, src, (srcOff + j) * 4L, NO)
                    .mul(factors(key + j * Rng.GOLDEN32, threshold, scaleBits))
                    .intoMemorySegment(dst, (dstOff + j) * 4L, NO);
        }
        return upper;
    }

    /** {@link #dropoutRun} over heap rows (attention's probabilities). */
    static int dropoutRun(
            float[] src, int srcOff, float[] dst, int dstOff, int n, int key, int threshold, float keepScale) {
        int upper = n - n % LANES, scaleBits = Float.floatToRawIntBits(keepScale);
        for (int j = 0; j < upper; j += LANES) {
            FloatVector.fromArray(S, src, srcOff + j)
                    .mul(factors(key + j * Rng.GOLDEN32, threshold, scaleBits))
                    .intoArray(dst, dstOff + j);
        }
        return upper;
    }

    /** keepScale in the lanes whose hash of {@code base + lane·GOLDEN32} keeps them, 0 in the others. */
    private static FloatVector factors(int base, int threshold, int scaleBits) {
        IntVector h = KEY_STEPS.add(base);
        h = h.lanewise(VectorOperators.XOR, h.lanewise(VectorOperators.LSHR, 16))
                .mul(0x85EBCA6B);
        h = h.lanewise(VectorOperators.XOR, h.lanewise(VectorOperators.LSHR, 13))
                .mul(0xC2B2AE35);
        h = h.lanewise(VectorOperators.XOR, h.lanewise(VectorOperators.LSHR, 16));
        IntVector kept = h.lanewise(VectorOperators.LSHR, 8)
                .sub(threshold)
                .lanewise(VectorOperators.ASHR, 31)
                .not();
        return kept.and(scaleBits).reinterpretAsFloats();
    }
}
