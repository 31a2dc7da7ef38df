package vectorgrad.autograd;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** Ownership: cached blocks, release, scopes, and what a released tensor does when touched. */
class MemoryTest {
    @Test
    void useAfterCloseIsAClearErrorNamingTheShape() {
        Tensor t = Tensor.zeros(3, 4);
        t.close();
        t.close(); // idempotent
        IllegalStateException e = assertThrows(IllegalStateException.class, t::toFloatArray);
        assertTrue(e.getMessage().contains("[3, 4]") && e.getMessage().contains("released"), e.getMessage());
        assertThrows(IllegalStateException.class, () -> t.add(1));
        assertThrows(IllegalStateException.class, t::seg);
        assertTrue(t.isClosed());
    }

    @Test
    void aClosedTensorNeverSeesItsSuccessorsData() {
        Tensor a = Tensor.full(1f, 16);
        a.close();
        Tensor b = Tensor.full(2f, 16); // likely reuses a's block
        assertThrows(IllegalStateException.class, a::toFloatArray);
        assertArrayEquals(new float[] {2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2}, b.toFloatArray());
    }

    @Test
    void viewsKeepMemoryAfterTheirBaseCloses() {
        Tensor base = Tensor.arange(6);
        Tensor view = base.reshape(2, 3);
        base.close();
        assertEquals(15f, view.sum().item());
        view.close();
        assertTrue(view.isClosed());
    }

    @Test
    void releasedBlocksAreReused() {
        for (int i = 0; i < 10; i++) Tensor.zeros(1000).close(); // warm the size class
        long before = Memory.nativeAllocations();
        for (int i = 0; i < 1000; i++) Tensor.zeros(1000).close();
        assertEquals(before, Memory.nativeAllocations());
    }

    @Test
    void scopesReleaseAllButKeptTensors() {
        Tensor kept;
        Tensor inner, outerTmp;
        try (MemoryScope outer = MemoryScope.open()) {
            outerTmp = Tensor.ones(3);
            try (MemoryScope s = MemoryScope.open()) {
                inner = Tensor.ones(3).mul(2);
                kept = s.keep(inner.add(1));
            }
            assertTrue(inner.isClosed());
            assertFalse(kept.isClosed());
            assertFalse(outerTmp.isClosed());
        }
        assertTrue(outerTmp.isClosed());
        assertTrue(kept.isClosed(), "a kept tensor moves to the enclosing scope and is released with it");
        Tensor survivor;
        try (MemoryScope s = MemoryScope.open()) {
            survivor = s.keep(Tensor.ones(2));
        }
        assertArrayEquals(new float[] {1, 1}, survivor.toFloatArray());
    }

    @Test
    void backwardLeavesOnlyTheLeafGradients() {
        Tensor w = Tensor.randn(64).requiresGrad(true);
        Tensor x = Tensor.randn(64);
        // warm up the size classes
        for (int i = 0; i < 3; i++) {
            try (MemoryScope s = MemoryScope.open()) {
                w.mul(x).exp().sum().backward();
                w.grad().close();
                w.setGrad(null);
            }
        }
        // earlier tests' unreachable tensors return their blocks when the GC finds them: let that happen
        // now, not between the two readings (seen once: 220 KB released in between)
        settleGarbage();
        long live = Memory.liveBytes();
        try (MemoryScope s = MemoryScope.open()) {
            w.mul(x).exp().div(x.abs().add(1)).sum().backward();
        }
        assertNotNull(w.grad());
        // after the step only w.grad (64 floats = 256 B) is new; everything else went back to the cache
        assertEquals(live + 256, Memory.liveBytes());
    }

    /** Collects garbage until the cache's live bytes stop changing (cleaners run on their own thread). */
    static void settleGarbage() {
        long last = -1;
        for (int stable = 0, i = 0; stable < 3 && i < 100; i++) {
            System.gc();
            try {
                Thread.sleep(10);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
            long now = Memory.liveBytes();
            stable = now == last ? stable + 1 : 0;
            last = now;
        }
    }

    @Test
    void theGraphDropsSavedTensorsAfterBackward() throws Exception {
        Tensor w = Tensor.randn(8).requiresGrad(true);
        java.lang.ref.WeakReference<Tensor> saved;
        Tensor loss;
        {
            Tensor h = w.exp(); // saved by exp's backward (its output) and by mul
            saved = new java.lang.ref.WeakReference<>(h);
            loss = h.mul(h).sum();
            h = null;
        }
        loss.backward();
        for (int i = 0; i < 50 && saved.get() != null; i++) {
            System.gc();
            Thread.sleep(10);
        }
        assertTrue(saved.get() == null, "the intermediate is still reachable after backward freed the graph");
        assertFalse(loss.isClosed());
    }
}
