package vectorgrad.kernels;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The vector bodies of {@link Selection}: whole vectors over {@code [from, from + len)}, then the scalar
 * body for the tail. Float and int vectors of the same width have the same lane count, so a mask moves
 * between them by {@code cast}.
 */
final class VectorSelection {
    private VectorSelection() {}

    private static final VectorSpecies<Float> S = VectorKernels.S;
    private static final VectorSpecies<Integer> SI = VectorKernels.SI;
    private static final int L = S.length();
    private static final ByteOrder NO = ByteOrder.nativeOrder();

    private static FloatVector load(MemorySegment m, long i) {
        return FloatVector.fromMemorySegment(S, m, i * Float.BYTES, NO);
    }

    private static IntVector loadInt(MemorySegment m, long i) {
        return IntVector.fromMemorySegment(SI, m, i * Integer.BYTES, NO);
    }

    private static VectorMask<Float> nonZero(MemorySegment cond, long i) {
        return loadInt(cond, i).compare(VectorOperators.NE, 0).cast(S);
    }

    static void where(MemorySegment cond, MemorySegment a, MemorySegment b, MemorySegment out, long from, long len) {
        long upper = from + len - len % L, i = from;
        for (; i < upper; i += L)
            load(b, i).blend(load(a, i), nonZero(cond, i)).intoMemorySegment(out, i * Float.BYTES, NO);
        Selection.whereScalar(cond, a, b, out, upper, from + len);
    }

    static void whereGrad(MemorySegment cond, MemorySegment g, boolean side, MemorySegment out, long from, long len) {
        long upper = from + len - len % L, i = from;
        for (; i < upper; i += L) {
            VectorMask<Float> taken = nonZero(cond, i);
            if (!side) taken = taken.not();
            FloatVector.zero(S).blend(load(g, i), taken).intoMemorySegment(out, i * Float.BYTES, NO);
        }
        Selection.whereGradScalar(cond, g, side, out, upper, from + len);
    }

    static void clamp(MemorySegment x, MemorySegment out, long from, long len, float lo, float hi) {
        long upper = from + len - len % L, i = from;
        for (; i < upper; i += L) {
            // MAX and MIN are Math.max and Math.min lane by lane: NaN stays NaN (SelectionTest's inputs hold NaN)
            load(x, i).max(lo).min(hi).intoMemorySegment(out, i * Float.BYTES, NO);
        }
        Selection.clampScalar(x, out, upper, from + len, lo, hi);
    }

    static void clampGrad(
            MemorySegment x, MemorySegment g, MemorySegment out, long from, long len, float lo, float hi) {
        long upper = from + len - len % L, i = from;
        for (; i < upper; i += L) {
            FloatVector v = load(x, i);
            VectorMask<Float> inside = v.compare(VectorOperators.GE, lo).and(v.compare(VectorOperators.LE, hi));
            FloatVector.zero(S).blend(load(g, i), inside).intoMemorySegment(out, i * Float.BYTES, NO);
        }
        Selection.clampGradScalar(x, g, out, upper, from + len, lo, hi);
    }

    private static void storeMask(VectorMask<Float> m, MemorySegment out, long i) {
        IntVector.zero(SI).blend(1, m.cast(SI)).intoMemorySegment(out, i * Integer.BYTES, NO);
    }

    // One loop per operator, each with its operator a constant: C2 intrinsifies a comparison only when it
    // knows the operator, and keeps many loops of one method apart less well (VectorKernels.unary's note).
    static void compare(
            Selection.Comparison op, MemorySegment a, MemorySegment b, MemorySegment out, long from, long len) {
        long upper = from + len - len % L;
        switch (op) {
            case EQ -> compareEq(a, b, out, from, upper);
            case NE -> compareNe(a, b, out, from, upper);
            case LT -> compareLt(a, b, out, from, upper);
            case LE -> compareLe(a, b, out, from, upper);
            case GT -> compareGt(a, b, out, from, upper);
            case GE -> compareGe(a, b, out, from, upper);
        }
        Selection.compareScalar(op, a, b, out, upper, from + len);
    }

    static void compare(Selection.Comparison op, MemorySegment a, float s, MemorySegment out, long from, long len) {
        long upper = from + len - len % L;
        switch (op) {
            case EQ -> compareEq(a, s, out, from, upper);
            case NE -> compareNe(a, s, out, from, upper);
            case LT -> compareLt(a, s, out, from, upper);
            case LE -> compareLe(a, s, out, from, upper);
            case GT -> compareGt(a, s, out, from, upper);
            case GE -> compareGe(a, s, out, from, upper);
        }
        Selection.compareScalar(op, a, s, out, upper, from + len);
    }

    private static void compareEq(MemorySegment a, MemorySegment b, MemorySegment out, long from, long upper) {
        for (long i = from; i < upper; i += L) storeMask(load(a, i).compare(VectorOperators.EQ, load(b, i)), out, i);
    }

    private static void compareEq(MemorySegment a, float s, MemorySegment out, long from, long upper) {
        for (long i = from; i < upper; i += L) storeMask(load(a, i).compare(VectorOperators.EQ, s), out, i);
    }

    private static void compareNe(MemorySegment a, MemorySegment b, MemorySegment out, long from, long upper) {
        for (long i = from; i < upper; i += L) storeMask(load(a, i).compare(VectorOperators.NE, load(b, i)), out, i);
    }

    private static void compareNe(MemorySegment a, float s, MemorySegment out, long from, long upper) {
        for (long i = from; i < upper; i += L) storeMask(load(a, i).compare(VectorOperators.NE, s), out, i);
    }

    private static void compareLt(MemorySegment a, MemorySegment b, MemorySegment out, long from, long upper) {
        for (long i = from; i < upper; i += L) storeMask(load(a, i).compare(VectorOperators.LT, load(b, i)), out, i);
    }

    private static void compareLt(MemorySegment a, float s, MemorySegment out, long from, long upper) {
        for (long i = from; i < upper; i += L) storeMask(load(a, i).compare(VectorOperators.LT, s), out, i);
    }

    private static void compareLe(MemorySegment a, MemorySegment b, MemorySegment out, long from, long upper) {
        for (long i = from; i < upper; i += L) storeMask(load(a, i).compare(VectorOperators.LE, load(b, i)), out, i);
    }

    private static void compareLe(MemorySegment a, float s, MemorySegment out, long from, long upper) {
        for (long i = from; i < upper; i += L) storeMask(load(a, i).compare(VectorOperators.LE, s), out, i);
    }

    private static void compareGt(MemorySegment a, MemorySegment b, MemorySegment out, long from, long upper) {
        for (long i = from; i < upper; i += L) storeMask(load(a, i).compare(VectorOperators.GT, load(b, i)), out, i);
    }

    private static void compareGt(MemorySegment a, float s, MemorySegment out, long from, long upper) {
        for (long i = from; i < upper; i += L) storeMask(load(a, i).compare(VectorOperators.GT, s), out, i);
    }

    private static void compareGe(MemorySegment a, MemorySegment b, MemorySegment out, long from, long upper) {
        for (long i = from; i < upper; i += L) storeMask(load(a, i).compare(VectorOperators.GE, load(b, i)), out, i);
    }

    private static void compareGe(MemorySegment a, float s, MemorySegment out, long from, long upper) {
        for (long i = from; i < upper; i += L) storeMask(load(a, i).compare(VectorOperators.GE, s), out, i);
    }

    static void intToFloat(MemorySegment in, MemorySegment out, long from, long len) {
        long upper = from + len - len % L, i = from;
        for (; i < upper; i += L)
            loadInt(in, i).convert(VectorOperators.I2F, 0).intoMemorySegment(out, i * Float.BYTES, NO);
        Selection.intToFloatScalar(in, out, upper, from + len);
    }

    static void floatToInt(MemorySegment in, MemorySegment out, long from, long len) {
        long upper = from + len - len % L, i = from;
        for (; i < upper; i += L)
            load(in, i).convert(VectorOperators.F2I, 0).intoMemorySegment(out, i * Integer.BYTES, NO);
        Selection.floatToIntScalar(in, out, upper, from + len);
    }
}
