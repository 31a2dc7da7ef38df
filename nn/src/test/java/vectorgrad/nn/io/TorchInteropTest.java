package vectorgrad.nn.io;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import vectorgrad.nn.Module;
import vectorgrad.nn.Parameter;
import vectorgrad.nn.Sequential;
import vectorgrad.nn.layers.Conv2d;
import vectorgrad.nn.layers.Linear;
import vectorgrad.nn.layers.ReLU;

/**
 * A state dict PyTorch saved in safetensors form (bench/scripts/safetensors_interop.py, the layout of
 * {@code safetensors.torch.save_file}) loads into the same architecture here, values exact. The same
 * script's {@code read} mode loads vectorgrad's checkpoints into PyTorch.
 */
class TorchInteropTest {
    static final class Small extends Module {
        final Sequential f = new Sequential(new Conv2d(1, 4, 3, 1), new ReLU(), new Linear(6, 3));
    }

    @Test
    void pytorchsFileLoadsWithTheSameNamesAndValues() throws IOException, URISyntaxException {
        Path file = Path.of(TorchInteropTest.class
                .getResource("/golden/torch_small_state.safetensors")
                .toURI());
        SafeTensors.Contents c = SafeTensors.read(file);
        assertEquals("pt", c.metadata().get("format"));
        Small m = new Small();
        Map<String, String> md = Checkpoint.load(file, m, null);
        assertEquals("pt", md.get("format"));
        vectorgrad.nn.Golden g = new vectorgrad.nn.Golden("/golden/torch_small_state.txt");
        assertEquals(
                List.of("f.0.weight", "f.0.bias", "f.2.weight", "f.2.bias"),
                List.copyOf(m.namedParameters().keySet()));
        for (Map.Entry<String, Parameter> e : m.namedParameters().entrySet()) {
            vectorgrad.nn.Golden.assertMatches(g.get(e.getKey()), e.getValue().toFloatArray(), e.getKey());
        }
    }
}
