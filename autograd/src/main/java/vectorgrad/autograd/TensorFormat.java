package vectorgrad.autograd;

import java.util.Locale;

/** {@code toString()} in the style of PyTorch's repr, eliding the middle of large tensors. */
final class TensorFormat {
    private TensorFormat() {}

    private static final int THRESHOLD = 1000; // PyTorch's default print threshold
    private static final int EDGE = 3;

    static String format(Tensor t) {
        int[] shape = t.shape();
        float[] v = t.toFloatArray();
        boolean elide = v.length > THRESHOLD;
        boolean ints = t.dtype() == DType.INT32;
        boolean allIntegral = true;
        double maxAbs = 0, minAbs = Double.MAX_VALUE;
        for (float x : v) {
            if (!Float.isFinite(x)) continue;
            if (x != Math.rint(x)) allIntegral = false;
            double a = Math.abs(x);
            maxAbs = Math.max(maxAbs, a);
            if (a > 0) minAbs = Math.min(minAbs, a);
        }
        boolean sci = !ints
                && !allIntegral
                && (maxAbs >= 1e8
                        || (minAbs < 1e-4 && minAbs > 0)
                        || (minAbs != Double.MAX_VALUE && maxAbs / minAbs > 1000));
        StringBuilder sb = new StringBuilder("tensor(");
        if (shape.length == 0) {
            sb.append(num(v[0], ints, allIntegral, sci));
        } else {
            appendDim(sb, v, shape, 0, 0, ints, allIntegral, sci, elide, 7);
        }
        if (ints) sb.append(", dtype=torch.int32");
        if (t.gradFn != null) sb.append(", grad_fn=<").append(cap(t.gradFn.op)).append("Backward>");
        else if (t.requiresGrad) sb.append(", requires_grad=True");
        return sb.append(')').toString();
    }

    private static String cap(String op) {
        StringBuilder sb = new StringBuilder();
        for (String part : op.split("_")) {
            if (!part.isEmpty())
                sb.append(Character.toUpperCase(part.charAt(0))).append(part.substring(1));
        }
        return sb.toString();
    }

    private static String num(float x, boolean ints, boolean integral, boolean sci) {
        if (ints) return Integer.toString((int) x);
        if (Float.isNaN(x)) return "nan";
        if (Float.isInfinite(x)) return x > 0 ? "inf" : "-inf";
        if (integral) return String.format(Locale.ROOT, "%.0f.", x);
        if (sci) return String.format(Locale.ROOT, "%.4e", x);
        return String.format(Locale.ROOT, "%.4f", x);
    }

    private static void appendDim(
            StringBuilder sb,
            float[] v,
            int[] shape,
            int d,
            long offset,
            boolean ints,
            boolean integral,
            boolean sci,
            boolean elide,
            int indent) {
        long stride = 1;
        for (int i = d + 1; i < shape.length; i++) stride *= shape[i];
        sb.append('[');
        int n = shape[d];
        boolean cut = elide && n > 2 * EDGE;
        for (int i = 0; i < n; i++) {
            if (cut && i == EDGE) {
                sb.append("...");
                i = n - EDGE - 1;
                sb.append(
                        d == shape.length - 1
                                ? ", "
                                : "," + "\n".repeat(shape.length - 1 - d) + " ".repeat(indent + d + 1));
                continue;
            }
            if (d == shape.length - 1) sb.append(num(v[(int) (offset + i)], ints, integral, sci));
            else appendDim(sb, v, shape, d + 1, offset + i * stride, ints, integral, sci, elide, indent);
            if (i < n - 1) {
                if (d == shape.length - 1) sb.append(", ");
                else sb.append(',').append("\n".repeat(shape.length - 1 - d)).append(" ".repeat(indent + d + 1));
            }
        }
        sb.append(']');
    }
}
