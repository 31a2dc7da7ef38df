package vectorgrad.kernels;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Choosing between values elementwise: {@code where}, {@code clamp} and their gradients, the comparisons
 * (int32 1/0 results) and the float32/int32 conversions, over contiguous memory of the same length
 * (broadcasting is done before, by {@link Elementwise#expand}).
 *
 * <p>Offsets and lengths count elements (4 bytes each, float32 or int32). Each method has a scalar body
 * here, used alone on the scalar path and for the tail on the vector path; the vector bodies live in
 * {@link VectorSelection}. Passes of at least {@link Elementwise#PARALLEL_MIN} elements run in fixed
 * blocks on the pool; no result depends on the thread count (these are exact operations).
 */
public final class Selection {
    private Selection() {}

    static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT;
    static final ValueLayout.OfInt I = ValueLayout.JAVA_INT;
    private static final boolean V = Simd.VECTOR_AVAILABLE;

    /** Comparisons as Java's float operators: NaN compares unequal to everything, itself included. */
    public enum Comparison {
        EQ,
        NE,
        LT,
        LE,
        GT,
        GE;

        public boolean test(float a, float b) {
            return switch (this) {
                case EQ -> a == b;
                case NE -> a != b;
                case LT -> a < b;
                case LE -> a <= b;
                case GT -> a > b;
                case GE -> a >= b;
            };
        }
    }

    private static void run(long n, Elementwise.Block vector, Elementwise.Block scalar) {
        if (V && n >= Elementwise.PARALLEL_MIN) Elementwise.inBlocks(n, vector);
        else if (V) vector.run(0, n);
        else scalar.run(0, n);
    }

    // ---------------------------------------------------------------- where

    /** {@code out[i] = cond[i] != 0 ? a[i] : b[i]}; {@code cond} int32, the rest float32. */
    public static void where(MemorySegment cond, MemorySegment a, MemorySegment b, MemorySegment out, long n) {
        Check.floats(cond, 0, n, "where condition");
        Check.floats(a, 0, n, "where input");
        Check.floats(b, 0, n, "where other");
        Check.floats(out, 0, n, "where output");
        run(
                n,
                (from, len) -> VectorSelection.where(cond, a, b, out, from, len),
                (from, len) -> whereScalar(cond, a, b, out, from, from + len));
    }

    static void whereScalar(
            MemorySegment cond, MemorySegment a, MemorySegment b, MemorySegment out, long from, long to) {
        for (long i = from; i < to; i++)
            out.setAtIndex(F, i, cond.getAtIndex(I, i) != 0 ? a.getAtIndex(F, i) : b.getAtIndex(F, i));
    }

    /** {@code where}'s gradient for one side: {@code out[i] = (cond[i] != 0) == side ? g[i] : 0}. */
    public static void whereGrad(MemorySegment cond, MemorySegment g, boolean side, MemorySegment out, long n) {
        Check.floats(cond, 0, n, "where condition");
        Check.floats(g, 0, n, "where gradient");
        Check.floats(out, 0, n, "where gradient output");
        run(
                n,
                (from, len) -> VectorSelection.whereGrad(cond, g, side, out, from, len),
                (from, len) -> whereGradScalar(cond, g, side, out, from, from + len));
    }

    static void whereGradScalar(
            MemorySegment cond, MemorySegment g, boolean side, MemorySegment out, long from, long to) {
        for (long i = from; i < to; i++)
            out.setAtIndex(F, i, (cond.getAtIndex(I, i) != 0) == side ? g.getAtIndex(F, i) : 0f);
    }

    // ---------------------------------------------------------------- clamp

    /**
     * {@code out[i] = min(max(x[i], lo), hi)}, NaN kept (as PyTorch); when {@code lo > hi} every element
     * becomes {@code hi}, as PyTorch. An absent bound is an infinity.
     */
    public static void clamp(MemorySegment x, MemorySegment out, long n, float lo, float hi) {
        Check.floats(x, 0, n, "clamp input");
        Check.floats(out, 0, n, "clamp output");
        run(
                n,
                (from, len) -> VectorSelection.clamp(x, out, from, len, lo, hi),
                (from, len) -> clampScalar(x, out, from, from + len, lo, hi));
    }

    static void clampScalar(MemorySegment x, MemorySegment out, long from, long to, float lo, float hi) {
        for (long i = from; i < to; i++) {
            // Math.max and Math.min return NaN for NaN, which is what clamp keeps
            out.setAtIndex(F, i, Math.min(Math.max(x.getAtIndex(F, i), lo), hi));
        }
    }

    /** {@code clamp}'s gradient: {@code out[i] = lo ≤ x[i] ≤ hi ? g[i] : 0}. */
    public static void clampGrad(MemorySegment x, MemorySegment g, MemorySegment out, long n, float lo, float hi) {
        Check.floats(x, 0, n, "clamp input");
        Check.floats(g, 0, n, "clamp gradient");
        Check.floats(out, 0, n, "clamp gradient output");
        run(
                n,
                (from, len) -> VectorSelection.clampGrad(x, g, out, from, len, lo, hi),
                (from, len) -> clampGradScalar(x, g, out, from, from + len, lo, hi));
    }

    static void clampGradScalar(
            MemorySegment x, MemorySegment g, MemorySegment out, long from, long to, float lo, float hi) {
        for (long i = from; i < to; i++) {
            float v = x.getAtIndex(F, i);
            out.setAtIndex(F, i, v >= lo && v <= hi ? g.getAtIndex(F, i) : 0f);
        }
    }

    // ---------------------------------------------------------------- comparisons

    /** {@code out[i] = op(a[i], b[i]) ? 1 : 0}: float32 operands, an int32 result. */
    public static void compare(Comparison op, MemorySegment a, MemorySegment b, MemorySegment out, long n) {
        Check.floats(a, 0, n, "comparison input");
        Check.floats(b, 0, n, "comparison other");
        Check.floats(out, 0, n, "comparison output");
        run(
                n,
                (from, len) -> VectorSelection.compare(op, a, b, out, from, len),
                (from, len) -> compareScalar(op, a, b, out, from, from + len));
    }

    static void compareScalar(Comparison op, MemorySegment a, MemorySegment b, MemorySegment out, long from, long to) {
        for (long i = from; i < to; i++) out.setAtIndex(I, i, op.test(a.getAtIndex(F, i), b.getAtIndex(F, i)) ? 1 : 0);
    }

    /** {@code out[i] = op(a[i], s) ? 1 : 0}. */
    public static void compare(Comparison op, MemorySegment a, float s, MemorySegment out, long n) {
        Check.floats(a, 0, n, "comparison input");
        Check.floats(out, 0, n, "comparison output");
        run(
                n,
                (from, len) -> VectorSelection.compare(op, a, s, out, from, len),
                (from, len) -> compareScalar(op, a, s, out, from, from + len));
    }

    static void compareScalar(Comparison op, MemorySegment a, float s, MemorySegment out, long from, long to) {
        for (long i = from; i < to; i++) out.setAtIndex(I, i, op.test(a.getAtIndex(F, i), s) ? 1 : 0);
    }

    // ---------------------------------------------------------------- conversions

    /** int32 to float32, {@code (float) in[i]} (exact up to 2^24, rounded to nearest beyond). */
    public static void intToFloat(MemorySegment in, MemorySegment out, long n) {
        Check.floats(in, 0, n, "int32 input");
        Check.floats(out, 0, n, "float32 output");
        run(
                n,
                (from, len) -> VectorSelection.intToFloat(in, out, from, len),
                (from, len) -> intToFloatScalar(in, out, from, from + len));
    }

    static void intToFloatScalar(MemorySegment in, MemorySegment out, long from, long to) {
        for (long i = from; i < to; i++) out.setAtIndex(F, i, in.getAtIndex(I, i));
    }

    /** float32 to int32 as Java's cast: toward zero, NaN to 0, saturating at the int range. */
    public static void floatToInt(MemorySegment in, MemorySegment out, long n) {
        Check.floats(in, 0, n, "float32 input");
        Check.floats(out, 0, n, "int32 output");
        run(
                n,
                (from, len) -> VectorSelection.floatToInt(in, out, from, len),
                (from, len) -> floatToIntScalar(in, out, from, from + len));
    }

    static void floatToIntScalar(MemorySegment in, MemorySegment out, long from, long to) {
        for (long i = from; i < to; i++) out.setAtIndex(I, i, (int) in.getAtIndex(F, i));
    }
}
