package vectorgrad.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import vectorgrad.autograd.Tensor;
import vectorgrad.nn.layers.Conv2d;

/**
 * Conv2d with groups against PyTorch 1.13 (bench/scripts/conv_groups_golden.py): two groups, depthwise,
 * depthwise with a channel multiplier and stride 2, three dilated groups — forward and all gradients.
 */
class ConvGroupsParityTest {
    private static final Golden G = new Golden("/golden/conv_groups_golden.txt");

    @Test
    void groupedConvolutionsMatchPyTorch() {
        for (String name :
                new String[] {"two_groups", "depthwise", "depthwise_multiplier_stride2", "three_groups_dilated"}) {
            double[] geo = G.get(name + "/geometry");
            int b = (int) geo[0],
                    c = (int) geo[1],
                    h = (int) geo[2],
                    w = (int) geo[3],
                    o = (int) geo[4],
                    k = (int) geo[5];
            int s = (int) geo[6], p = (int) geo[7], d = (int) geo[8], groups = (int) geo[9];
            Conv2d conv = new Conv2d(
                    c, o, k, Conv2d.options().stride(s).padding(p).dilation(d).groups(groups));
            assertArrayEquals(new int[] {o, c / groups, k, k}, conv.weight.shape(), name + " weight shape");
            conv.weight.setData(Tensor.of(G.floats(name + "/weight"), o, c / groups, k, k));
            conv.bias.setData(Tensor.of(G.floats(name + "/bias"), o));
            Tensor x = Tensor.of(G.floats(name + "/x"), b, c, h, w).requiresGrad(true);
            Tensor out = conv.forward(x);
            out.backward(Tensor.of(G.floats(name + "/dy"), out.shape()));
            close(G.get(name + "/out"), out.toFloatArray(), name + " out");
            close(G.get(name + "/grad_x"), x.grad().toFloatArray(), name + " grad x");
            close(G.get(name + "/grad_weight"), conv.weight.grad().toFloatArray(), name + " grad weight");
            close(G.get(name + "/grad_bias"), conv.bias.grad().toFloatArray(), name + " grad bias");
        }
    }

    /**
     * Sums of up to 162 products (the weight gradients: batch x output positions) of values in [-1, 1],
     * reaching ~12: float32 rounding stays well inside 1e-5 + 1e-5 relative.
     */
    private static void close(double[] want, float[] got, String what) {
        assertEquals(want.length, got.length, what + " length");
        for (int i = 0; i < want.length; i++) {
            if (!(Math.abs(want[i] - got[i]) <= 1e-5 + 1e-5 * Math.abs(want[i]))) {
                throw new AssertionError(what + "[" + i + "]: PyTorch " + want[i] + ", vectorgrad " + got[i]);
            }
        }
    }

    @Test
    void groupsAreShownAndChecked() {
        Conv2d depthwise = new Conv2d(
                8,
                16,
                3,
                Conv2d.options().stride(1).padding(1).dilation(1).groups(8).bias(false));
        assertEquals(
                "Conv2d(8, 16, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1), groups=8, bias=False)",
                depthwise.toString());
        // PyTorch's bound: 1/sqrt(fan_in), fan_in = in_channels/groups * k * k = 9
        for (float v : depthwise.weight.toFloatArray()) assertTrue(Math.abs(v) <= 1 / 3f, "init bound");
        IllegalArgumentException e = assertThrows(
                IllegalArgumentException.class,
                () -> new Conv2d(
                        6,
                        4,
                        3,
                        Conv2d.options().stride(1).padding(0).dilation(1).groups(4)));
        assertEquals("Conv2d: in_channels (6) must be divisible by groups (4)", e.getMessage());
        e = assertThrows(
                IllegalArgumentException.class,
                () -> new Conv2d(
                        4,
                        6,
                        3,
                        Conv2d.options().stride(1).padding(0).dilation(1).groups(4)));
        assertEquals("Conv2d: out_channels (6) must be divisible by groups (4)", e.getMessage());
    }
}
