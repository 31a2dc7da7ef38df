package vectorgrad.kernels;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Vector bodies of {@link BatchNorm}'s, {@link LayerNorm}'s and {@link AvgPool}'s runs: whole vectors here, the tail in the
 * caller's scalar body (the returned index says where it starts, or the scalar tail is added here).
 */
final class VectorNorm {
    private VectorNorm() {}

    private static final VectorSpecies<Float> S = VectorKernels.S;
    /** Fused multiply-add where it is an instruction, else multiply then add (see {@link Config#FMA}). */
    private static final boolean FMA = Config.FMA;

    static final int LANES = S.length();
    private static final ByteOrder NO = ByteOrder.nativeOrder();

    // Loads are written out as FloatVector.fromMemorySegment (offsets in bytes: floats * 4L), not through a
    // helper: the JDK's vector methods are force-inlined, a helper of ours is not, and where these row
    // loops were inlined into a large caller (layer norm's backward) C2 ran out of inlining budget, left
    // the helper a call and boxed the vector it returned (layer norm backward over [4096, 128]: 0.7 ms).

    static double sum(MemorySegment a, long off, int len) {
        int upper = len - len % LANES;
        FloatVector s0 = FloatVector.zero(S), s1 = FloatVector.zero(S);
        int i = 0;
        for (; i + 2 * LANES <= upper; i += 2 * LANES) {
            s0 = s0.add(FloatVector.fromMemorySegment(S, a, (off + i) * 4L, NO));
            s1 = s1.add(FloatVector.fromMemorySegment(S, a, (off + i + LANES) * 4L, NO));
        }
        for (; i < upper; i += LANES) s0 = s0.add(FloatVector.fromMemorySegment(S, a, (off + i) * 4L, NO));
        return VectorKernels.sumLanes(s0.add(s1)) + BatchNorm.sumScalar(a, off, upper, len);
    }

    /*
     * The row sums below leave a row's vector of partial sums at lanes[at..] (a vector's floats) instead of
     * folding it, for VectorKernels.rowSums to fold many rows side by side; each gives the bits of the
     * method it is named after (the same accumulators in the same order) for rows of whole vectors: keep each
     * in step with it (LayerNormTest compares their bits). Each is a method of its own, one loop: a vector
     * assigned in a branch is boxed by C2.
     */

    /** {@link #sum}'s vector for a row of whole vectors. */
    static void sumLanesOf(MemorySegment a, long off, int len, float[] lanes, int at) {
        FloatVector s0 = FloatVector.zero(S), s1 = FloatVector.zero(S);
        int i = 0;
        for (; i + 2 * LANES <= len; i += 2 * LANES) {
            s0 = s0.add(FloatVector.fromMemorySegment(S, a, (off + i) * 4L, NO));
            s1 = s1.add(FloatVector.fromMemorySegment(S, a, (off + i + LANES) * 4L, NO));
        }
        for (; i < len; i += LANES) s0 = s0.add(FloatVector.fromMemorySegment(S, a, (off + i) * 4L, NO));
        s0.add(s1).intoArray(lanes, at);
    }

    /** {@link #squaredDeviation}'s vector for a row of whole vectors. */
    static void squaredDeviationLanesOf(MemorySegment a, long off, int len, float mean, float[] lanes, int at) {
        FloatVector s = FloatVector.zero(S);
        for (int i = 0; i < len; i += LANES) {
            FloatVector d =
                    FloatVector.fromMemorySegment(S, a, (off + i) * 4L, NO).sub(mean);
            s = FMA ? d.fma(d, s) : d.mul(d).add(s);
        }
        s.intoArray(lanes, at);
    }

    /**
     * One pass over a row of whole vectors for the layer norm backward: {@link #accumulateRow}'s updates of
     * pw and pb, and {@link #weightedSum} and {@link #weightedDotDeviation} (w not null) to {@code sums[0]}
     * and {@code sums[1]} — each with its own accumulators in its own order, so the bits of the three passes
     * it replaces (keep them in step: LayerNormTest compares their bits), reading g, w and x once instead of
     * three times.
     */
    static void layerNormRowSums(
            MemorySegment g,
            MemorySegment w,
            MemorySegment x,
            long off,
            int d,
            float mean,
            float is,
            float[] pw,
            float[] pb,
            int at,
            float[] sums) {
        FloatVector s1 = FloatVector.zero(S), s2 = FloatVector.zero(S);
        for (int i = 0; i < d; i += LANES) {
            FloatVector gi = FloatVector.fromMemorySegment(S, g, (off + i) * 4L, NO),
                    wi = FloatVector.fromMemorySegment(S, w, (i) * 4L, NO),
                    dev =
                            FloatVector.fromMemorySegment(S, x, (off + i) * 4L, NO)
                                    .sub(mean);
            FloatVector xh = dev.mul(is), pwi = FloatVector.fromArray(S, pw, at + i);
            (FMA ? gi.fma(xh, pwi) : gi.mul(xh).add(pwi)).intoArray(pw, at + i);
            FloatVector.fromArray(S, pb, at + i).add(gi).intoArray(pb, at + i);
            s1 = FMA ? gi.fma(wi, s1) : gi.mul(wi).add(s1);
            FloatVector gw = gi.mul(wi);
            s2 = FMA ? gw.fma(dev, s2) : gw.mul(dev).add(s2);
        }
        sums[0] = VectorKernels.sumLanes(s1);
        sums[1] = VectorKernels.sumLanes(s2);
    }

    static double squaredDeviation(MemorySegment a, long off, int len, float mean) {
        int upper = len - len % LANES;
        FloatVector s = FloatVector.zero(S);
        for (int i = 0; i < upper; i += LANES) {
            FloatVector d =
                    FloatVector.fromMemorySegment(S, a, (off + i) * 4L, NO).sub(mean);
            s = FMA ? d.fma(d, s) : d.mul(d).add(s);
        }
        return VectorKernels.sumLanes(s) + BatchNorm.squaredDeviationScalar(a, off, upper, len, mean);
    }

    static double dotDeviation(MemorySegment g, MemorySegment x, long off, int len, float mean) {
        int upper = len - len % LANES;
        FloatVector s = FloatVector.zero(S);
        for (int i = 0; i < upper; i += LANES) {
            FloatVector
                    d = FloatVector.fromMemorySegment(S, x, (off + i) * 4L, NO).sub(mean),
                    gi = FloatVector.fromMemorySegment(S, g, (off + i) * 4L, NO);
            s = FMA ? d.fma(gi, s) : d.mul(gi).add(s);
        }
        return VectorKernels.sumLanes(s) + BatchNorm.dotDeviationScalar(g, x, off, upper, len, mean);
    }

    /** {@code out = g·a + x·bx + k} over whole vectors; returns where the scalar tail starts. */
    static int combine(
            MemorySegment g, MemorySegment x, long off, int len, float a, float bx, float k, MemorySegment out) {
        int upper = len - len % LANES;
        for (int i = 0; i < upper; i += LANES) {
            FloatVector.fromMemorySegment(S, g, (off + i) * 4L, NO)
                    .mul(a)
                    .add(FloatVector.fromMemorySegment(S, x, (off + i) * 4L, NO).mul(bx))
                    .add(k)
                    .intoMemorySegment(out, (off + i) * Float.BYTES, NO);
        }
        return upper;
    }

    /** {@code dst[d..d+len) += src[s..s+len)} over heap rows; returns where the scalar tail starts. */
    static int addRow(float[] src, int s, float[] dst, int d, int len) {
        int upper = len - len % LANES;
        for (int i = 0; i < upper; i += LANES) {
            FloatVector.fromArray(S, dst, d + i)
                    .add(FloatVector.fromArray(S, src, s + i))
                    .intoArray(dst, d + i);
        }
        return upper;
    }

    /**
     * {@code y = (x - mean)·is·w + b} over one row's whole vectors (w, b may be null); returns the tail's start.
     * Each combination has its own loop: a vector assigned in one branch and used after it (a phi of
     * vectors) is boxed by C2, and was, 1.2 GB/s of garbage in a GPT step's layer norm backward.
     */
    static int normalizeRow(
            MemorySegment x, long off, int d, float mean, float is, MemorySegment w, MemorySegment b, MemorySegment y) {
        int upper = d - d % LANES;
        if (w != null && b != null) {
            for (int i = 0; i < upper; i += LANES)
                FloatVector.fromMemorySegment(S, x, (off + i) * 4L, NO)
                        .sub(mean)
                        .mul(is)
                        .mul(FloatVector.fromMemorySegment(S, w, (i) * 4L, NO))
                        .add(FloatVector.fromMemorySegment(S, b, (i) * 4L, NO))
                        .intoMemorySegment(y, (off + i) * Float.BYTES, NO);
        } else if (w != null) {
            for (int i = 0; i < upper; i += LANES)
                FloatVector.fromMemorySegment(S, x, (off + i) * 4L, NO)
                        .sub(mean)
                        .mul(is)
                        .mul(FloatVector.fromMemorySegment(S, w, (i) * 4L, NO))
                        .intoMemorySegment(y, (off + i) * Float.BYTES, NO);
        } else if (b != null) {
            for (int i = 0; i < upper; i += LANES)
                FloatVector.fromMemorySegment(S, x, (off + i) * 4L, NO)
                        .sub(mean)
                        .mul(is)
                        .add(FloatVector.fromMemorySegment(S, b, (i) * 4L, NO))
                        .intoMemorySegment(y, (off + i) * Float.BYTES, NO);
        } else {
            for (int i = 0; i < upper; i += LANES)
                FloatVector.fromMemorySegment(S, x, (off + i) * 4L, NO)
                        .sub(mean)
                        .mul(is)
                        .intoMemorySegment(y, (off + i) * Float.BYTES, NO);
        }
        return upper;
    }

    /** {@code dx = g·w·is + (x - mean)·bx + a} over one row's whole vectors (w may be null); returns the tail's start. */
    static int layerNormGrad(
            MemorySegment g,
            MemorySegment x,
            long off,
            int d,
            MemorySegment w,
            float is,
            float mean,
            float bx,
            float a,
            MemorySegment dx) {
        int upper = d - d % LANES;
        if (w != null) {
            for (int i = 0; i < upper; i += LANES) {
                FloatVector.fromMemorySegment(S, g, (off + i) * 4L, NO)
                        .mul(FloatVector.fromMemorySegment(S, w, (i) * 4L, NO))
                        .mul(is)
                        .add(FloatVector.fromMemorySegment(S, x, (off + i) * 4L, NO)
                                .sub(mean)
                                .mul(bx))
                        .add(a)
                        .intoMemorySegment(dx, (off + i) * Float.BYTES, NO);
            }
        } else {
            for (int i = 0; i < upper; i += LANES) {
                FloatVector.fromMemorySegment(S, g, (off + i) * 4L, NO)
                        .mul(is)
                        .add(FloatVector.fromMemorySegment(S, x, (off + i) * 4L, NO)
                                .sub(mean)
                                .mul(bx))
                        .add(a)
                        .intoMemorySegment(dx, (off + i) * Float.BYTES, NO);
            }
        }
        return upper;
    }

    /** {@code pw[at + i] += g·(x - mean)·is}, {@code pb[at + i] += g} over one row's whole vectors; returns the tail's start. */
    static int accumulateRow(
            MemorySegment x, MemorySegment g, long off, int d, float mean, float is, float[] pw, float[] pb, int at) {
        int upper = d - d % LANES;
        for (int i = 0; i < upper; i += LANES) {
            FloatVector gi = FloatVector.fromMemorySegment(S, g, (off + i) * 4L, NO);
            FloatVector xh = FloatVector.fromMemorySegment(S, x, (off + i) * 4L, NO)
                    .sub(mean)
                    .mul(is);
            FloatVector w = FloatVector.fromArray(S, pw, at + i);
            (FMA ? gi.fma(xh, w) : gi.mul(xh).add(w)).intoArray(pw, at + i);
            FloatVector.fromArray(S, pb, at + i).add(gi).intoArray(pb, at + i);
        }
        return upper;
    }

    /** {@code Σ g·w} over one row, tail included (w may be null: Σ g). */
    static double weightedSum(MemorySegment g, MemorySegment w, long off, int d) {
        if (w == null) return sum(g, off, d);
        int upper = d - d % LANES;
        FloatVector s = FloatVector.zero(S);
        for (int i = 0; i < upper; i += LANES) {
            FloatVector gi = FloatVector.fromMemorySegment(S, g, (off + i) * 4L, NO),
                    wi = FloatVector.fromMemorySegment(S, w, (i) * 4L, NO);
            s = FMA ? gi.fma(wi, s) : gi.mul(wi).add(s);
        }
        float t = 0;
        for (int i = upper; i < d; i++)
            t += g.getAtIndex(java.lang.foreign.ValueLayout.JAVA_FLOAT, off + i)
                    * w.getAtIndex(java.lang.foreign.ValueLayout.JAVA_FLOAT, i);
        return VectorKernels.sumLanes(s) + (double) t;
    }

    /** {@code Σ g·w·(x - mean)} over one row, tail included (w may be null). */
    static double weightedDotDeviation(MemorySegment g, MemorySegment w, MemorySegment x, long off, int d, float mean) {
        if (w == null) return dotDeviation(g, x, off, d, mean);
        int upper = d - d % LANES;
        FloatVector s = FloatVector.zero(S);
        for (int i = 0; i < upper; i += LANES) {
            FloatVector
                    gi =
                            FloatVector.fromMemorySegment(S, g, (off + i) * 4L, NO)
                                    .mul(FloatVector.fromMemorySegment(S, w, (i) * 4L, NO)),
                    dev =
                            FloatVector.fromMemorySegment(S, x, (off + i) * 4L, NO)
                                    .sub(mean);
            s = FMA ? gi.fma(dev, s) : gi.mul(dev).add(s);
        }
        float t = 0;
        for (int i = upper; i < d; i++) {
            float gh = g.getAtIndex(java.lang.foreign.ValueLayout.JAVA_FLOAT, off + i)
                    * w.getAtIndex(java.lang.foreign.ValueLayout.JAVA_FLOAT, i);
            t += gh * (x.getAtIndex(java.lang.foreign.ValueLayout.JAVA_FLOAT, off + i) - mean);
        }
        return VectorKernels.sumLanes(s) + (double) t;
    }
}
