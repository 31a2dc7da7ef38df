package vectorgrad.autograd;

import java.lang.foreign.MemorySegment;
import vectorgrad.autograd.internal.BackwardFn;
import vectorgrad.autograd.internal.TensorAccess;

/** {@link TensorAccess}'s implementation: package-private tensor internals for the internal package. */
final class InternalAccess implements TensorAccess.Bridge {
    @Override
    public MemorySegment segment(Tensor t) {
        return t.seg();
    }

    @Override
    public Tensor empty(int[] shape, DType dtype) {
        return new Tensor(shape, dtype);
    }

    @Override
    public Tensor record(Tensor out, String op, BackwardFn backward, Tensor... inputs) {
        return Tensor.record(out, op, backward, inputs);
    }

    @Override
    public boolean records(Tensor... inputs) {
        return Tensor.records(inputs);
    }

    @Override
    public void requireFloat(Tensor t, String op) {
        t.requireFloat(op);
    }

    @Override
    public void fillDropoutMask(Generator g, MemorySegment mask, long n, long rows, float p, float scale) {
        g.fillDropoutMask(mask, n, rows, p, scale);
    }

    @Override
    public long dropoutSeed(Generator g) {
        return g.dropoutSeed();
    }
}
