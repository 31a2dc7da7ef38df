package vectorgrad.nn.layers;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import vectorgrad.autograd.Generator;
import vectorgrad.autograd.Tensor;

/** PyTorch's keyword arguments as named options: defaults, pairs, validation at construction, printing. */
class LayerOptionsTest {
    @Test
    void conv2dDefaultsAndKeywords() {
        Conv2d c = new Conv2d(1, 32, 3);
        assertEquals("Conv2d(1, 32, kernel_size=(3, 3), stride=(1, 1))", c.toString());
        Conv2d s = new Conv2d(32, 64, 3, Conv2d.options().stride(2).padding(1).bias(false));
        assertEquals("Conv2d(32, 64, kernel_size=(3, 3), stride=(2, 2), padding=(1, 1), bias=False)", s.toString());
        assertNull(s.bias);
        assertArrayEquals(
                new int[] {2, 64, 14, 14},
                s.forward(Tensor.zeros(2, 32, 28, 28)).shape());
        Conv2d r = new Conv2d(
                3,
                8,
                Conv2d.options().kernelSize(3, 5).padding(1, 2).dilation(1, 2).groups(1));
        assertArrayEquals(new int[] {8, 3, 3, 5}, r.weight.shape());
        assertArrayEquals(
                new int[] {1, 8, 10, 4}, r.forward(Tensor.zeros(1, 3, 10, 8)).shape());
    }

    @Test
    void conv2dGeneratorMakesTheWeightsReproducible() {
        Conv2d a = new Conv2d(2, 4, 3, Conv2d.options().generator(new Generator(7)));
        Conv2d b = new Conv2d(2, 4, 3, Conv2d.options().generator(new Generator(7)));
        assertArrayEquals(a.weight.toFloatArray(), b.weight.toFloatArray());
    }

    @Test
    void conv2dRejectsBadArgumentsAtConstruction() {
        String[][] cases = {
            {"stride", "non-positive stride (0, 1) is not supported"},
            {"padding", "negative padding (-1, -1) is not supported"},
            {"dilation", "dilation must be positive, got (0, 0)"},
            {"groups", "in_channels (3) must be divisible by groups (2)"},
        };
        for (String[] c : cases) {
            Conv2d.Options o = switch (c[0]) {
                case "stride" -> Conv2d.options().stride(0, 1);
                case "padding" -> Conv2d.options().padding(-1);
                case "dilation" -> Conv2d.options().dilation(0);
                default -> Conv2d.options().groups(2);
            };
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new Conv2d(3, 4, 3, o));
            assertTrue(e.getMessage().contains(c[1]), e.getMessage());
        }
        assertThrows(
                IllegalArgumentException.class, () -> new Conv2d(3, 4, Conv2d.options()), "kernel_size is required");
    }

    @Test
    void maxPool2dDefaultsKeywordsAndValidation() {
        assertEquals(
                "MaxPool2d(kernel_size=2, stride=2, padding=0, dilation=1, ceil_mode=False)",
                new MaxPool2d(2).toString());
        MaxPool2d p = new MaxPool2d(3, MaxPool2d.options().stride(2).padding(1).ceilMode(true));
        assertEquals("MaxPool2d(kernel_size=3, stride=2, padding=1, dilation=1, ceil_mode=True)", p.toString());
        assertArrayEquals(
                new int[] {1, 1, 4, 4}, p.forward(Tensor.zeros(1, 1, 7, 7)).shape());
        IllegalArgumentException e = assertThrows(
                IllegalArgumentException.class,
                () -> new MaxPool2d(2, MaxPool2d.options().padding(2)));
        assertTrue(e.getMessage().contains("pad should be at most half of effective kernel size"), e.getMessage());
        assertThrows(
                IllegalArgumentException.class,
                () -> new MaxPool2d(2, MaxPool2d.options().stride(0)));
    }
}
