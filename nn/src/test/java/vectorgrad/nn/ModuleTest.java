package vectorgrad.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import vectorgrad.autograd.Tensor;

class ModuleTest {
    static class Base extends Module {
        final Parameter first = new Parameter(Tensor.zeros(2));
    }

    static class Child extends Base {
        final Parameter second = new Parameter(Tensor.ones(3));
        final TextbookModels.StraightLine line = new TextbookModels.StraightLine();
        final Parameter shared = line.alpha; // the same tensor twice: listed once
        Parameter unset; // null: skipped
        final Tensor notAParameter = Tensor.zeros(1); // plain tensors are not parameters
        final Module listed;

        Child() {
            listed = null;
            registerModule("0", new TextbookModels.StraightLine());
            registerParameter("extra", new Parameter(Tensor.scalar(5f)));
        }
    }

    @Test
    void parametersAreDiscoveredWithPyTorchNames() {
        TextbookModels.Y y = new TextbookModels.Y();
        assertEquals(
                List.of("sigma", "f.alpha", "f.beta"),
                List.copyOf(y.namedParameters().keySet()));
        assertEquals(3, y.parameters().size());
        Child c = new Child();
        // as PyTorch: own parameters (superclass fields first, then registered) before children's; a tensor
        // reachable twice keeps its first name ("shared", so "line.alpha" is not listed again)
        assertEquals(
                List.of("first", "second", "shared", "extra", "line.beta", "0.alpha", "0.beta"),
                List.copyOf(c.namedParameters().keySet()));
        assertSame(c.line.alpha, c.namedParameters().get("shared"));
        assertEquals(List.of("", "line", "0"), List.copyOf(c.namedModules().keySet()));
    }

    @Test
    void trainAndEvalRecurse() {
        Child c = new Child();
        assertTrue(c.isTraining());
        c.eval();
        for (Module m : c.namedModules().values()) assertFalse(m.isTraining());
        c.train(true);
        for (Module m : c.namedModules().values()) assertTrue(m.isTraining());
    }

    @Test
    void zeroGradDropsGradients() {
        TextbookModels.Y y = new TextbookModels.Y();
        y.forward(Tensor.of(1f, 2f), Tensor.of(3f, 4f)).mean().backward();
        for (Parameter p : y.parameters()) assertTrue(p.grad() != null);
        Tensor old = y.sigma.grad();
        y.zeroGrad();
        for (Parameter p : y.parameters()) assertNull(p.grad());
        assertThrows(IllegalStateException.class, old::item, "a dropped gradient's memory went back to the cache");
    }

    @Test
    void stateDictRoundTripsAndErrorsNameTheKeys() {
        TextbookModels.Y a = new TextbookModels.Y(), b = new TextbookModels.Y();
        a.sigma.setData(Tensor.scalar(0.25f));
        b.loadStateDict(a.stateDict(), true);
        assertEquals(0.25f, b.sigma.item());
        IllegalArgumentException e = assertThrows(
                IllegalArgumentException.class,
                () -> b.loadStateDict(Map.of("sigma", Tensor.zeros(2), "bogus", Tensor.zeros(1)), true));
        assertTrue(e.getMessage().contains("missing key \"f.alpha\""), e.getMessage());
        assertTrue(e.getMessage().contains("unexpected key \"bogus\""), e.getMessage());
        assertTrue(e.getMessage().contains("size mismatch for sigma"), e.getMessage());
    }

    @Test
    void parameterIsALeafThatSharesItsTensor() {
        Tensor data = Tensor.of(1f, 2f);
        Parameter p = new Parameter(data);
        assertTrue(p.requiresGrad() && p.isLeaf());
        data.zero_();
        assertArrayEquals(new float[] {0, 0}, p.toFloatArray());
        assertTrue(p.toString().startsWith("Parameter containing:\ntensor("), p.toString());
        assertFalse(new Parameter(Tensor.zeros(1), false).requiresGrad());
    }
}
