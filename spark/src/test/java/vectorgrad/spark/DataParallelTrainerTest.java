package vectorgrad.spark;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.Test;
import vectorgrad.autograd.Generator;
import vectorgrad.autograd.MemoryScope;
import vectorgrad.autograd.Tensor;
import vectorgrad.examples.MnistClassifier;
import vectorgrad.nn.Parameter;
import vectorgrad.nn.optim.Adam;
import vectorgrad.spark.examples.MnistTask;

class DataParallelTrainerTest {
    static final StructType SCHEMA = DataTypes.createStructType(List.of(
            DataTypes.createStructField("image", DataTypes.BinaryType, false),
            DataTypes.createStructField("label", DataTypes.IntegerType, false)));
    static final long SEED = 7;
    static final double LR = 1e-3;

    /** Digit-like blobs: a bright patch whose row depends on the label, on a noisy background. */
    static List<Row> rows(int n) {
        SplittableRandom rnd = new SplittableRandom(1);
        List<Row> rows = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            int label = rnd.nextInt(10), col = rnd.nextInt(4, 20);
            byte[] px = new byte[784];
            for (int y = 0; y < 28; y++)
                for (int x = 0; x < 28; x++) {
                    boolean on = Math.abs(y - (4 + 2 * label)) < 3 && Math.abs(x - col) < 4;
                    px[y * 28 + x] = (byte) (on ? 180 + rnd.nextInt(76) : rnd.nextInt(40));
                }
            rows.add(RowFactory.create(px, label));
        }
        return rows;
    }

    /** The rows as a DataFrame in their order, cut into partitions of the given sizes. */
    static Dataset<Row> frame(List<Row> rows, int... sizes) {
        org.apache.spark.api.java.JavaSparkContext jsc = org.apache.spark.api.java.JavaSparkContext.fromSparkContext(
                LocalSpark.get().sparkContext());
        org.apache.spark.api.java.JavaRDD<Row> rdd = null;
        int from = 0;
        for (int size : sizes) {
            org.apache.spark.api.java.JavaRDD<Row> part = jsc.parallelize(rows.subList(from, from + size), 1);
            rdd = rdd == null ? part : rdd.union(part);
            from += size;
        }
        if (from != rows.size()) throw new IllegalArgumentException(from + " of " + rows.size() + " rows");
        return LocalSpark.get().createDataFrame(rdd, SCHEMA);
    }

    static Dataset<Row> halves(List<Row> rows) {
        return frame(rows, rows.size() / 2, rows.size() - rows.size() / 2);
    }

    static byte[] startState() throws IOException {
        Tensor.manualSeed(SEED);
        MnistClassifier m = new MnistClassifier(Generator.keyedBySample(SEED));
        Map<String, String> md = new LinkedHashMap<>();
        md.put("epoch", "0");
        return StateBytes.save(m, new Adam(m.parameters(), LR), md);
    }

    /** mnist train's loop in one process: batches in order, the batch's mean loss, keyed dropout. */
    static Map<String, float[]> oneProcess(List<Row> rows, int batch, int steps) {
        Tensor.manualSeed(SEED);
        Generator masks = Generator.keyedBySample(SEED);
        MnistClassifier m = new MnistClassifier(masks);
        Adam opt = new Adam(m.parameters(), LR);
        m.train(true);
        for (int step = 0; step < steps; step++) {
            float[] x = new float[batch * 784];
            int[] y = new int[batch];
            for (int i = 0; i < batch; i++) {
                Row r = rows.get(step * batch + i);
                byte[] px = (byte[]) r.get(0);
                for (int k = 0; k < 784; k++) x[i * 784 + k] = (px[k] & 0xFF) / 255f;
                y[i] = r.getInt(1);
            }
            try (MemoryScope s = MemoryScope.open()) {
                opt.zeroGrad();
                masks.beginBatch(step, 0);
                m.forward(Tensor.of(x, batch, 1, 28, 28), Tensor.ofInts(y, batch))
                        .mean()
                        .neg()
                        .backward();
                opt.step();
            }
        }
        return weights(m);
    }

    static Map<String, float[]> weights(MnistClassifier m) {
        Map<String, float[]> w = new LinkedHashMap<>();
        for (Map.Entry<String, Parameter> e : m.namedParameters().entrySet())
            w.put(e.getKey(), e.getValue().toFloatArray());
        return w;
    }

    static Map<String, float[]> distributed(Dataset<Row> df, DataParallelTrainer t) throws IOException {
        DataParallelTrainer.Result r = t.fit(df, startState());
        MnistClassifier m = new MnistClassifier();
        r.loadInto(m, null);
        return weights(m);
    }

    static DataParallelTrainer trainer(int workers, int batch, long steps) {
        return new DataParallelTrainer(
                new MnistTask(LR, SEED), workers, batch, 1, steps, SEED, false, null, "image", "label");
    }

    @Test
    void twoWorkersReachOneProcesssParametersWithDropoutOn() throws IOException {
        int batch = 21, steps = 100; // an odd batch: shards of 10 and 11
        List<Row> rows = rows(batch * steps);
        Dataset<Row> df = halves(rows);
        Map<String, float[]> one = oneProcess(rows, batch, steps);
        Map<String, float[]> two = distributed(df, trainer(2, batch, steps));
        Map<String, float[]> start = weights(startModel());
        for (String k : one.keySet()) {
            float[] a = one.get(k), b = two.get(k), s = start.get(k);
            double maxDiff = 0, maxMove = 0;
            for (int i = 0; i < a.length; i++) {
                maxDiff = Math.max(maxDiff, Math.abs(a[i] - b[i]));
                maxMove = Math.max(maxMove, Math.abs(a[i] - s[i]));
            }
            // Adam moves each weight by up to lr per step (0.1 in 100 steps); the two runs differ only by
            // the order the per-sample gradients are summed in
            assertTrue(
                    maxDiff < 1e-4,
                    k + ": the two runs differ by " + maxDiff + " (the weights moved up to " + maxMove + ")");
            assertTrue(maxMove > 1e-2, k + " barely moved: " + maxMove);
        }
    }

    static MnistClassifier startModel() throws IOException {
        MnistClassifier m = new MnistClassifier();
        StateBytes.load(startState(), m, null);
        return m;
    }

    @Test
    void aWorkerKilledMidEpochIsRetriedFromTheStartStateAndEndsTheSame() throws IOException {
        int batch = 16, steps = 40;
        Dataset<Row> df = halves(rows(batch * steps));
        Map<String, float[]> clean = distributed(df, trainer(2, batch, steps));
        DataParallelTrainer failing = trainer(2, batch, steps);
        failing.failRank = 1;
        failing.failAfterStep = 25;
        Map<String, float[]> retried = distributed(df, failing);
        for (String k : clean.keySet()) assertArrayEquals(clean.get(k), retried.get(k), k);
    }

    @Test
    void howTheDataFrameIsPartitionedDoesNotMatter() throws IOException {
        int batch = 16, steps = 20;
        List<Row> rows = rows(batch * steps);
        Dataset<Row> one = frame(rows, 320);
        Dataset<Row> skewed = frame(rows, 300, 4, 16);
        assertEquals(3, skewed.javaRDD().getNumPartitions());
        Map<String, float[]> a = distributed(one, trainer(2, batch, steps)),
                b = distributed(skewed, trainer(2, batch, steps));
        for (String k : a.keySet()) assertArrayEquals(a.get(k), b.get(k), k);
    }

    @Test
    void aWorkerThatThrowsEndsTheJobWithItsMessage() {
        List<Row> rows = new ArrayList<>(rows(64));
        rows.set(40, RowFactory.create(rows.get(40).get(0), 12)); // no class 12: cross entropy refuses it
        Dataset<Row> df = halves(rows);
        Exception e = assertThrows(Exception.class, () -> distributed(df, trainer(2, 64, 1)));
        String all = messages(e);
        // position 40 of a batch of 64 is in worker 1's shard [32, 64)
        assertTrue(all.contains("worker 1 of 2 (epoch 0)"), all);
        assertTrue(all.contains("12"), all);
    }

    static String messages(Throwable e) {
        StringBuilder sb = new StringBuilder();
        for (Throwable t = e; t != null; t = t.getCause())
            sb.append(t.getMessage()).append('\n');
        return sb.toString();
    }

    @Test
    void shardsSplitEachBatchIntoRunsDifferingByAtMostOne() {
        int n = 100, b = 32, w = 3; // batches of 32, 32, 32 and 4
        int[] count = new int[w];
        int last = 0;
        for (int p = 0; p < n; p++) {
            int k = DataParallelTrainer.workerOf(p, n, b, w);
            if (p % b == 0) last = 0;
            assertTrue(k >= last, "position " + p + ": shards are contiguous runs in rank order");
            last = k;
            if (p < 96) count[k]++;
        }
        assertArrayEquals(new int[] {30, 33, 33}, count);
        assertEquals(0, DataParallelTrainer.workerOf(96, n, b, w)); // the last batch of 4: 1, 1, 2
        assertEquals(1, DataParallelTrainer.workerOf(97, n, b, w));
        assertEquals(2, DataParallelTrainer.workerOf(99, n, b, w));
    }
}
