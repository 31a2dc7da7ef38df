package vectorgrad.spark;

import java.io.IOException;
import java.io.Serializable;
import java.io.UncheckedIOException;
import java.lang.reflect.InvocationTargetException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.UUID;
import vectorgrad.nn.Module;

/**
 * A model as it travels to executors: its class (with a public no-argument constructor), its weights as
 * the bytes of a safetensors state dict, and the shape of one input. Each executor JVM builds the model
 * once per bundle ({@link #shared()}) and its tasks share it, in eval mode: a module's forward pass under
 * no-grad may run on several threads at once, with the same results as one at a time.
 */
public final class ModelBundle implements Serializable {
    private static final long serialVersionUID = 1L;
    /** Models built in this JVM, by bundle; a few at most (one per model a job uses). */
    private static final Map<String, Module> SHARED = new LinkedHashMap<>(4, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Module> eldest) {
            return size() > 4;
        }
    };

    private final String id = UUID.randomUUID().toString();
    private final String modelClass;
    private final byte[] weights;
    private final int[] inputShape;

    private ModelBundle(String modelClass, byte[] weights, int[] inputShape) {
        this.modelClass = modelClass;
        this.weights = weights;
        this.inputShape = inputShape.clone();
    }

    /** The model's current weights; {@code inputShape} is one sample's (e.g. {@code 1, 28, 28}). */
    public static ModelBundle of(Module model, int... inputShape) {
        try {
            newInstance(model.getClass().getName()); // fail here, on the driver, if executors could not build it
            return new ModelBundle(model.getClass().getName(), StateBytes.save(model, null, null), inputShape);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A checkpoint written by {@code mnist train} (or any {@code Checkpoint.save}) for a model of {@code modelClass}. */
    public static ModelBundle fromCheckpoint(Class<? extends Module> modelClass, Path checkpoint, int... inputShape)
            throws IOException {
        Module m = newInstance(modelClass.getName());
        StateBytes.load(Files.readAllBytes(checkpoint), m, null); // checks the file fits the model
        return of(m, inputShape);
    }

    public int[] inputShape() {
        return inputShape.clone();
    }

    /** Values per input: the product of {@link #inputShape()}. */
    public int inputLength() {
        return Arrays.stream(inputShape).reduce(1, (a, b) -> a * b);
    }

    public String modelClass() {
        return modelClass;
    }

    /** This JVM's model for this bundle, built on first use, in eval mode. */
    public Module shared() {
        synchronized (SHARED) {
            Module m = SHARED.get(id);
            if (m == null) {
                m = build();
                SHARED.put(id, m);
            }
            return m;
        }
    }

    /** A new model from this bundle, in eval mode. */
    public Module build() {
        Module m = newInstance(modelClass);
        try {
            StateBytes.load(weights, m, null);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        m.eval();
        return m;
    }

    private static Module newInstance(String cls) {
        try {
            return (Module) Class.forName(cls).getConstructor().newInstance();
        } catch (ClassNotFoundException e) {
            throw new IllegalStateException(
                    "model class " + cls + " is not on this JVM's class path (add its jar to the job)", e);
        } catch (NoSuchMethodException | InstantiationException | IllegalAccessException e) {
            throw new IllegalArgumentException("model class " + cls + " needs a public no-argument constructor", e);
        } catch (InvocationTargetException e) {
            throw new IllegalStateException(
                    "model class " + cls + ": its constructor threw " + e.getCause(), e.getCause());
        }
    }
}
