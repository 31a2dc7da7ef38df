package vectorgrad.nn;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;

/** Reads golden/torch_golden.txt (written by bench/scripts/torch_golden.py): {@code key<TAB>values}. */
public final class Golden {
    private final Map<String, double[]> values = new HashMap<>();

    public Golden(String resource) {
        try (InputStream in = Golden.class.getResourceAsStream(resource)) {
            if (in == null) throw new IllegalStateException("missing test resource " + resource);
            BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
            String line;
            while ((line = r.readLine()) != null) {
                if (line.isBlank() || line.startsWith("#")) continue;
                int tab = line.indexOf('\t');
                String[] parts = line.substring(tab + 1).trim().split(" +");
                double[] v = new double[parts.length];
                for (int i = 0; i < parts.length; i++) v[i] = Double.parseDouble(parts[i]);
                values.put(line.substring(0, tab), v);
            }
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    public double[] get(String key) {
        double[] v = values.get(key);
        if (v == null) throw new IllegalArgumentException("golden file has no key " + key);
        return v;
    }

    float[] floats(String key) {
        double[] d = get(key);
        float[] f = new float[d.length];
        for (int i = 0; i < d.length; i++) f[i] = (float) d[i];
        return f;
    }

    /** Parity tolerance: 1e-5 relative, 1e-6 absolute for values near zero. */
    public static void assertMatches(double[] want, float[] got, String what) {
        if (want.length != got.length)
            throw new AssertionError(what + ": length " + got.length + ", PyTorch has " + want.length);
        for (int i = 0; i < want.length; i++) {
            if (!(Math.abs(want[i] - got[i]) <= 1e-6 + 1e-5 * Math.abs(want[i]))) {
                throw new AssertionError(what + "[" + i + "]: PyTorch " + want[i] + ", vectorgrad " + got[i]);
            }
        }
    }
}
