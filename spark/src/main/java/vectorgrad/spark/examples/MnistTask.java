package vectorgrad.spark.examples;

import vectorgrad.autograd.Generator;
import vectorgrad.autograd.Tensor;
import vectorgrad.examples.MnistClassifier;
import vectorgrad.nn.Module;
import vectorgrad.nn.optim.Adam;
import vectorgrad.spark.DataParallelTrainer;

/**
 * The textbook's MNIST classifier as {@code mnist train} trains it (Adam, the batch's mean negative
 * log-likelihood, dropout masks keyed by sample from {@code seed}), for {@link DataParallelTrainer}.
 */
public record MnistTask(double lr, long seed) implements DataParallelTrainer.Task {
    @Override
    public DataParallelTrainer.Replica newReplica() {
        Generator masks = Generator.keyedBySample(seed);
        MnistClassifier model = new MnistClassifier(masks);
        return new DataParallelTrainer.Replica(model, new Adam(model.parameters(), lr), masks);
    }

    @Override
    public Tensor perSampleLoss(Module model, Tensor inputs, Tensor targets) {
        return ((MnistClassifier) model).forward(inputs, targets).neg();
    }

    @Override
    public int[] inputShape() {
        return new int[] {1, 28, 28};
    }
}
