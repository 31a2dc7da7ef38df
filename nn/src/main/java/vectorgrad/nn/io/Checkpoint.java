package vectorgrad.nn.io;

import java.io.IOException;
import java.nio.file.Path;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import vectorgrad.autograd.Tensor;
import vectorgrad.nn.Module;
import vectorgrad.nn.Parameter;
import vectorgrad.nn.optim.Optimizer;

/**
 * Training checkpoints as safetensors files, for any model and any optimizer. The model's parameters (and
 * buffers) are stored under PyTorch's {@code state_dict()} names ({@code f.0.weight}, ...), so the file
 * loads in PyTorch and a file PyTorch saved from the same architecture loads here. The optimizer's
 * {@link Optimizer#stateDict()} goes alongside: its tensors as {@code optimizer.state.<i>.<name>}
 * ({@code i} the parameter's index in the optimizer, as PyTorch numbers it), its hyper-parameters and class
 * as string metadata {@code optimizer.param_group.<name>} and {@code optimizer.class}; anything else
 * (step, generator state, data position) is string metadata of the caller's. Files are written atomically
 * ({@link SafeTensors#write}).
 *
 * <p>Files of the earlier layout ({@code vectorgrad-checkpoint-1}: Adam's state under
 * {@code optimizer.<parameter name>.exp_avg} with the step in metadata) still load.
 */
public final class Checkpoint {
    private Checkpoint() {}

    static final String OPTIMIZER_PREFIX = "optimizer.";
    private static final String STATE = OPTIMIZER_PREFIX + "state.";
    /** A group's hyper-parameter: {@code optimizer.param_groups.<i>.<name>}. */
    private static final String GROUPS = OPTIMIZER_PREFIX + "param_groups.";
    /** One group's, as files written before parameter groups hold it. */
    private static final String GROUP = OPTIMIZER_PREFIX + "param_group.";

    private static final String FORMAT = "vectorgrad-checkpoint-2";

    public static void save(Path file, Module model, Optimizer optimizer, Map<String, String> metadata)
            throws IOException {
        Map<String, Tensor> tensors = new LinkedHashMap<>(model.stateDict());
        Map<String, String> md = new LinkedHashMap<>();
        md.put("format", FORMAT);
        if (metadata != null) md.putAll(metadata);
        Optimizer.StateDict state = optimizer == null ? null : optimizer.stateDict();
        try {
            if (state != null) {
                md.put(OPTIMIZER_PREFIX + "class", optimizer.getClass().getName());
                state.state().forEach((k, v) -> tensors.put(STATE + k, v));
                List<Map<String, String>> groups = state.paramGroups();
                for (int i = 0; i < groups.size(); i++) {
                    String prefix = GROUPS + i + ".";
                    groups.get(i).forEach((k, v) -> md.put(prefix + k, v));
                }
            }
            SafeTensors.write(file, tensors, md);
        } finally {
            if (state != null) state.state().values().forEach(Tensor::close);
        }
    }

    /**
     * Deletes what a writer killed mid-write left beside {@code file} (the {@code .<name>.*.tmp} files of
     * {@link SafeTensors#write}); call it when a run starts, before any writer of this checkpoint runs.
     * Readers never look at these files, so leaving them is harmless but untidy. Returns how many went.
     */
    public static int removeStaleTemporaries(Path file) throws IOException {
        return AtomicFile.removeTemporaries(file);
    }

    /**
     * Loads {@code file} into {@code model} (every parameter must be present with its shape, and nothing
     * else but optimizer state) and, if {@code optimizer} is given and the file has optimizer state, into
     * it (the same optimizer class, parameters in the same order). Returns the file's metadata.
     */
    public static Map<String, String> load(Path file, Module model, Optimizer optimizer) throws IOException {
        // without an optimizer to restore, its state is not read
        SafeTensors.Contents c =
                SafeTensors.read(file, optimizer != null ? name -> true : name -> !name.startsWith(OPTIMIZER_PREFIX));
        try {
            Map<String, Tensor> weights = new LinkedHashMap<>();
            c.tensors().forEach((k, v) -> {
                if (!k.startsWith(OPTIMIZER_PREFIX)) weights.put(k, v);
            });
            try {
                model.loadStateDict(weights, true);
            } catch (IllegalArgumentException e) {
                throw new FormatException(file, "does not fit this model: " + e.getMessage());
            }
            if (optimizer != null) {
                Optimizer.StateDict state = FORMAT.equals(c.metadata().get("format"))
                        ? stateOf(file, c, optimizer)
                        : firstLayoutState(file, c, model, optimizer);
                if (state != null) {
                    try {
                        optimizer.loadStateDict(state);
                    } catch (IllegalArgumentException e) {
                        throw new FormatException(file, "optimizer state: " + e.getMessage());
                    }
                }
            }
            return c.metadata();
        } finally {
            for (Tensor t : c.tensors().values()) t.close();
        }
    }

    private static Optimizer.StateDict stateOf(Path file, SafeTensors.Contents c, Optimizer optimizer)
            throws FormatException {
        String cls = c.metadata().get(OPTIMIZER_PREFIX + "class");
        if (cls == null) return null;
        if (!cls.equals(optimizer.getClass().getName())) {
            throw new FormatException(
                    file,
                    "holds the state of a " + cls + ", not of a "
                            + optimizer.getClass().getName());
        }
        Map<String, Tensor> state = new LinkedHashMap<>();
        c.tensors().forEach((k, v) -> {
            if (k.startsWith(STATE)) state.put(k.substring(STATE.length()), v);
        });
        Map<String, String> group = new LinkedHashMap<>();
        java.util.TreeMap<Integer, Map<String, String>> groups = new java.util.TreeMap<>();
        for (Map.Entry<String, String> e : c.metadata().entrySet()) {
            String k = e.getKey();
            if (k.startsWith(GROUP)) group.put(k.substring(GROUP.length()), e.getValue());
            if (!k.startsWith(GROUPS)) continue;
            String rest = k.substring(GROUPS.length());
            int dot = rest.indexOf('.');
            int index;
            try {
                index = dot < 0 ? -1 : Integer.parseInt(rest.substring(0, dot));
            } catch (NumberFormatException ex) {
                index = -1;
            }
            if (index < 0) throw new FormatException(file, "metadata key \"" + k + "\" names no parameter group");
            groups.computeIfAbsent(index, i -> new LinkedHashMap<>()).put(rest.substring(dot + 1), e.getValue());
        }
        if (groups.isEmpty()) return new Optimizer.StateDict(state, group);
        if (groups.lastKey() != groups.size() - 1)
            throw new FormatException(file, "parameter groups " + groups.keySet() + " are not numbered 0, 1, ...");
        return new Optimizer.StateDict(state, List.copyOf(groups.values()));
    }

    /** Adam's state as the first layout stored it: by parameter name, the step in metadata. */
    private static Optimizer.StateDict firstLayoutState(
            Path file, SafeTensors.Contents c, Module model, Optimizer optimizer) throws FormatException {
        Map<Tensor, Integer> index = new IdentityHashMap<>();
        List<Tensor> ps = optimizer.parameters();
        for (int i = 0; i < ps.size(); i++) index.put(ps.get(i), i);
        Map<String, Tensor> state = new LinkedHashMap<>();
        for (Map.Entry<String, Parameter> e : model.namedParameters().entrySet()) {
            String k = OPTIMIZER_PREFIX + e.getKey();
            Tensor m = c.tensors().get(k + ".exp_avg"), v = c.tensors().get(k + ".exp_avg_sq");
            if (m == null && v == null) continue;
            String step = c.metadata().get(k + ".step");
            Integer i = index.get(e.getValue());
            if (m == null || v == null || step == null)
                throw new FormatException(file, "incomplete optimizer state for \"" + e.getKey() + "\"");
            if (i == null)
                throw new FormatException(
                        file, "optimizer state for \"" + e.getKey() + "\", which this optimizer does not update");
            try {
                state.put(i + ".step", Tensor.ofInts(new int[] {Math.toIntExact(Long.parseLong(step))}));
            } catch (NumberFormatException | ArithmeticException ex) {
                throw new FormatException(
                        file, "optimizer step \"" + step + "\" for \"" + e.getKey() + "\" is not a step count");
            }
            state.put(i + ".exp_avg", m);
            state.put(i + ".exp_avg_sq", v);
            Tensor max = c.tensors().get(k + ".max_exp_avg_sq");
            if (max != null) state.put(i + ".max_exp_avg_sq", max);
        }
        return state.isEmpty() ? null : new Optimizer.StateDict(state, Map.of());
    }
}
