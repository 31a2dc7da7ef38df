package vectorgrad.examples;

import vectorgrad.autograd.Generator;
import vectorgrad.autograd.NoGrad;
import vectorgrad.autograd.Tensor;
import vectorgrad.nn.Functional;
import vectorgrad.nn.Module;
import vectorgrad.nn.Sequential;
import vectorgrad.nn.layers.Conv2d;
import vectorgrad.nn.layers.Dropout2d;
import vectorgrad.nn.layers.Flatten;
import vectorgrad.nn.layers.Linear;
import vectorgrad.nn.layers.MaxPool2d;
import vectorgrad.nn.layers.ReLU;

/**
 * The textbook's {@code MyImageClassifier} (example 3.3.2), line for line. Its dropout masks come from
 * the default generator, or from the one given: {@code mnist train} gives one keyed by sample
 * ({@link Generator#keyedBySample(long)}), so that a data-parallel run draws the same masks.
 */
public final class MnistClassifier extends Module {
    public final Sequential f;

    public MnistClassifier() {
        this(Tensor.defaultGenerator());
    }

    public MnistClassifier(Generator masks) {
        f = new Sequential( // input.shape [B × 1 × 28 × 28]
                new Conv2d(1, 32, 3, 1), // [B × 32 × 26 × 26]
                new ReLU(),
                new Conv2d(32, 64, 3, 1), // [B × 64 × 24 × 24]
                new MaxPool2d(2), // [B × 64 × 12 × 12]
                new Dropout2d(0.25, masks),
                new Flatten(1), // [B × 9216]
                new Linear(9216, 128), // [B × 128]
                new ReLU(),
                new Dropout2d(0.5, masks),
                new Linear(128, 10)); // [B × 10]
    }

    /** The logits of a batch: x.shape [B × 1 × 28 × 28], output.shape [B × 10]. */
    public Tensor forward(Tensor x) {
        return f.forward(x);
    }

    /** Log-likelihood of a batch: x.shape [B × 1 × 28 × 28], y.shape and output.shape [B]. */
    public Tensor forward(Tensor x, Tensor y) {
        return Functional.crossEntropy(f.forward(x), y, "none").neg();
    }

    /** The class probabilities for a single image: input.shape [1 × 28 × 28], output.shape [10]. */
    public Tensor classify(Tensor x) {
        try (NoGrad g = Tensor.noGrad()) {
            Tensor q = f.forward(x.unsqueeze(0)).reshape(10);
            return Functional.softmax(q, 0);
        }
    }
}
