package vectorgrad.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import vectorgrad.autograd.Tensor;
import vectorgrad.nn.Parameter;

/**
 * A whole 2-layer GPT against PyTorch 1.13 (golden/gpt.txt, made by bench/scripts/gpt_golden.py): the
 * same parameter names (so state dicts load both ways), and on the same weights and tokens the same loss
 * and the same gradient for every parameter.
 */
class GptParityTest {
    private static Map<String, double[]> golden() throws IOException {
        Map<String, double[]> m = new LinkedHashMap<>();
        try (BufferedReader r = new BufferedReader(new InputStreamReader(
                GptParityTest.class.getResourceAsStream("/golden/gpt.txt"), StandardCharsets.UTF_8))) {
            for (String line; (line = r.readLine()) != null; ) {
                if (line.startsWith("#") || line.isBlank()) continue;
                String[] kv = line.split("\t");
                String[] vs = kv[1].split(" ");
                double[] d = new double[vs.length];
                for (int i = 0; i < vs.length; i++) d[i] = Double.parseDouble(vs[i]);
                m.put(kv[0], d);
            }
        }
        return m;
    }

    @Test
    void lossAndEveryGradientMatchPyTorch() throws IOException {
        Map<String, double[]> g = golden();
        Gpt model = new Gpt(new Gpt.Config(11, 8, 2, 2, 8, 0.0));
        Map<String, Parameter> params = model.namedParameters();
        TreeSet<String> theirs = new TreeSet<>();
        for (String k : g.keySet()) if (k.startsWith("param.")) theirs.add(k.substring(6));
        assertEquals(theirs, new TreeSet<>(params.keySet()), "parameter names");
        try (var ignored = Tensor.noGrad()) {
            for (var e : params.entrySet()) {
                double[] v = g.get("param." + e.getKey());
                float[] f = new float[v.length];
                for (int i = 0; i < v.length; i++) f[i] = (float) v[i];
                e.getValue().copy_(Tensor.of(f, e.getValue().shape()));
            }
        }
        int[] x = new int[24], y = new int[24];
        for (int b = 0; b < 3; b++)
            for (int j = 0; j < 8; j++) {
                x[b * 8 + j] = (3 * j + b) % 11;
                y[b * 8 + j] = (5 * j + 2 * b + 1) % 11;
            }
        Tensor loss = model.loss(Tensor.ofInts(x, 3, 8), Tensor.ofInts(y, 3, 8));
        loss.backward();
        assertEquals(g.get("loss")[0], loss.item(), 1e-5 * Math.abs(g.get("loss")[0]), "loss");
        for (var e : params.entrySet()) {
            double[] want = g.get("grad." + e.getKey());
            float[] got = e.getValue().grad().toFloatArray();
            for (int i = 0; i < want.length; i++) {
                if (!(Math.abs(want[i] - got[i]) <= 2e-6 + 1e-4 * Math.abs(want[i])))
                    throw new AssertionError(
                            "grad of " + e.getKey() + "[" + i + "]: PyTorch " + want[i] + ", vectorgrad " + got[i]);
            }
        }
    }
}
