package vectorgrad.autograd;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class AnomalyTest {
    @Test
    void offByDefaultNaNFlowsThrough() {
        assertFalse(Anomaly.isEnabled());
        Tensor x = Tensor.of(1f, -1f).requiresGrad(true);
        Tensor y = x.log();
        assertTrue(Float.isNaN(y.toFloatArray()[1]));
        y.sum().backward();
    }

    @Test
    void forwardNaNNamesTheOpTheShapesAndTheCaller() {
        Tensor x = Tensor.of(new float[] {1, 2, -3, 4, 5, 6}, 2, 3).requiresGrad(true);
        Anomaly.AnomalyException e;
        try (Anomaly a = Anomaly.detect()) {
            Tensor ok = x.mul(2f);
            e = assertThrows(Anomaly.AnomalyException.class, () -> ok.log());
        }
        assertFalse(Anomaly.isEnabled(), "closing the scope restores the previous setting");
        String m = e.getMessage();
        assertTrue(m.contains("'log' produced NaN in its output of shape [2, 3] from inputs of shape [2, 3]"), m);
        assertTrue(m.contains("created at vectorgrad.autograd.AnomalyTest"), m);
    }

    @Test
    void nonFiniteDataIsTracedToItsSource() {
        Tensor w = Tensor.of(1f, 1f).requiresGrad(true);
        Tensor data = Tensor.of(Float.NaN, 2f);
        try (Anomaly a = Anomaly.detect()) {
            String m = assertThrows(Anomaly.AnomalyException.class, () -> w.mul(data))
                    .getMessage();
            assertTrue(
                    m.contains("'mul' produced NaN")
                            && m.contains("input 1 already held NaN (a leaf: a parameter or data)"),
                    m);
        }
    }

    @Test
    void backwardInfinityNamesTheRuleAndWhereTheOpWasCreated() {
        Tensor x = Tensor.of(0f, 4f).requiresGrad(true);
        try (Anomaly a = Anomaly.detect()) {
            Tensor y = x.sqrt().sum(); // forward is finite: sqrt(0) = 0
            String m = assertThrows(Anomaly.AnomalyException.class, y::backward).getMessage();
            // d sqrt(x)/dx = 1/(2 sqrt x) is infinite at 0
            assertTrue(
                    m.contains("backward of 'sqrt' returned infinity in the gradient for its input 0 of shape [2]"), m);
            assertTrue(m.contains("the op was created at vectorgrad.autograd.AnomalyTest.backwardInfinity"), m);
        }
        // the failed pass leaves the engine usable
        Tensor z = Tensor.of(1f).requiresGrad(true);
        z.mul(3f).sum().backward();
        assertTrue(z.grad().item() == 3f);
    }
}
