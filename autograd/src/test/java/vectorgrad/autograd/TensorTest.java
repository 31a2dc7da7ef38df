package vectorgrad.autograd;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** Creation, views, readout, forward values and error messages. */
class TensorTest {
    @Test
    void creation() {
        assertEquals(2.5f, Tensor.scalar(2.5f).item());
        assertArrayEquals(new int[0], Tensor.scalar(1).shape());
        assertArrayEquals(new float[] {0, 0, 0, 0, 0, 0}, Tensor.zeros(2, 3).toFloatArray());
        assertArrayEquals(new float[] {1, 1}, Tensor.ones(2).toFloatArray());
        assertArrayEquals(new float[] {7, 7, 7}, Tensor.full(7, 3).toFloatArray());
        assertArrayEquals(new float[] {0, 1, 2, 3}, Tensor.arange(4).toFloatArray());
        assertArrayEquals(
                new float[] {1f, 1.5f, 2f, 2.5f}, Tensor.arange(1, 3, 0.5).toFloatArray());
        assertArrayEquals(
                new int[] {3, 1, 2}, Tensor.ofInts(new int[] {3, 1, 2}, 3).toIntArray());
        assertEquals(DType.INT32, Tensor.ofInts(new int[] {1}, 1).dtype());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Tensor.of(new float[5], 2, 3));
        assertTrue(e.getMessage().contains("[2, 3]") && e.getMessage().contains("5"), e.getMessage());
    }

    @Test
    void randomIsSeededAndInRange() {
        Tensor.manualSeed(123);
        float[] a = Tensor.rand(100).toFloatArray();
        float[] n1 = Tensor.randn(7).toFloatArray();
        Tensor.manualSeed(123);
        assertArrayEquals(a, Tensor.rand(100).toFloatArray());
        assertArrayEquals(n1, Tensor.randn(7).toFloatArray());
        for (float x : a) assertTrue(x >= 0 && x < 1);
        Generator g = new Generator(1);
        long[] state = g.getState();
        float[] b = Tensor.randn(g, 5).toFloatArray();
        g.setState(state);
        assertArrayEquals(b, Tensor.randn(g, 5).toFloatArray());
    }

    @Test
    void viewsShareMemoryAndCopiesDoNot() {
        Tensor x = Tensor.arange(6);
        Tensor v = x.reshape(2, -1);
        assertArrayEquals(new int[] {2, 3}, v.shape());
        x.seg().setAtIndex(java.lang.foreign.ValueLayout.JAVA_FLOAT, 0, 42f);
        assertEquals(42f, v.toFloatArray()[0]);
        assertArrayEquals(new int[] {1, 2, 3}, v.unsqueeze(0).shape());
        assertArrayEquals(new int[] {2, 3, 1}, v.unsqueeze(-1).shape());
        assertArrayEquals(new int[] {2, 3}, v.unsqueeze(0).squeeze().shape());
        assertArrayEquals(new int[] {2, 3}, v.squeeze(0).shape());
        assertArrayEquals(new int[] {6}, v.flatten().shape());
        assertArrayEquals(new int[] {2, 3}, Tensor.zeros(2, 3).flatten(1).shape());
        assertArrayEquals(new int[] {6, 4}, Tensor.zeros(2, 3, 4).flatten(0, 1).shape());
        Tensor t = v.transpose(0, 1);
        assertArrayEquals(new int[] {3, 2}, t.shape());
        assertArrayEquals(new float[] {42, 3, 1, 4, 2, 5}, t.toFloatArray());
        assertArrayEquals(new float[] {42, 3, 1, 4, 2, 5}, v.t().toFloatArray());
        Tensor p = Tensor.arange(24).reshape(2, 3, 4).permute(2, 0, 1);
        assertArrayEquals(new int[] {4, 2, 3}, p.shape());
        assertEquals(13f, p.toFloatArray()[1 * 6 + 1 * 3 + 0]); // p[1,1,0] = x[1,0,1] = 12 + 1
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> x.reshape(4, -1));
        assertTrue(e.getMessage().contains("[4, -1]") && e.getMessage().contains("6"), e.getMessage());
    }

    @Test
    void arithmeticBroadcastsLikeNumPy() {
        Tensor a = Tensor.of(new float[] {1, 2, 3, 4, 5, 6}, 2, 3);
        Tensor b = Tensor.of(new float[] {10, 20, 30}, 3);
        Tensor col = Tensor.of(new float[] {100, 200}, 2, 1);
        assertArrayEquals(new float[] {11, 22, 33, 14, 25, 36}, a.add(b).toFloatArray());
        assertArrayEquals(new float[] {101, 102, 103, 204, 205, 206}, a.add(col).toFloatArray());
        assertArrayEquals(new int[] {2, 3}, col.add(b).shape());
        assertArrayEquals(new float[] {0.5f, 1, 1.5f, 2, 2.5f, 3}, a.div(2).toFloatArray());
        assertArrayEquals(new float[] {-1, -2, -3, -4, -5, -6}, a.neg().toFloatArray());
        assertArrayEquals(new float[] {1, 0, -1, -2, -3, -4}, a.rsub(2).toFloatArray());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> a.add(Tensor.zeros(2)));
        assertTrue(e.getMessage().contains("[2, 3]") && e.getMessage().contains("[2]"), e.getMessage());
    }

    @Test
    void reductions() {
        Tensor a = Tensor.of(new float[] {1, 5, 3, 4, 2, 6}, 2, 3);
        assertEquals(21f, a.sum().item());
        assertEquals(3.5f, a.mean().item());
        assertArrayEquals(new float[] {5, 7, 9}, a.sum(0, false).toFloatArray());
        assertArrayEquals(new int[] {2, 1}, a.sum(1, true).shape());
        assertArrayEquals(new float[] {3, 4}, a.mean(-1, false).toFloatArray());
        Tensor.MaxResult m = a.max(1, false);
        assertArrayEquals(new float[] {5, 6}, m.values().toFloatArray());
        assertArrayEquals(new int[] {1, 2}, m.indices().toIntArray());
        assertEquals(6f, a.max().item());
        assertEquals(5f, a.argmax().item());
        assertArrayEquals(new int[] {1, 0, 1}, a.argmax(0, false).toIntArray());
    }

    @Test
    void matmulAndItsError() {
        Tensor a = Tensor.of(new float[] {1, 2, 3, 4, 5, 6}, 2, 3);
        Tensor b = Tensor.of(new float[] {1, 0, 0, 1, 1, 1}, 3, 2);
        assertArrayEquals(new float[] {4, 5, 10, 11}, a.matmul(b).toFloatArray());
        IllegalArgumentException e = assertThrows(
                IllegalArgumentException.class, () -> Tensor.zeros(5, 9216).matmul(Tensor.zeros(128, 10)));
        assertEquals("mat1 and mat2 shapes cannot be multiplied (5x9216 and 128x10)", e.getMessage());
    }

    @Test
    void unaryValues() {
        Tensor x = Tensor.of(-1f, 0.5f, 2f);
        assertArrayEquals(new float[] {0, 0.5f, 2}, x.relu().toFloatArray());
        assertArrayEquals(new float[] {1, 0.5f, 2}, x.abs().toFloatArray());
        assertArrayEquals(new float[] {1, 0.25f, 4}, x.pow(2).toFloatArray());
        assertArrayEquals(
                new float[] {(float) Math.exp(-1), (float) Math.exp(0.5), (float) Math.exp(2)},
                x.exp().toFloatArray(),
                1e-6f);
        assertArrayEquals(
                new float[] {(float) Math.tanh(-1), (float) Math.tanh(0.5), (float) Math.tanh(2)},
                x.tanh().toFloatArray(),
                1e-6f);
        assertArrayEquals(
                new float[] {0.26894142f, 0.62245935f, 0.880797f}, x.sigmoid().toFloatArray(), 1e-6f);
        assertTrue(Float.isNaN(x.log().toFloatArray()[0]));
        assertEquals((float) Math.sqrt(2), x.sqrt().toFloatArray()[2], 1e-6f);
    }

    @Test
    void readoutErrors() {
        IllegalStateException e = assertThrows(
                IllegalStateException.class, () -> Tensor.zeros(2, 2).item());
        assertTrue(e.getMessage().contains("4 elements"), e.getMessage());
        assertThrows(
                IllegalArgumentException.class,
                () -> Tensor.ofInts(new int[] {1, 2}, 2).exp());
        assertThrows(IndexOutOfBoundsException.class, () -> Tensor.zeros(2, 2).sum(2, false));
    }

    @Test
    void toStringLooksLikePyTorch() {
        assertEquals("tensor([1., 2., 3.])", Tensor.of(1f, 2f, 3f).toString());
        assertEquals("tensor(1.5000)", Tensor.scalar(1.5f).toString());
        assertEquals(
                "tensor([[0.5000, 1.0000],\n        [1.5000, 2.0000]])",
                Tensor.of(new float[] {0.5f, 1f, 1.5f, 2f}, 2, 2).toString());
        assertEquals(
                "tensor(2., requires_grad=True)",
                Tensor.scalar(2f).requiresGrad(true).toString());
        Tensor x = Tensor.scalar(2f).requiresGrad(true);
        assertEquals("tensor(4., grad_fn=<MulBackward>)", x.mul(2).toString());
        assertEquals(
                "tensor([0, 2], dtype=torch.int32)",
                Tensor.ofInts(new int[] {0, 2}, 2).toString());
        String big = Tensor.arange(2000).toString();
        assertTrue(big.startsWith("tensor([0., 1., 2., ..., 1997., 1998., 1999.])"), big);
        Tensor closed = Tensor.zeros(3);
        closed.close();
        assertTrue(closed.toString().contains("released"));
    }

    @Test
    void copyToAndCopyFromMoveValuesBetweenJavaArraysAndATensorInPlace() {
        Tensor t = Tensor.of(new float[] {1, 2, 3, 4, 5, 6}, 2, 3);
        float[] out = new float[8];
        t.copyTo(out, 1);
        assertArrayEquals(new float[] {0, 1, 2, 3, 4, 5, 6, 0}, out);
        assertEquals(t, t.copyFrom(new float[] {9, 8, 7, 6, 5, 4, 3}, 1));
        assertArrayEquals(new float[] {8, 7, 6, 5, 4, 3}, t.toFloatArray());
        assertThrows(IndexOutOfBoundsException.class, () -> t.copyFrom(new float[6], 1));
        assertThrows(
                IllegalArgumentException.class,
                () -> Tensor.ofInts(new int[] {1}, 1).copyTo(out, 0));
        t.close();
        assertThrows(IllegalStateException.class, () -> t.copyTo(out, 0));
    }
}
