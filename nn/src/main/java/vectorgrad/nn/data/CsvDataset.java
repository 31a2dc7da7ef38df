package vectorgrad.nn.data;

import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import vectorgrad.autograd.Tensor;

/**
 * A table read from a CSV file with a header line: chosen feature columns become float32 inputs
 * {@code [N, features]}, one target column becomes {@code [N, 1]} float32 (regression) or {@code [N]}
 * int32 class indices (classification). Fields are comma-separated; double quotes may enclose a field
 * (with {@code ""} for a quote); blank lines are skipped. A field that is not a number, a missing field or
 * a row of the wrong length is an {@link IllegalArgumentException} naming the file, line, column and value.
 *
 * <p>Class labels: when every target value is an integer, it is the class index; otherwise the distinct
 * values, sorted, are numbered from 0 ({@link #classes()}).
 */
public final class CsvDataset implements Dataset<Sample>, RowBatches {
    private final TensorDataset rows;
    private final List<String> featureNames;
    private final String targetName;
    private final List<String> classes;

    private CsvDataset(TensorDataset rows, List<String> featureNames, String targetName, List<String> classes) {
        this.rows = rows;
        this.featureNames = featureNames;
        this.targetName = targetName;
        this.classes = classes;
    }

    /**
     * Reads {@code file}.
     *
     * @param target the target column's name
     * @param features the feature columns' names, or null for every column but the target
     * @param classification targets are classes (int32) rather than values (float32)
     */
    public static CsvDataset read(Path file, String target, List<String> features, boolean classification)
            throws IOException {
        List<String[]> records = new ArrayList<>();
        List<Integer> lineNumbers = new ArrayList<>();
        String[] header = null;
        try (BufferedReader in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            String line;
            int number = 0;
            while ((line = in.readLine()) != null) {
                number++;
                if (line.isBlank()) continue;
                String[] fields = split(line, file, number);
                if (header == null) {
                    header = fields;
                    if (number == 1 && header.length > 0 && header[0].startsWith("\uFEFF"))
                        header[0] = header[0].substring(1);
                    continue;
                }
                if (fields.length != header.length) {
                    throw new IllegalArgumentException(file + " line " + number + ": " + fields.length
                            + " fields, but the header has " + header.length);
                }
                records.add(fields);
                lineNumbers.add(number);
            }
        }
        if (header == null) throw new IllegalArgumentException(file + ": empty file (a header line is needed)");
        List<String> names = Arrays.stream(header).map(String::strip).toList();
        int t = names.indexOf(target);
        if (t < 0) throw new IllegalArgumentException(file + ": no column \"" + target + "\" (columns: " + names + ")");
        List<String> chosen = features != null
                ? List.copyOf(features)
                : names.stream().filter(n -> !n.equals(target)).toList();
        int[] cols = new int[chosen.size()];
        for (int i = 0; i < cols.length; i++) {
            cols[i] = names.indexOf(chosen.get(i));
            if (cols[i] < 0)
                throw new IllegalArgumentException(
                        file + ": no column \"" + chosen.get(i) + "\" (columns: " + names + ")");
        }
        if (records.isEmpty()) throw new IllegalArgumentException(file + ": no data rows after the header");
        int n = records.size(), f = cols.length;
        float[] x = new float[n * f];
        for (int r = 0; r < n; r++)
            for (int j = 0; j < f; j++)
                x[r * f + j] = number(records.get(r)[cols[j]], file, lineNumbers.get(r), cols[j], names);
        Tensor inputs = Tensor.of(x, n, f), targets;
        List<String> classes = List.of();
        if (classification) {
            String[] raw = new String[n];
            boolean integral = true;
            for (int r = 0; r < n; r++) {
                raw[r] = records.get(r)[t].strip();
                if (raw[r].isEmpty())
                    throw new IllegalArgumentException(file + " line " + lineNumbers.get(r) + ", column " + (t + 1)
                            + " (\"" + target + "\"): missing value");
                integral &= raw[r].matches("-?\\d+");
            }
            int[] y = new int[n];
            if (integral) {
                for (int r = 0; r < n; r++) {
                    y[r] = Integer.parseInt(raw[r]);
                    if (y[r] < 0)
                        throw new IllegalArgumentException(file + " line " + lineNumbers.get(r) + ", column " + (t + 1)
                                + " (\"" + target + "\"): class " + y[r] + " is negative");
                }
            } else {
                Map<String, Integer> index = new TreeMap<>();
                for (String v : new TreeSet<>(Arrays.asList(raw))) index.put(v, index.size());
                for (int r = 0; r < n; r++) y[r] = index.get(raw[r]);
                classes = List.copyOf(index.keySet());
            }
            targets = Tensor.ofInts(y, n);
        } else {
            float[] y = new float[n];
            for (int r = 0; r < n; r++) y[r] = number(records.get(r)[t], file, lineNumbers.get(r), t, names);
            targets = Tensor.of(y, n, 1);
        }
        return new CsvDataset(new TensorDataset(inputs, targets), chosen, target, classes);
    }

    private static float number(String field, Path file, int line, int col, List<String> names) {
        String v = field.strip();
        String where = file + " line " + line + ", column " + (col + 1) + " (\"" + names.get(col) + "\")";
        if (v.isEmpty()) throw new IllegalArgumentException(where + ": missing value");
        try {
            float f = Float.parseFloat(v);
            if (!Float.isFinite(f)) throw new NumberFormatException();
            return f;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(where + ": cannot read \"" + v + "\" as a finite number");
        }
    }

    /** One line's fields: commas separate, double quotes enclose, {@code ""} inside quotes is a quote. */
    static String[] split(String line, Path file, int number) {
        List<String> out = new ArrayList<>();
        StringBuilder cur = new StringBuilder();
        boolean quoted = false;
        for (int i = 0; i < line.length(); i++) {
            char c = line.charAt(i);
            if (quoted) {
                if (c == '"' && i + 1 < line.length() && line.charAt(i + 1) == '"') {
                    cur.append('"');
                    i++;
                } else if (c == '"') {
                    quoted = false;
                } else {
                    cur.append(c);
                }
            } else if (c == '"') {
                quoted = true;
            } else if (c == ',') {
                out.add(cur.toString());
                cur.setLength(0);
            } else {
                cur.append(c);
            }
        }
        if (quoted) throw new IllegalArgumentException(file + " line " + number + ": a quoted field is not closed");
        out.add(cur.toString());
        return out.toArray(String[]::new);
    }

    /** The inputs {@code [N, features]}. */
    public Tensor inputs() {
        return rows.inputs();
    }

    /** The targets: {@code [N, 1]} float32, or {@code [N]} int32 classes. */
    public Tensor targets() {
        return rows.targets();
    }

    public List<String> featureNames() {
        return featureNames;
    }

    public String targetName() {
        return targetName;
    }

    /** The class names when the target column held text, in index order; empty otherwise. */
    public List<String> classes() {
        return classes;
    }

    @Override
    public int size() {
        return rows.size();
    }

    @Override
    public Sample get(int index) {
        return rows.get(index);
    }

    @Override
    public Sample rows(int[] indices) {
        return rows.rows(indices);
    }
}
