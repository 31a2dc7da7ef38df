package vectorgrad.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * 2x2/stride-2 max pooling, a vector of windows at a time: the four corners of L windows are gathered
 * (one index map, four offsets), then the scalar rule — row by row, strictly greater wins — runs
 * lane-parallel with compares and blends; a vector of windows holding a NaN goes to the scalar loop. The scalar loop was ~14 ns a window: its
 * comparisons on real activations are unpredictable branches.
 */
final class VectorPool {
    private VectorPool() {}

    private static final VectorSpecies<Float> S = VectorKernels.S;
    private static final VectorSpecies<Integer> SI = VectorKernels.SI;
    private static final int L = S.length();

    /** Pools whole vectors of windows; returns the first window left for the scalar tail. */
    static int pool2x2(float[] in, int w, int oh, int ow, float[] out, int[] idx, int[] corner) {
        int windows = oh * ow, upper = windows - windows % L;
        for (int win = 0; win < upper; win += L) {
            FloatVector v0 = FloatVector.fromArray(S, in, 0, corner, win);
            FloatVector v1 = FloatVector.fromArray(S, in, 1, corner, win);
            FloatVector v2 = FloatVector.fromArray(S, in, w, corner, win);
            FloatVector v3 = FloatVector.fromArray(S, in, w + 1, corner, win);
            if (v0.add(v1).add(v2).add(v3).test(VectorOperators.IS_NAN).anyTrue()) {
                // a NaN (or +inf and -inf) somewhere: these windows take the scalar rule
                MaxPool.pool2x2(in, w, oh, ow, out, idx, win, win + L);
                continue;
            }
            IntVector base = IntVector.fromArray(SI, corner, win);
            VectorMask<Float> take = v1.compare(VectorOperators.GT, v0);
            FloatVector best = v0.blend(v1, take);
            IntVector at = base.blend(base.add(1), take.cast(SI));
            take = v2.compare(VectorOperators.GT, best);
            best = best.blend(v2, take);
            at = at.blend(base.add(w), take.cast(SI));
            take = v3.compare(VectorOperators.GT, best);
            best = best.blend(v3, take);
            at = at.blend(base.add(w + 1), take.cast(SI));
            best.intoArray(out, win);
            at.intoArray(idx, win);
        }
        return upper;
    }
}
