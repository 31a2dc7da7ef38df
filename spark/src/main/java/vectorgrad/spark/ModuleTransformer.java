package vectorgrad.spark;

import java.util.ArrayList;
import java.util.List;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.ml.Transformer;
import org.apache.spark.ml.linalg.SQLDataTypes;
import org.apache.spark.ml.param.IntParam;
import org.apache.spark.ml.param.Param;
import org.apache.spark.ml.param.ParamMap;
import org.apache.spark.ml.util.Identifiable$;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

/**
 * A Spark ML {@link Transformer} that classifies a column with a vectorgrad model: it adds
 * {@code prediction} (double, the most probable class, as Spark ML's classifiers do) and {@code probability}
 * (an ML vector of class probabilities, the softmax of the model's logits).
 *
 * <pre>{@code
 * ModuleTransformer t = new ModuleTransformer(ModelBundle.fromCheckpoint(MnistClassifier.class, ckpt, 1, 28, 28))
 *         .setInputCol("image");                      // binary (bytes 0-255), array<float|double> or vector
 * Dataset<Row> out = t.transform(images);             // + prediction, probability
 * }</pre>
 *
 * <p>The model reaches each executor once, in a broadcast, and is built once per executor JVM and shared by
 * its tasks (eval mode, no-grad). Rows go through in micro-batches of {@code batchSize} (default 256); a task
 * uses {@code spark.task.cpus} kernel threads. {@code handleInvalid} (Spark ML's name and values) decides
 * what a row with a null, wrongly sized or non-finite input does: {@code "error"} (default) fails the job
 * with a message naming the row; {@code "keep"} keeps it with null prediction and probability and the reason
 * in an added {@code error} column; {@code "skip"} drops it.
 */
public final class ModuleTransformer extends Transformer {
    private static final long serialVersionUID = 1L;
    private final String uid;
    private final ModelBundle model;

    /** The column holding the model's inputs (default {@code features}). */
    private final Param<String> inputCol;
    /** The predicted class, a double (default {@code prediction}). */
    private final Param<String> predictionCol;
    /** The class probabilities, an ML vector (default {@code probability}). */
    private final Param<String> probabilityCol;
    /** Why a row was not classified, with {@code handleInvalid = "keep"} (default {@code error}). */
    private final Param<String> errorCol;
    /** Rows with a null, wrongly sized or non-finite input: {@code error} (default), {@code keep} or {@code skip}. */
    private final Param<String> handleInvalid;
    /** Rows per forward pass (default 256). */
    private final IntParam batchSize;

    public ModuleTransformer(ModelBundle model) {
        this(Identifiable$.MODULE$.randomUID("vectorgrad"), model);
    }

    public ModuleTransformer(String uid, ModelBundle model) {
        this.uid = uid; // before the params: each takes its parent's uid
        this.model = model;
        inputCol = new Param<>(this, "inputCol", "the column holding the model's inputs");
        predictionCol = new Param<>(this, "predictionCol", "the predicted class (double)");
        probabilityCol = new Param<>(this, "probabilityCol", "the class probabilities (vector)");
        errorCol = new Param<>(this, "errorCol", "why a row was not classified (with handleInvalid = keep)");
        handleInvalid =
                new Param<>(this, "handleInvalid", "invalid inputs (null, wrong length, NaN): error, keep or skip");
        batchSize = new IntParam(this, "batchSize", "rows per forward pass");
        setDefault(inputCol, "features");
        setDefault(predictionCol, "prediction");
        setDefault(probabilityCol, "probability");
        setDefault(errorCol, "error");
        setDefault(handleInvalid, "error");
        setDefault(batchSize, 256);
    }

    public ModuleTransformer setInputCol(String v) {
        set(inputCol, v);
        return this;
    }

    public ModuleTransformer setPredictionCol(String v) {
        set(predictionCol, v);
        return this;
    }

    public ModuleTransformer setProbabilityCol(String v) {
        set(probabilityCol, v);
        return this;
    }

    public ModuleTransformer setErrorCol(String v) {
        set(errorCol, v);
        return this;
    }

    public ModuleTransformer setHandleInvalid(String v) {
        Inference.HandleInvalid.parse(v);
        set(handleInvalid, v.toLowerCase(java.util.Locale.ROOT));
        return this;
    }

    public ModuleTransformer setBatchSize(int v) {
        if (v < 1) throw new IllegalArgumentException("batchSize must be >= 1, got " + v);
        set(batchSize, v);
        return this;
    }

    public String getInputCol() {
        return $(inputCol);
    }

    public ModelBundle model() {
        return model;
    }

    // Spark ML finds a stage's params through its public no-argument methods that return one
    public Param<String> inputCol() {
        return inputCol;
    }

    public Param<String> predictionCol() {
        return predictionCol;
    }

    public Param<String> probabilityCol() {
        return probabilityCol;
    }

    public Param<String> errorCol() {
        return errorCol;
    }

    public Param<String> handleInvalid() {
        return handleInvalid;
    }

    public IntParam batchSize() {
        return batchSize;
    }

    @Override
    public String uid() {
        return uid;
    }

    @Override
    public StructType transformSchema(StructType schema) {
        InputColumn.of(schema, $(inputCol), model.inputLength()); // checks the column and its type
        List<StructField> fields = new ArrayList<>(List.of(schema.fields()));
        for (String added : added()) {
            if (List.of(schema.fieldNames()).contains(added))
                throw new IllegalArgumentException("output column '" + added + "' already exists in the DataFrame");
        }
        fields.add(DataTypes.createStructField($(predictionCol), DataTypes.DoubleType, true));
        fields.add(DataTypes.createStructField($(probabilityCol), SQLDataTypes.VectorType(), true));
        if (mode() == Inference.HandleInvalid.KEEP)
            fields.add(DataTypes.createStructField($(errorCol), DataTypes.StringType, true));
        return DataTypes.createStructType(fields);
    }

    private List<String> added() {
        return mode() == Inference.HandleInvalid.KEEP
                ? List.of($(predictionCol), $(probabilityCol), $(errorCol))
                : List.of($(predictionCol), $(probabilityCol));
    }

    private Inference.HandleInvalid mode() {
        return Inference.HandleInvalid.parse($(handleInvalid));
    }

    @Override
    public Dataset<Row> transform(Dataset<?> dataset) {
        Dataset<Row> df = dataset.toDF();
        StructType out = transformSchema(df.schema());
        JavaSparkContext jsc =
                JavaSparkContext.fromSparkContext(df.sparkSession().sparkContext());
        Broadcast<ModelBundle> b = jsc.broadcast(model);
        Inference f = new Inference(
                b, InputColumn.of(df.schema(), $(inputCol), model.inputLength()), mode(), (int) $(batchSize));
        JavaRDD<Row> rows = df.javaRDD().mapPartitions(f::apply);
        return df.sparkSession().createDataFrame(rows, out);
    }

    @Override
    public ModuleTransformer copy(ParamMap extra) {
        return copyValues(new ModuleTransformer(uid, model), extra);
    }
}
