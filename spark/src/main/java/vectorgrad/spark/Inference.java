package vectorgrad.spark;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import org.apache.spark.TaskContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.ml.linalg.Vectors;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import vectorgrad.autograd.MemoryScope;
import vectorgrad.autograd.NoGrad;
import vectorgrad.autograd.Tensor;
import vectorgrad.autograd.Threads;
import vectorgrad.nn.Functional;
import vectorgrad.nn.Module;

/**
 * Classifies one partition's rows in micro-batches with the executor's shared model: each output row is
 * the input row followed by {@code prediction} (the class, a double as in Spark ML), {@code probability}
 * (an ML vector, softmax of the model's output) and, with {@code handleInvalid = "keep"}, {@code error}
 * (null, or why the row could not be classified; its prediction and probability are then null).
 *
 * <p>The model's output for a batch {@code [b, *inputShape]} must be {@code [b, classes]} logits.
 * A task uses {@code spark.task.cpus} kernel threads. Usable on its own with {@code JavaRDD.mapPartitions}.
 */
public final class Inference implements Serializable {
    private static final long serialVersionUID = 1L;
    private final Broadcast<ModelBundle> model;
    private final InputColumn input;
    private final HandleInvalid handleInvalid;
    private final int batchSize;

    /** What to do with a row whose input is null, the wrong length, or holds NaN or infinity. */
    public enum HandleInvalid {
        /** Fail the job with a message that names the row and the problem (the default). */
        ERROR,
        /** Keep the row with null prediction and probability and the reason in the {@code error} column. */
        KEEP,
        /** Leave the row out. */
        SKIP;

        static HandleInvalid parse(String s) {
            for (HandleInvalid h : values()) if (h.name().equalsIgnoreCase(s)) return h;
            throw new IllegalArgumentException("handleInvalid must be error, keep or skip, got '" + s + "'");
        }
    }

    Inference(Broadcast<ModelBundle> model, InputColumn input, HandleInvalid handleInvalid, int batchSize) {
        this.model = model;
        this.input = input;
        this.handleInvalid = handleInvalid;
        this.batchSize = batchSize;
    }

    /** The rows of one partition, classified lazily, a micro-batch at a time. */
    public Iterator<Row> apply(Iterator<Row> rows) {
        TaskContext tc = TaskContext.get();
        if (tc != null && tc.cpus() != Threads.getNumThreads()) Threads.setNumThreads(tc.cpus());
        int partition = tc == null ? 0 : tc.partitionId();
        ModelBundle bundle = model.value();
        Module m = bundle.shared();
        int len = bundle.inputLength();
        int[] shape = bundle.inputShape();
        return new Iterator<>() {
            private final List<Row> out = new ArrayList<>();
            private int next, rowIndex;

            @Override
            public boolean hasNext() {
                while (next >= out.size() && rows.hasNext()) fill();
                return next < out.size();
            }

            @Override
            public Row next() {
                if (!hasNext()) throw new NoSuchElementException();
                return out.get(next++);
            }

            private void fill() {
                out.clear();
                next = 0;
                List<Row> batch = new ArrayList<>(batchSize);
                List<Row> slots = new ArrayList<>(batchSize); // in input order; null: a valid row's place
                List<String> errors = new ArrayList<>(batchSize);
                float[] x = new float[batchSize * len];
                while (batch.size() < batchSize && rows.hasNext()) {
                    Row r = rows.next();
                    String bad = input.read(r, x, batch.size() * len);
                    int index = rowIndex++;
                    if (bad == null) {
                        batch.add(r);
                        slots.add(null);
                        errors.add(null);
                        continue;
                    }
                    switch (handleInvalid) {
                        case ERROR ->
                            throw new IllegalArgumentException("row " + index + " of partition " + partition
                                    + ": " + bad + " (" + len + " values make one input of shape "
                                    + java.util.Arrays.toString(shape)
                                    + "); set handleInvalid to \"keep\" or \"skip\" to go on without such rows");
                        case KEEP -> {
                            slots.add(r);
                            errors.add(bad);
                        }
                        case SKIP -> {}
                    }
                }
                float[] probs = classify(m, x, batch.size(), shape);
                int classes = batch.isEmpty() ? 0 : probs.length / batch.size();
                int b = 0;
                for (int i = 0; i < slots.size(); i++) {
                    Row invalid = slots.get(i);
                    if (invalid != null) {
                        out.add(append(invalid, null, null, errors.get(i)));
                        continue;
                    }
                    double[] p = new double[classes];
                    int best = 0;
                    for (int c = 0; c < classes; c++) {
                        p[c] = probs[b * classes + c];
                        if (probs[b * classes + c] > probs[b * classes + best]) best = c;
                    }
                    out.add(append(batch.get(b), (double) best, Vectors.dense(p), null));
                    b++;
                }
            }
        };
    }

    private Row append(Row r, Double prediction, org.apache.spark.ml.linalg.Vector probability, String error) {
        int n = r.length();
        Object[] v = new Object[n + (handleInvalid == HandleInvalid.KEEP ? 3 : 2)];
        for (int i = 0; i < n; i++) v[i] = r.get(i);
        v[n] = prediction;
        v[n + 1] = probability;
        if (handleInvalid == HandleInvalid.KEEP) v[n + 2] = error;
        return RowFactory.create(v);
    }

    /** Softmax of the model's logits for {@code b} inputs, {@code [b × classes]} row-major. */
    static float[] classify(Module m, float[] x, int b, int[] shape) {
        if (b == 0) return new float[0];
        int[] full = new int[shape.length + 1];
        full[0] = b;
        System.arraycopy(shape, 0, full, 1, shape.length);
        try (NoGrad g = Tensor.noGrad();
                MemoryScope s = MemoryScope.open()) {
            Tensor logits = forward(m, Tensor.zeros(full).copyFrom(x, 0)); // x may be longer: a last, short batch
            if (logits.shape().length != 2 || logits.shape()[0] != b)
                throw new IllegalStateException("the model's output for a batch of " + b + " inputs has shape "
                        + java.util.Arrays.toString(logits.shape()) + "; expected [" + b + ", classes]");
            return Functional.softmax(logits, 1).toFloatArray();
        }
    }

    /** The module's forward on a batch: {@code forward(Tensor)} of a layer or a model with that method. */
    static Tensor forward(Module m, Tensor x) {
        if (m instanceof vectorgrad.nn.Layer l) return l.forward(x);
        try {
            java.lang.reflect.Method f = m.getClass().getMethod("forward", Tensor.class);
            return (Tensor) f.invoke(m, x);
        } catch (NoSuchMethodException e) {
            throw new IllegalArgumentException(
                    m.getClass().getName() + " has no forward(Tensor) method to classify with");
        } catch (IllegalAccessException e) {
            throw new IllegalStateException(e);
        } catch (java.lang.reflect.InvocationTargetException e) {
            if (e.getCause() instanceof RuntimeException re) throw re;
            throw new IllegalStateException(e.getCause());
        }
    }
}
