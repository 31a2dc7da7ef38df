package vectorgrad.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.apache.spark.ml.linalg.Vector;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.Test;
import vectorgrad.autograd.Tensor;
import vectorgrad.examples.MnistClassifier;

class ModuleTransformerTest {
    static final StructType SCHEMA = DataTypes.createStructType(List.of(
            DataTypes.createStructField("id", DataTypes.IntegerType, false),
            DataTypes.createStructField("image", DataTypes.BinaryType, true),
            DataTypes.createStructField("pixels", DataTypes.createArrayType(DataTypes.FloatType), true)));

    static MnistClassifier model() {
        Tensor.manualSeed(5);
        return new MnistClassifier();
    }

    static List<Row> rows(int n) {
        SplittableRandom rnd = new SplittableRandom(11);
        List<Row> rows = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            byte[] px = new byte[784];
            List<Float> f = new ArrayList<>();
            for (int k = 0; k < 784; k++) {
                px[k] = (byte) rnd.nextInt(256);
                f.add((px[k] & 0xFF) / 255f);
            }
            rows.add(RowFactory.create(i, px, f));
        }
        return rows;
    }

    /** The model's probabilities for each row, computed directly, one at a time (MnistClassifier.classify). */
    static float[][] direct(MnistClassifier m, List<Row> rows) {
        m.eval();
        float[][] out = new float[rows.size()][];
        for (int i = 0; i < rows.size(); i++) {
            byte[] px = (byte[]) rows.get(i).get(1);
            float[] x = new float[784];
            for (int k = 0; k < 784; k++) x[k] = (px[k] & 0xFF) / 255f;
            out[i] = m.classify(Tensor.of(x, 1, 28, 28)).toFloatArray();
        }
        return out;
    }

    @Test
    void addsPredictionAndProbabilityRowForRow() {
        MnistClassifier m = model();
        List<Row> rows = rows(300);
        float[][] expected = direct(m, rows);
        Dataset<Row> df = LocalSpark.get().createDataFrame(rows, SCHEMA).repartition(3);
        for (String col : new String[] {"image", "pixels"}) {
            ModuleTransformer t = new ModuleTransformer(ModelBundle.of(m, 1, 28, 28))
                    .setInputCol(col)
                    .setBatchSize(64);
            List<Row> out = t.transform(df).collectAsList();
            assertEquals(300, out.size());
            for (Row r : out) {
                int id = r.getInt(0);
                Vector p = (Vector) r.get(r.fieldIndex("probability"));
                int best = 0;
                for (int c = 0; c < 10; c++) {
                    assertEquals(expected[id][c], p.apply(c), 1e-6, "row " + id + " class " + c + " via " + col);
                    if (expected[id][c] > expected[id][best]) best = c;
                }
                assertEquals(best, r.getDouble(r.fieldIndex("prediction")), "row " + id);
            }
        }
    }

    @Test
    void invalidRowsFailNamingTheRowOrAreKeptOrSkipped() {
        MnistClassifier m = model();
        List<Row> rows = new ArrayList<>(rows(5));
        rows.add(RowFactory.create(5, new byte[783], null));
        List<Float> nan = new ArrayList<>();
        for (int k = 0; k < 784; k++) nan.add(k == 17 ? Float.NaN : 0f);
        rows.add(RowFactory.create(6, null, nan));
        Dataset<Row> df = LocalSpark.get().createDataFrame(rows, SCHEMA).coalesce(1);
        ModelBundle b = ModelBundle.of(m, 1, 28, 28);

        Exception e = assertThrows(
                Exception.class,
                () -> new ModuleTransformer(b)
                        .setInputCol("image")
                        .transform(df)
                        .collectAsList());
        assertTrue(
                e.getMessage().contains("row 5 of partition 0: 'image' has 783 values, expected 784"), e.getMessage());

        List<Row> kept = new ModuleTransformer(b)
                .setInputCol("pixels")
                .setHandleInvalid("keep")
                .transform(df)
                .collectAsList();
        assertEquals(7, kept.size());
        Row five = kept.get(5), six = kept.get(6);
        assertEquals("'pixels' is null", five.getString(five.fieldIndex("error")));
        assertTrue(six.isNullAt(six.fieldIndex("prediction")));
        assertEquals("'pixels' holds NaN at position 17", six.getString(six.fieldIndex("error")));
        assertNull(kept.get(0).get(kept.get(0).fieldIndex("error")));

        // rows 5 (783 bytes) and 6 (null) have no valid image
        assertEquals(
                5,
                new ModuleTransformer(b)
                        .setInputCol("image")
                        .setHandleInvalid("skip")
                        .transform(df)
                        .count());

        IllegalArgumentException wrongColumn = assertThrows(
                IllegalArgumentException.class,
                () -> new ModuleTransformer(b).setInputCol("id").transform(df));
        assertTrue(wrongColumn.getMessage().contains("input column 'id' is int"), wrongColumn.getMessage());
    }
}
