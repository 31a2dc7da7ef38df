package vectorgrad.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;
import vectorgrad.autograd.Generator;
import vectorgrad.autograd.Memory;
import vectorgrad.autograd.MemoryScope;
import vectorgrad.autograd.Tensor;
import vectorgrad.nn.optim.Adam;

/**
 * The CI-sized soak: 300 training steps of the MNIST model at batch 5, as the program runs them (train
 * mode, a memory scope per step). After warm-up the native cache reserves no more native memory: every block a
 * step needs comes back for the next. The long version with resident size is {@code ./vectorgrad bench soak}.
 */
class TrainingSoakTest {
    @Test
    void poolNativeBytesStopGrowingAfterWarmUp() {
        Tensor.manualSeed(3);
        MnistClassifier model = new MnistClassifier();
        model.train(true);
        Adam opt = new Adam(model.parameters());
        Generator g = new Generator(4);
        Tensor[] xs = new Tensor[8], ys = new Tensor[8];
        for (int i = 0; i < 8; i++) {
            xs[i] = Tensor.rand(g, 5, 1, 28, 28);
            ys[i] = Tensor.ofInts(
                    new int[] {g.nextInt(10), g.nextInt(10), g.nextInt(10), g.nextInt(10), g.nextInt(10)}, 5);
        }
        long afterWarmUp = 0, allocationsAfterWarmUp = 0;
        StringBuilder series = new StringBuilder();
        for (int step = 1; step <= 300; step++) {
            try (MemoryScope s = MemoryScope.open()) {
                opt.zeroGrad();
                model.forward(xs[step % 8], ys[step % 8]).mean().neg().backward();
                opt.step();
            }
            if (step == 50) {
                afterWarmUp = Memory.reservedBytes();
                allocationsAfterWarmUp = Memory.nativeAllocations();
            }
            if (step % 50 == 0)
                series.append(step)
                        .append(':')
                        .append(Memory.reservedBytes() >> 10)
                        .append("KiB ");
        }
        System.out.println("soak (CI size): native cache reserved by step " + series);
        assertEquals(afterWarmUp, Memory.reservedBytes(), "native bytes grew after warm-up: " + series);
        assertEquals(allocationsAfterWarmUp, Memory.nativeAllocations(), "native allocations after warm-up: " + series);
    }
}
