package vectorgrad.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import vectorgrad.autograd.Tensor;
import vectorgrad.nn.io.SafeTensors;
import vectorgrad.nn.layers.AdaptiveAvgPool2d;
import vectorgrad.nn.layers.AvgPool2d;
import vectorgrad.nn.layers.BatchNorm2d;
import vectorgrad.nn.layers.Conv2d;
import vectorgrad.nn.layers.GELU;
import vectorgrad.nn.layers.Identity;
import vectorgrad.nn.layers.Linear;
import vectorgrad.nn.layers.ReLU;

/** Buffers in state dicts, the new layers' shapes and reprs, ModuleList and ModuleDict. */
class ToolkitLayersTest {
    @TempDir
    Path dir;

    static final class Block extends Module {
        final Conv2d conv = new Conv2d(3, 4, 3, Conv2d.options().padding(1).bias(false));
        final BatchNorm2d bn = new BatchNorm2d(4);
        final ModuleList heads = new ModuleList(new Linear(4, 2), new Identity());
    }

    @Test
    void buffersGoIntoTheStateDictWithPyTorchsNames() throws Exception {
        Block b = new Block();
        assertEquals(
                List.of(
                        "conv.weight",
                        "bn.weight",
                        "bn.bias",
                        "bn.running_mean",
                        "bn.running_var",
                        "bn.num_batches_tracked",
                        "heads.0.weight",
                        "heads.0.bias"),
                List.copyOf(b.stateDict().keySet()));
        assertEquals(5, b.parameters().size(), "buffers are not parameters");
        b.bn.forward(b.conv.forward(Tensor.randn(2, 3, 5, 5)));
        Path f = dir.resolve("block.safetensors");
        SafeTensors.write(f, b.stateDict(), Map.of());
        Block c = new Block();
        c.loadStateDict(SafeTensors.read(f).tensors(), true);
        assertArrayEquals(b.bn.runningMean().toFloatArray(), c.bn.runningMean().toFloatArray());
        assertEquals(1f, c.bn.getBuffer("num_batches_tracked").item());
        IllegalArgumentException e =
                assertThrows(IllegalArgumentException.class, () -> new Block().loadStateDict(Map.of(), true));
        assertTrue(e.getMessage().contains("missing key \"bn.running_var\""), e.getMessage());
    }

    @Test
    void batchNormEvalUsesRunningStatisticsAndModesPropagate() {
        BatchNorm2d bn = new BatchNorm2d(3);
        Tensor x = Tensor.randn(4, 3, 2, 2).mul(3).add(1);
        for (int i = 0; i < 50; i++) bn.forward(x);
        bn.eval();
        float[] y = bn.forward(x).toFloatArray();
        double mean = 0;
        for (float v : y) mean += v;
        assertTrue(
                Math.abs(mean / y.length) < 0.2,
                "running statistics converged to the batch's: mean " + mean / y.length);
        assertThrows(IllegalArgumentException.class, () -> bn.forward(Tensor.zeros(3, 2, 2)));
        assertEquals("BatchNorm2d(3, eps=1e-05, momentum=0.1, affine=True, track_running_stats=True)", bn.toString());
    }

    @Test
    void layerShapesAndReprs() {
        Tensor img = Tensor.randn(2, 8, 7, 7);
        assertArrayEquals(
                new int[] {2, 8, 1, 1}, new AdaptiveAvgPool2d(1).forward(img).shape());
        assertArrayEquals(
                new int[] {8, 4, 4},
                new AvgPool2d(3, 2, 1).forward(img.select(0, 0)).shape());
        assertEquals("AvgPool2d(kernel_size=3, stride=2, padding=1)", new AvgPool2d(3, 2, 1).toString());
        assertEquals("AdaptiveAvgPool2d(output_size=(2, 3))", new AdaptiveAvgPool2d(2, 3).toString());
        assertEquals("GELU(approximate='tanh')", new GELU("tanh").toString());
        assertArrayEquals(
                new int[] {2, 5, 3},
                new Linear(4, 3).forward(Tensor.zeros(2, 5, 4)).shape());
        assertArrayEquals(
                new int[] {3}, new Linear(4, 3).forward(Tensor.zeros(4)).shape());
        ModuleDict d = new ModuleDict().put("act", new ReLU()).put("proj", new Linear(2, 2));
        assertEquals(
                List.of("proj.weight", "proj.bias"),
                List.copyOf(d.namedParameters().keySet()));
        assertThrows(IllegalArgumentException.class, () -> d.get("missing"));
    }
}
