package vectorgrad.spark;

import java.io.IOException;
import java.io.Serializable;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apache.spark.BarrierTaskContext;
import org.apache.spark.HashPartitioner;
import org.apache.spark.SparkEnv;
import org.apache.spark.api.java.JavaPairRDD;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.rdd.RDD;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.types.StructType;
import scala.Tuple2;
import scala.jdk.javaapi.CollectionConverters;
import scala.reflect.ClassTag;
import scala.reflect.ClassTag$;
import scala.runtime.AbstractFunction1;
import vectorgrad.autograd.Generator;
import vectorgrad.autograd.MemoryScope;
import vectorgrad.autograd.Tensor;
import vectorgrad.autograd.Threads;
import vectorgrad.nn.Module;
import vectorgrad.nn.Parameter;
import vectorgrad.nn.io.Checkpoint;
import vectorgrad.nn.optim.Optimizer;

/**
 * Synchronous data-parallel training on Spark, in barrier mode: one barrier stage per epoch with
 * {@code workers} tasks, each holding a replica of the model. Every global batch of {@code batchSize}
 * samples is split across the workers (shards differing by at most one sample); each computes its shard's
 * gradient of the batch's mean loss, the gradients are summed by a {@link RingAllReduce} over TCP (Spark's
 * {@code allGather} only exchanges the addresses, once per stage), and every replica takes the same optimizer
 * step, so the replicas stay identical.
 *
 * <p><b>The contract</b>, as PyTorch's DDP promises and one better: N workers sharing a global batch B end
 * with the parameters one process with batch B reaches — equal within float rounding (the per-sample
 * gradients are summed in another order) — also with dropout, when the replica's masks come from a
 * generator keyed by sample ({@link Generator#keyedBySample}): each sample's mask depends on (seed, step,
 * its index in the global batch), not on which worker computes it. How the DataFrame is partitioned does
 * not matter: rows are numbered in the DataFrame's order, batches follow that order (or the permutation
 * {@code DataLoader} draws for an epoch, with {@code shuffle}), and each row is sent to the worker whose
 * shard holds it.
 *
 * <p><b>State and failures.</b> The driver keeps the last epoch's end state (model, optimizer, epoch, batch,
 * step, as a checkpoint's bytes) and broadcasts it to the next stage; rank 0 also writes it to
 * {@code checkpoint} with the atomic writer when one is given (the file {@code mnist train --resume} reads).
 * A task that fails fails its barrier stage, and Spark runs the stage again
 * ({@code spark.stage.maxConsecutiveAttempts}) from that same state, so a retried epoch ends where an
 * uninterrupted one would. A stage that still fails ends the job with the failing worker's message.
 */
public final class DataParallelTrainer implements Serializable {
    private static final long serialVersionUID = 1L;

    /** What the trainer needs of a model: how to build a replica and each sample's loss. */
    public interface Task extends Serializable {
        /** A new replica: the model (any weights: the start state replaces them), its optimizer, its masks. */
        Replica newReplica();

        /** The loss of each sample of a batch, {@code [b]}; the trainer minimises the batch's mean. */
        Tensor perSampleLoss(Module model, Tensor inputs, Tensor targets);

        /** One sample's input shape, e.g. {@code {1, 28, 28}}. */
        int[] inputShape();
    }

    /**
     * A replica: its model, its optimizer over the model's parameters, and the generator its dropout
     * layers draw from (keyed by sample; null for a model without dropout).
     */
    public record Replica(Module model, Optimizer optimizer, Generator masks) {}

    /** What one stage (one epoch, or part of one) did; rank 0's carries the end state. */
    public record EpochResult(
            int rank,
            byte[] state,
            int epoch,
            int batchNext,
            long step,
            long samples,
            double lastLoss,
            double seconds,
            double allReduceSeconds)
            implements Serializable {}

    /** The result of {@link #fit}: the end state and how the run went. */
    public record Result(
            byte[] state,
            int epoch,
            int batchNext,
            long steps,
            long samples,
            double lastLoss,
            double seconds,
            double allReduceSeconds) {
        /** Loads the end state into {@code model} (and {@code optimizer}, if given); returns the metadata. */
        public Map<String, String> loadInto(Module model, Optimizer optimizer) throws IOException {
            return StateBytes.load(state, model, optimizer);
        }
    }

    private final Task task;
    private final int workers, batchSize, epochs;
    private final long maxSteps, seed;
    private final boolean shuffle;
    private final String checkpoint, inputCol, labelCol;
    private int printEvery;
    /** Fault injection for the tests: this rank throws after this step, in a stage's first attempt. */
    int failRank = -1;

    long failAfterStep = -1;

    /**
     * @param workers tasks of each barrier stage (the cluster needs that many free task slots at once)
     * @param batchSize the global batch, split across the workers
     * @param maxSteps stop after this many optimizer steps in all ({@code Long.MAX_VALUE}: none)
     * @param seed numbers the keyed dropout masks' streams, and the epochs' shuffles
     * @param checkpoint where rank 0 writes the state at each stage's end (a path every executor can reach
     *     and the driver can read), or null
     */
    public DataParallelTrainer(
            Task task,
            int workers,
            int batchSize,
            int epochs,
            long maxSteps,
            long seed,
            boolean shuffle,
            String checkpoint,
            String inputCol,
            String labelCol) {
        if (workers < 1) throw new IllegalArgumentException("workers must be >= 1, got " + workers);
        if (batchSize < 1) throw new IllegalArgumentException("batchSize must be >= 1, got " + batchSize);
        this.task = task;
        this.workers = workers;
        this.batchSize = batchSize;
        this.epochs = epochs;
        this.maxSteps = maxSteps;
        this.seed = seed;
        this.shuffle = shuffle;
        this.checkpoint = checkpoint;
        this.inputCol = inputCol;
        this.labelCol = labelCol;
    }

    /** Rank 0 prints the mean loss of every {@code n}-th step to its standard output (0: never). */
    public DataParallelTrainer printEvery(int n) {
        this.printEvery = n;
        return this;
    }

    /**
     * Trains from {@code startState} (checkpoint bytes: a new model's weights, or a run's end state with
     * its optimizer state and epoch/batch/step metadata) on {@code data}'s {@code inputCol} and
     * {@code labelCol} (int class indices).
     */
    public Result fit(Dataset<Row> data, byte[] startState) throws IOException {
        Dataset<Row> df = data.select(inputCol, labelCol);
        StructType schema = df.schema();
        InputColumn input = InputColumn.of(
                schema, inputCol, Arrays.stream(task.inputShape()).reduce(1, (a, b) -> a * b));
        JavaSparkContext jsc =
                JavaSparkContext.fromSparkContext(df.sparkSession().sparkContext());
        JavaPairRDD<Row, Long> indexed = df.javaRDD().zipWithIndex();
        long n = indexed.count();
        if (n == 0) throw new IllegalArgumentException("no rows to train on");
        if (n > Integer.MAX_VALUE) throw new IllegalArgumentException(n + " rows: at most " + Integer.MAX_VALUE);
        Map<String, String> md = StateBytes.metadata(startState);
        int epoch = Integer.parseInt(md.getOrDefault("epoch", "0"));
        int batchNext = Integer.parseInt(md.getOrDefault("batch", "0"));
        long step = Long.parseLong(md.getOrDefault("step", "0"));
        byte[] state = startState;
        long samples = 0;
        double seconds = 0, reduceSeconds = 0, lastLoss = Double.NaN;
        int numBatches = (int) ((n + batchSize - 1) / batchSize);
        while (epoch < epochs && step < maxSteps) {
            if (batchNext >= numBatches) {
                epoch++;
                batchNext = 0;
                continue;
            }
            int[] position = positions((int) n, epoch);
            Broadcast<int[]> pos = jsc.broadcast(position);
            final int nRows = (int) n, b = batchSize, w = workers;
            JavaRDD<Example> shards = indexed.mapToPair(t -> {
                        int p = pos.value()[(int) (long) t._2()];
                        return new Tuple2<>(workerOf(p, nRows, b, w), new Example(p, t._1().get(0), label(t._1())));
                    })
                    .partitionBy(new HashPartitioner(workers))
                    .values();
            Broadcast<byte[]> start = jsc.broadcast(state);
            Stage stage = new Stage(this, start, input, nRows, epoch, batchNext, step);
            ClassTag<EpochResult> tag = ClassTag$.MODULE$.apply(EpochResult.class);
            RDD<EpochResult> results = shards.rdd().barrier().mapPartitions(stage, false, tag);
            // the shuffle after the barrier stage makes it a shuffle-map stage, which Spark runs again when a
            // task fails (spark.stage.maxConsecutiveAttempts); a failed barrier result stage is not retried
            List<EpochResult> rs =
                    new ArrayList<>(results.toJavaRDD().repartition(1).collect());
            pos.destroy();
            start.destroy();
            rs.sort(Comparator.comparingInt(EpochResult::rank));
            EpochResult r0 = rs.get(0);
            state = r0.state();
            epoch = r0.epoch();
            batchNext = r0.batchNext();
            step = r0.step();
            lastLoss = r0.lastLoss();
            for (EpochResult r : rs) samples += r.samples();
            seconds += r0.seconds();
            reduceSeconds += r0.allReduceSeconds();
        }
        return new Result(state, epoch, batchNext, step, samples, lastLoss, seconds, reduceSeconds);
    }

    /** Where each row (by its index in the DataFrame) falls in epoch {@code epoch}'s order. */
    private int[] positions(int n, int epoch) {
        int[] pos = new int[n];
        if (!shuffle) {
            for (int i = 0; i < n; i++) pos[i] = i;
            return pos;
        }
        int[] order = new Generator(seed + epoch).randperm(n); // DataLoader.order(epoch)'s permutation
        for (int p = 0; p < n; p++) pos[order[p]] = p;
        return pos;
    }

    /** The worker whose shard holds position {@code p}: shard w of a batch of S is [⌊wS/N⌋, ⌊(w+1)S/N⌋). */
    static int workerOf(int p, int n, int batchSize, int workers) {
        int batch = p / batchSize, size = Math.min(batchSize, n - batch * batchSize), o = p - batch * batchSize;
        int w = (int) ((long) o * workers / size);
        while (shardStart(w + 1, size, workers) <= o) w++;
        while (shardStart(w, size, workers) > o) w--;
        return w;
    }

    static int shardStart(int w, int size, int workers) {
        return (int) ((long) w * size / workers);
    }

    private static int label(Row r) {
        if (r.isNullAt(1)) throw new IllegalArgumentException("a row's label is null");
        return ((Number) r.get(1)).intValue();
    }

    /** One row on its way to a worker: its position in the epoch's order, its input as stored, its label. */
    record Example(int position, Object features, int label) implements Serializable {}

    /** One barrier stage: each task trains its replica on its shards from {@code start} to the epoch's end. */
    static final class Stage
            extends AbstractFunction1<scala.collection.Iterator<Example>, scala.collection.Iterator<EpochResult>>
            implements Serializable {
        private static final long serialVersionUID = 1L;
        private final DataParallelTrainer t;
        private final Broadcast<byte[]> start;
        private final InputColumn input;
        private final int n, epoch, firstBatch;
        private final long firstStep;

        Stage(
                DataParallelTrainer t,
                Broadcast<byte[]> start,
                InputColumn input,
                int n,
                int epoch,
                int firstBatch,
                long firstStep) {
            this.t = t;
            this.start = start;
            this.input = input;
            this.n = n;
            this.epoch = epoch;
            this.firstBatch = firstBatch;
            this.firstStep = firstStep;
        }

        @Override
        public scala.collection.Iterator<EpochResult> apply(scala.collection.Iterator<Example> rows) {
            BarrierTaskContext ctx = BarrierTaskContext.get();
            int rank = ctx.partitionId(), size = ctx.getTaskInfos().length;
            try {
                return CollectionConverters.asScala(List.of(run(ctx, rank, size, CollectionConverters.asJava(rows)))
                        .iterator());
            } catch (IOException e) {
                throw new UncheckedIOException("worker " + rank + " of " + size + ": " + e.getMessage(), e);
            } catch (RuntimeException e) {
                throw new WorkerException("worker " + rank + " of " + size + " (epoch " + epoch + "): " + e, e);
            }
        }

        private EpochResult run(BarrierTaskContext ctx, int rank, int size, java.util.Iterator<Example> rows)
                throws IOException {
            if (ctx.cpus() != Threads.getNumThreads()) Threads.setNumThreads(ctx.cpus());
            List<Example> mine = new ArrayList<>();
            rows.forEachRemaining(mine::add);
            mine.sort(Comparator.comparingInt(Example::position));
            int len = Arrays.stream(t.task.inputShape()).reduce(1, (a, b) -> a * b);
            Replica rep = t.task.newReplica();
            StateBytes.load(start.value(), rep.model(), rep.optimizer());
            rep.model().train(true);
            List<Parameter> params = rep.model().parameters();
            int total = 0;
            for (Parameter p : params) total += (int) p.numel();
            float[] flat = new float[total + 1]; // the gradients, then the shard's loss sum
            String host = SparkEnv.get().blockManager().blockManagerId().host();
            long t0 = System.nanoTime(), reduceNanos = 0, samples = 0;
            long step = firstStep;
            int batch = firstBatch;
            double lastLoss = Double.NaN;
            int numBatches = (n + t.batchSize - 1) / t.batchSize;
            try (RingAllReduce ring = RingAllReduce.bind(rank, size, host)) {
                try {
                    // the stage's one allGather: addresses, and each task's row count (all must be here)
                    String[] all = ctx.allGather(ring.address() + " " + mine.size());
                    List<String> addresses = new ArrayList<>();
                    long rowsSeen = 0;
                    for (String s : all) {
                        String[] parts = s.split(" ");
                        addresses.add(parts[0]);
                        rowsSeen += Long.parseLong(parts[1]);
                    }
                    if (rowsSeen != n)
                        throw new IllegalStateException("the workers hold " + rowsSeen + " rows of " + n);
                    ring.connect(addresses);
                    int next = 0; // first of this task's rows not yet used
                    while (next < mine.size() && mine.get(next).position() < batch * t.batchSize) next++;
                    float[] x = new float[0];
                    int[] y = new int[0];
                    int[] shape = new int[t.task.inputShape().length + 1];
                    System.arraycopy(t.task.inputShape(), 0, shape, 1, shape.length - 1);
                    for (; batch < numBatches && step < t.maxSteps; batch++) {
                        int bSize = Math.min(t.batchSize, n - batch * t.batchSize);
                        int end = next;
                        while (end < mine.size() && mine.get(end).position() < (batch + 1) * t.batchSize) end++;
                        int b = end - next;
                        rep.optimizer().zeroGrad();
                        double lossSum = 0;
                        try (MemoryScope s = MemoryScope.open()) {
                            if (b > 0) {
                                if (x.length < b * len) { // the largest shard so far: reused by the steps after
                                    x = new float[b * len];
                                    y = new int[b];
                                }
                                for (int i = 0; i < b; i++) {
                                    Example e = mine.get(next + i);
                                    String bad = input.readValue(e.features(), x, i * len);
                                    if (bad != null)
                                        throw new IllegalArgumentException("the sample at position " + e.position()
                                                + " of epoch " + epoch + ": " + bad);
                                    y[i] = e.label();
                                }
                                shape[0] = b;
                                if (rep.masks() != null)
                                    rep.masks().beginBatch(step, mine.get(next).position() - batch * t.batchSize);
                                Tensor loss = t.task.perSampleLoss(
                                        rep.model(),
                                        Tensor.zeros(shape).copyFrom(x, 0),
                                        Tensor.ofInts(Arrays.copyOf(y, b), b));
                                Tensor sum = loss.sum();
                                lossSum = sum.item();
                                sum.mul(1.0 / bSize).backward();
                            }
                            int off = 0;
                            for (Parameter p : params) {
                                int k = (int) p.numel();
                                Tensor g = p.grad();
                                if (g == null) Arrays.fill(flat, off, off + k, 0f);
                                else g.copyTo(flat, off);
                                off += k;
                            }
                            flat[total] = (float) lossSum;
                            long r0 = System.nanoTime();
                            ring.allReduce(flat);
                            reduceNanos += System.nanoTime() - r0;
                            off = 0;
                            for (Parameter p : params) {
                                Tensor g = p.grad();
                                // a worker whose shard was empty has no gradient yet: one that outlives this scope
                                if (g == null) p.setGrad(g = s.keep(Tensor.zeros(p.shape())));
                                g.copyFrom(flat, off);
                                off += (int) p.numel();
                            }
                        }
                        rep.optimizer().step();
                        lastLoss = flat[total] / bSize;
                        samples += b;
                        step++;
                        next = end;
                        if (t.printEvery > 0 && rank == 0 && step % t.printEvery == 0)
                            System.out.printf(
                                    Locale.ROOT,
                                    "step %d (epoch %d batch %d): loss %.4f%n",
                                    step,
                                    epoch,
                                    batch,
                                    lastLoss);
                        if (rank == t.failRank && step == t.failAfterStep && ctx.stageAttemptNumber() == 0)
                            throw new IllegalStateException("injected failure after step " + step);
                    }
                } catch (RuntimeException | Error e) {
                    // the next rank is waiting on this one: it fails with this message, not a closed connection
                    ring.abort("worker " + rank + " of " + size + " (epoch " + epoch + "): " + e);
                    throw e;
                }
            }
            int endEpoch = batch >= numBatches ? epoch + 1 : epoch;
            int endBatch = batch >= numBatches ? 0 : batch;
            byte[] state = null;
            if (rank == 0) {
                Map<String, String> md = new LinkedHashMap<>();
                md.put("epoch", Integer.toString(endEpoch));
                md.put("batch", Integer.toString(endBatch));
                md.put("step", Long.toString(step));
                md.put("seed", Long.toString(t.seed));
                md.put("batch_size", Integer.toString(t.batchSize));
                md.put("workers", Integer.toString(size));
                state = StateBytes.save(rep.model(), rep.optimizer(), md);
                if (t.checkpoint != null) Checkpoint.save(Path.of(t.checkpoint), rep.model(), rep.optimizer(), md);
            }
            return new EpochResult(
                    rank,
                    state,
                    endEpoch,
                    endBatch,
                    step,
                    samples,
                    lastLoss,
                    (System.nanoTime() - t0) / 1e9,
                    reduceNanos / 1e9);
        }
    }

    /** A worker's failure, its message naming the worker; Spark's job failure carries it to the driver. */
    public static final class WorkerException extends RuntimeException {
        WorkerException(String message, Throwable cause) {
            super(message, cause);
        }
    }
}
