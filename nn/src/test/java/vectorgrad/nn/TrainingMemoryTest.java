package vectorgrad.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import vectorgrad.autograd.Memory;
import vectorgrad.autograd.MemoryScope;
import vectorgrad.autograd.Tensor;
import vectorgrad.nn.optim.Adam;

/** 100,000 steps of the textbook's loop run in bounded native memory. */
class TrainingMemoryTest {
    private static final int N = 1000;

    private static Tensor[] data() {
        Tensor.manualSeed(0);
        Tensor x = Tensor.randn(N);
        Tensor y = x.mul(0.5).add(2).add(Tensor.randn(N).mul(0.3));
        return new Tensor[] {x, y};
    }

    /** With a scope per step, the loop reaches a steady state that allocates no native memory at all. */
    @Test
    void scopedLoopAllocatesNothingAfterWarmUp() {
        Tensor[] d = data();
        TextbookModels.Y model = new TextbookModels.Y();
        Adam optimizer = new Adam(model.parameters());
        long allocationsAfterWarmUp = 0, reservedAfterWarmUp = 0;
        for (int step = 0; step < 100_000; step++) {
            try (MemoryScope s = MemoryScope.open()) {
                optimizer.zeroGrad();
                Tensor e = model.forward(d[0], d[1]).mean().neg();
                e.backward();
                optimizer.step();
            }
            if (step == 100) {
                allocationsAfterWarmUp = Memory.nativeAllocations();
                reservedAfterWarmUp = Memory.reservedBytes();
            }
        }
        assertEquals(allocationsAfterWarmUp, Memory.nativeAllocations(), "native allocations after warm-up");
        assertEquals(reservedAfterWarmUp, Memory.reservedBytes());
        assertEquals(2.0, model.f.alpha.item(), 0.05);
    }

    /**
     * Written as the textbook writes it, with no memory code: intermediates are reclaimed through the GC
     * (the cache asks for a collection when its threshold, 32 MiB in the test JVM, is reached), so reserved
     * memory stays bounded however long the loop runs.
     */
    @Test
    void unscopedLoopStaysBounded() {
        Tensor[] d = data();
        TextbookModels.Y model = new TextbookModels.Y();
        Adam optimizer = new Adam(model.parameters());
        long reservedAt20k = 0;
        for (int step = 0; step < 100_000; step++) {
            optimizer.zeroGrad();
            Tensor e = model.forward(d[0], d[1]).mean().neg();
            e.backward();
            optimizer.step();
            if (step == 20_000) reservedAt20k = Memory.reservedBytes();
        }
        long reserved = Memory.reservedBytes();
        // ~100 KiB of intermediates a step, 10 GB over the run: all but a threshold's worth was reused
        assertTrue(reserved < 96L << 20, "reserved native bytes " + reserved);
        assertTrue(reserved <= reservedAt20k + (8L << 20), "reserved grew from " + reservedAt20k + " to " + reserved);
    }
}
