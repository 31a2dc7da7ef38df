package vectorgrad.spark;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import vectorgrad.nn.Module;
import vectorgrad.nn.io.Checkpoint;
import vectorgrad.nn.io.SafeTensors;
import vectorgrad.nn.optim.Optimizer;

/**
 * A model's (and optimizer's) state as the bytes of a checkpoint file — the safetensors file
 * {@link Checkpoint} writes — so it can travel in a broadcast or a task's result.
 */
public final class StateBytes {
    private StateBytes() {}

    public static byte[] save(Module model, Optimizer optimizer, Map<String, String> metadata) throws IOException {
        Path tmp = Files.createTempFile("vectorgrad-state", ".safetensors");
        try {
            Checkpoint.save(tmp, model, optimizer, metadata);
            return Files.readAllBytes(tmp);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    public static Map<String, String> load(byte[] bytes, Module model, Optimizer optimizer) throws IOException {
        Path tmp = Files.createTempFile("vectorgrad-state", ".safetensors");
        try {
            Files.write(tmp, bytes);
            return Checkpoint.load(tmp, model, optimizer);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    /** The metadata of a state's bytes (epoch, batch, step, ...), without loading it into a model. */
    public static Map<String, String> metadata(byte[] bytes) throws IOException {
        Path tmp = Files.createTempFile("vectorgrad-state", ".safetensors");
        try {
            Files.write(tmp, bytes);
            SafeTensors.Contents c = SafeTensors.read(tmp);
            c.tensors().values().forEach(vectorgrad.autograd.Tensor::close);
            return c.metadata();
        } finally {
            Files.deleteIfExists(tmp);
        }
    }
}
