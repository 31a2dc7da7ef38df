package vectorgrad.autograd;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** The engine's contract: seeds, accumulation, freed graphs, no-grad, detach, data replacement. */
class AutogradTest {
    @Test
    void scalarBackward() {
        Tensor x = Tensor.scalar(3f).requiresGrad(true);
        x.pow(2).backward();
        assertEquals(6f, x.grad().item());
        assertTrue(x.isLeaf());
    }

    @Test
    void explicitUpstreamGradient() {
        Tensor x = Tensor.of(1f, 2f, 3f).requiresGrad(true);
        Tensor y = x.mul(x);
        y.backward(Tensor.of(1f, 0.5f, -1f));
        assertArrayEquals(new float[] {2f, 2f, -6f}, x.grad().toFloatArray());
        IllegalStateException e =
                assertThrows(IllegalStateException.class, () -> x.mul(2).backward());
        assertTrue(e.getMessage().contains("scalar outputs"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> x.mul(2).backward(Tensor.ones(2)));
    }

    @Test
    void gradientsAccumulateAcrossBackwardCallsUntilZeroed() {
        Tensor w = Tensor.of(1f, -2f).requiresGrad(true);
        w.mul(3).sum().backward();
        w.mul(3).sum().backward();
        assertArrayEquals(new float[] {6f, 6f}, w.grad().toFloatArray());
        w.setGrad(null);
        w.mul(w).sum().backward();
        assertArrayEquals(new float[] {2f, -4f}, w.grad().toFloatArray());
    }

    @Test
    void aLeafUsedOnBothSidesOfAnOpGetsBothContributions() {
        Tensor a = Tensor.scalar(2f).requiresGrad(true);
        Tensor b = Tensor.scalar(5f).requiresGrad(true);
        a.add(b).backward(); // add returns the same upstream tensor for both inputs
        assertEquals(1f, a.grad().item());
        assertEquals(1f, b.grad().item());
        a.add(a).add(a.mul(b)).backward(); // a: 1 (earlier) + 2 + b
        assertEquals(8f, a.grad().item());
        assertEquals(3f, b.grad().item()); // b: 1 (earlier) + a
    }

    @Test
    void backwardTwiceThroughAFreedGraphIsAClearError() {
        Tensor x = Tensor.scalar(2f).requiresGrad(true);
        Tensor y = x.exp().mul(3);
        y.backward();
        IllegalStateException e = assertThrows(IllegalStateException.class, y::backward);
        assertTrue(e.getMessage().contains("second time"), e.getMessage());
        Tensor z = x.exp().mul(3);
        z.backward(null, true);
        z.backward(null, false); // retained the first time: allowed once more
        assertEquals(2 * 3 * Math.exp(2) + 3 * Math.exp(2), x.grad().item(), 1e-4);
    }

    @Test
    void noGradRecordsNothing() {
        Tensor x = Tensor.scalar(2f).requiresGrad(true);
        Tensor y;
        try (NoGrad g = Tensor.noGrad()) {
            assertFalse(Tensor.isGradEnabled());
            y = x.mul(3);
        }
        assertTrue(Tensor.isGradEnabled());
        assertFalse(y.requiresGrad());
        assertNull(y.gradFnName());
        IllegalStateException e = assertThrows(IllegalStateException.class, y::backward);
        assertTrue(e.getMessage().contains("does not require grad"), e.getMessage());
    }

    @Test
    void detachSharesMemoryOutsideTheGraph() {
        Tensor x = Tensor.of(1f, 2f).requiresGrad(true);
        Tensor d = x.mul(2).detach();
        assertFalse(d.requiresGrad());
        assertArrayEquals(new float[] {2f, 4f}, d.toFloatArray());
        Tensor xd = x.detach();
        xd.zero_();
        assertArrayEquals(new float[] {0f, 0f}, x.toFloatArray());
    }

    @Test
    void setDataReplacesValuesInPlace() {
        Tensor p = Tensor.of(1f, 2f).requiresGrad(true);
        java.lang.foreign.MemorySegment before = p.seg();
        p.setData(Tensor.of(5f, 6f));
        assertArrayEquals(new float[] {5f, 6f}, p.toFloatArray());
        assertEquals(before, p.seg());
        p.setData(Tensor.of(new float[] {1, 2, 3}, 3, 1));
        assertArrayEquals(new int[] {3, 1}, p.shape());
        p.sum().backward();
        assertArrayEquals(new float[] {1, 1, 1}, p.grad().toFloatArray());
    }

    @Test
    void requiresGradRules() {
        Tensor x = Tensor.scalar(1f).requiresGrad(true);
        Tensor y = x.mul(2);
        assertThrows(IllegalStateException.class, () -> y.requiresGrad(false));
        assertThrows(
                IllegalArgumentException.class,
                () -> Tensor.ofInts(new int[] {1}, 1).requiresGrad(true));
        assertEquals("mul", y.gradFnName());
    }

    @Test
    void aDeepGraphDoesNotOverflowTheStack() {
        Tensor x = Tensor.scalar(1f).requiresGrad(true);
        Tensor y = x;
        for (int i = 0; i < 20_000; i++) y = y.mul(1f);
        y.backward();
        assertEquals(1f, x.grad().item());
    }
}
