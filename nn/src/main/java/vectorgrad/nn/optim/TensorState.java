package vectorgrad.nn.optim;

import java.util.Arrays;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import vectorgrad.autograd.MemoryScope;
import vectorgrad.autograd.Tensor;

/**
 * Per-parameter optimizer state as named tensors plus a step count, for the optimizers whose state is
 * just that (RMSprop, Adagrad): created outside any memory scope, copied out for state dicts, checked
 * against the parameter's shape when loaded.
 */
final class TensorState {
    static final class Entry {
        long step;
        final Map<String, Tensor> tensors = new LinkedHashMap<>();
    }

    private final Map<Tensor, Entry> entries = new IdentityHashMap<>();

    /** The state of {@code p}, made on first use with each named tensor filled with {@code init}. */
    Entry of(Tensor p, Map<String, Float> init) {
        Entry e = entries.get(p);
        if (e != null) return e;
        Entry made = new Entry();
        MemoryScope.outside(() -> {
            init.forEach((name, v) -> made.tensors.put(name, Tensor.full(v, p.shape())));
            return null;
        });
        entries.put(p, made);
        return made;
    }

    Map<String, Tensor> copy(Tensor p) {
        Entry e = entries.get(p);
        Map<String, Tensor> out = new LinkedHashMap<>();
        if (e == null) return out;
        return MemoryScope.outside(() -> {
            out.put("step", Optimizer.stepTensor(e.step));
            e.tensors.forEach((k, v) -> out.put(k, v.clone().detach()));
            return out;
        });
    }

    void load(Tensor p, Map<String, Tensor> state, String... required) {
        Entry made = new Entry();
        made.step = Optimizer.stepOf(state);
        for (String name : required) {
            Tensor t = state.get(name);
            if (t == null || !Arrays.equals(t.shape(), p.shape())) {
                throw new IllegalArgumentException(name + " for a parameter of shape " + Arrays.toString(p.shape())
                        + " is " + (t == null ? "missing" : "of shape " + Arrays.toString(t.shape())));
            }
            made.tensors.put(name, MemoryScope.outside(() -> t.clone().detach()));
        }
        Entry old = entries.put(p, made);
        if (old != null) old.tensors.values().forEach(Tensor::close);
    }
}
