package vectorgrad.spark;

import java.io.Serializable;
import java.util.List;
import org.apache.spark.ml.linalg.Vector;
import org.apache.spark.sql.types.ArrayType;
import org.apache.spark.sql.types.BinaryType;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DoubleType;
import org.apache.spark.sql.types.FloatType;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

/**
 * How a column holds one model input of {@code length} values: {@code binary} (one unsigned byte per
 * value, scaled to [0, 1] by /255 as {@code torchvision}'s {@code ToTensor} and vectorgrad's MNIST reader
 * do), {@code array<float>}, {@code array<double>} or an ML {@code vector} (taken as they are).
 */
final class InputColumn implements Serializable {
    enum Kind {
        BYTES,
        FLOATS,
        DOUBLES,
        VECTOR
    }

    final String name;
    final Kind kind;
    final int index, length;

    private InputColumn(String name, Kind kind, int index, int length) {
        this.name = name;
        this.kind = kind;
        this.index = index;
        this.length = length;
    }

    static InputColumn of(StructType schema, String name, int length) {
        if (!List.of(schema.fieldNames()).contains(name))
            throw new IllegalArgumentException("input column '" + name + "' is not in the DataFrame (columns: "
                    + String.join(", ", schema.fieldNames()) + ")");
        StructField f = schema.apply(name);
        DataType t = f.dataType();
        Kind kind;
        if (t instanceof BinaryType) kind = Kind.BYTES;
        else if (t instanceof ArrayType a && a.elementType() instanceof FloatType) kind = Kind.FLOATS;
        else if (t instanceof ArrayType a && a.elementType() instanceof DoubleType) kind = Kind.DOUBLES;
        else if (t.typeName().equals("vector")) kind = Kind.VECTOR;
        else
            throw new IllegalArgumentException("input column '" + name + "' is " + t.simpleString()
                    + "; expected binary (bytes 0-255), array<float>, array<double> or vector");
        return new InputColumn(name, kind, schema.fieldIndex(name), length);
    }

    /**
     * Writes row {@code r}'s input into {@code dst[offset ...]}; returns null, or why the value is not a valid
     * input (null, wrong length, NaN or infinity), in words that name the column.
     */
    String read(org.apache.spark.sql.Row r, float[] dst, int offset) {
        return readValue(r.isNullAt(index) ? null : r.get(index), dst, offset);
    }

    /** As {@link #read} for the column's value itself (as {@code Row.get} returns it). */
    String readValue(Object value, float[] dst, int offset) {
        if (value == null) return "'" + name + "' is null";
        switch (kind) {
            case BYTES -> {
                byte[] b = (byte[]) value;
                if (b.length != length) return wrongLength(b.length);
                for (int i = 0; i < length; i++) dst[offset + i] = (b[i] & 0xFF) / 255f;
            }
            case FLOATS, DOUBLES -> {
                List<?> v = scala.jdk.javaapi.CollectionConverters.asJava((scala.collection.Seq<?>) value);
                if (v.size() != length) return wrongLength(v.size());
                for (int i = 0; i < length; i++) {
                    Object o = v.get(i);
                    if (o == null) return "'" + name + "' holds null at position " + i;
                    float x = ((Number) o).floatValue();
                    if (!Float.isFinite(x)) return "'" + name + "' holds " + x + " at position " + i;
                    dst[offset + i] = x;
                }
            }
            case VECTOR -> {
                Vector v = (Vector) value;
                if (v.size() != length) return wrongLength(v.size());
                for (int i = 0; i < length; i++) {
                    float x = (float) v.apply(i);
                    if (!Float.isFinite(x)) return "'" + name + "' holds " + x + " at position " + i;
                    dst[offset + i] = x;
                }
            }
        }
        return null;
    }

    private String wrongLength(int n) {
        return "'" + name + "' has " + n + " values, expected " + length;
    }
}
