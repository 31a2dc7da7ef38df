package vectorgrad.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * 2x2/stride-2 max pooling, a vector of windows at a time: the four corners of L windows are gathered
 * (one index map, four offsets), then the scalar rule — row by row, strictly greater wins, a first NaN
 * wins — runs lane-parallel with compares and blends. The scalar loop was ~14 ns a window: its
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
            FloatVector best = FloatVector.fromArray(S, in, 0, corner, win);
            IntVector at = IntVector.fromArray(SI, corner, win);
            FloatVector v = FloatVector.fromArray(S, in, 1, corner, win);
            VectorMask<Float> take = wins(v, best);
            best = best.blend(v, take);
            at = at.blend(at.add(1), take.cast(SI));
            v = FloatVector.fromArray(S, in, w, corner, win);
            take = wins(v, best);
            best = best.blend(v, take);
            IntVector base = IntVector.fromArray(SI, corner, win);
            at = at.blend(base.add(w), take.cast(SI));
            v = FloatVector.fromArray(S, in, w + 1, corner, win);
            take = wins(v, best);
            best = best.blend(v, take);
            at = at.blend(base.add(w + 1), take.cast(SI));
            best.intoArray(out, win);
            at.intoArray(idx, win);
        }
        return upper;
    }

    /** v replaces best if strictly greater, or if v is the first NaN. */
    private static VectorMask<Float> wins(FloatVector v, FloatVector best) {
        return v.compare(VectorOperators.GT, best).or(v.test(VectorOperators.IS_NAN).andNot(best.test(VectorOperators.IS_NAN)));
    }
}
