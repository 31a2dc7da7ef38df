package vectorgrad.nn.io;

import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import vectorgrad.autograd.Tensor;
import vectorgrad.nn.Module;
import vectorgrad.nn.Parameter;
import vectorgrad.nn.optim.Adam;

/**
 * Training checkpoints as safetensors files. The model's parameters are stored under PyTorch's
 * {@code state_dict()} names ({@code f.0.weight}, ...), so the file loads in PyTorch and a file PyTorch
 * saved from the same architecture loads here. Adam's state goes alongside as
 * {@code optimizer.<name>.exp_avg} / {@code .exp_avg_sq} (/ {@code .max_exp_avg_sq}) tensors and an
 * {@code optimizer.<name>.step} metadata entry; anything else (step, generator state, data position) is
 * string metadata. Files are written atomically ({@link SafeTensors#write}).
 */
public final class Checkpoint {
    private Checkpoint() {}

    static final String OPTIMIZER_PREFIX = "optimizer.";

    public static void save(Path file, Module model, Adam optimizer, Map<String, String> metadata) throws IOException {
        Map<String, Tensor> tensors = new LinkedHashMap<>(model.stateDict());
        Map<String, String> md = new LinkedHashMap<>();
        md.put("format", "vectorgrad-checkpoint-1");
        if (metadata != null) md.putAll(metadata);
        if (optimizer != null) {
            for (Map.Entry<String, Parameter> e : model.namedParameters().entrySet()) {
                Adam.State s = optimizer.state(e.getValue());
                if (s == null) continue;
                String k = OPTIMIZER_PREFIX + e.getKey();
                tensors.put(k + ".exp_avg", s.expAvg);
                tensors.put(k + ".exp_avg_sq", s.expAvgSq);
                if (s.maxExpAvgSq != null) tensors.put(k + ".max_exp_avg_sq", s.maxExpAvgSq);
                md.put(k + ".step", Long.toString(s.step));
            }
        }
        SafeTensors.write(file, tensors, md);
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
     * else but optimizer state) and, if {@code optimizer} is given and the file has its state, into it.
     * Returns the file's metadata.
     */
    public static Map<String, String> load(Path file, Module model, Adam optimizer) throws IOException {
        SafeTensors.Contents c = SafeTensors.read(file);
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
            for (Map.Entry<String, Parameter> e : model.namedParameters().entrySet()) {
                String k = OPTIMIZER_PREFIX + e.getKey();
                Tensor m = c.tensors().get(k + ".exp_avg"), v = c.tensors().get(k + ".exp_avg_sq");
                if (m == null && v == null) continue;
                String step = c.metadata().get(k + ".step");
                if (m == null || v == null || step == null) throw new FormatException(file, "incomplete optimizer state for \"" + e.getKey() + "\"");
                try {
                    optimizer.setState(e.getValue(), Long.parseLong(step), m, v, c.tensors().get(k + ".max_exp_avg_sq"));
                } catch (IllegalArgumentException ex) {
                    throw new FormatException(file, "optimizer state for \"" + e.getKey() + "\": " + ex.getMessage());
                }
            }
        }
        for (Tensor t : c.tensors().values()) t.close();
        return c.metadata();
    }
}
