package vectorgrad.autograd;

import vectorgrad.autograd.internal.Shapes;

/**
 * Anomaly detection, as {@code torch.autograd.detect_anomaly}: while it is on, every op's output and
 * every gradient a backward rule returns is checked for NaN and infinity, and the first one found throws
 * an {@link AnomalyException} naming the op, the shapes, and the line of user code that created the op.
 *
 * <p>Off by default, and then free: {@link Tensor#record} and the backward pass read one volatile
 * boolean. On, it costs a scan of every output and a captured stack trace per recorded op — a debugging
 * tool, as in PyTorch. The switch is process-wide, as PyTorch's.
 *
 * <pre>{@code try (var a = Anomaly.detect()) { loss = model.forward(x); loss.backward(); } }</pre>
 */
public final class Anomaly implements AutoCloseable {
    /** On when set, or while any {@link #detect()} scope is open (counted: scopes on several threads nest safely). */
    private static volatile boolean enabled, flag;

    private static final java.util.concurrent.atomic.AtomicInteger OPEN_SCOPES =
            new java.util.concurrent.atomic.AtomicInteger();
    /** Per thread: inside the backward pass, ops are a rule's internals and are reported as the rule. */
    private static final ThreadLocal<int[]> IN_BACKWARD = ThreadLocal.withInitial(() -> new int[1]);

    private boolean closed;

    private Anomaly() {
        OPEN_SCOPES.incrementAndGet();
        update();
    }

    private static synchronized void update() {
        enabled = flag || OPEN_SCOPES.get() > 0;
    }

    /** Turns detection on until the returned scope is closed. */
    public static Anomaly detect() {
        return new Anomaly();
    }

    /** {@code torch.autograd.set_detect_anomaly(on)}; open {@link #detect()} scopes keep it on regardless. */
    public static void setEnabled(boolean on) {
        flag = on;
        update();
    }

    public static boolean isEnabled() {
        return enabled;
    }

    @Override
    public void close() {
        if (closed) return;
        closed = true;
        OPEN_SCOPES.decrementAndGet();
        update();
    }

    /** Thrown when an op or a backward rule produces NaN or infinity while detection is on. */
    public static final class AnomalyException extends ArithmeticException {
        AnomalyException(String message) {
            super(message);
        }
    }

    // ------------------------------------------------------------------ hooks

    static void enterBackward() {
        IN_BACKWARD.get()[0]++;
    }

    static void exitBackward() {
        IN_BACKWARD.get()[0]--;
    }

    /** Called by {@link Tensor#record} when enabled: checks a forward output. */
    static void checkForward(Tensor out, String op, Tensor[] inputs) {
        if (IN_BACKWARD.get()[0] > 0) return;
        String bad = nonFiniteIn(out);
        if (bad == null) return;
        StringBuilder m = new StringBuilder("'")
                .append(op)
                .append("' produced ")
                .append(bad)
                .append(" in its output of shape ")
                .append(Shapes.str(out.shape()))
                .append(" from inputs of shape");
        appendShapes(m, inputs);
        for (int i = 0; i < inputs.length; i++) {
            if (nonFiniteIn(inputs[i]) != null) {
                m.append("; input ")
                        .append(i)
                        .append(" already held ")
                        .append(nonFiniteIn(inputs[i]))
                        .append(
                                inputs[i].gradFn != null
                                        ? " (made by '" + inputs[i].gradFn.op + "')"
                                        : " (a leaf: a parameter or data)");
            }
        }
        m.append("; created at ").append(userFrame(new Throwable().getStackTrace()));
        throw new AnomalyException(m.toString());
    }

    /** Called by the backward pass when enabled: checks the gradients a node's rule returned. */
    static void checkBackward(Node node, Tensor outGrad, Tensor[] inputs, Tensor[] inGrads) {
        for (int j = 0; j < inGrads.length; j++) {
            if (inGrads[j] == null) continue;
            String bad = nonFiniteIn(inGrads[j]);
            if (bad == null) continue;
            StringBuilder m = new StringBuilder("backward of '")
                    .append(node.op)
                    .append("' returned ")
                    .append(bad)
                    .append(" in the gradient for its input ")
                    .append(j)
                    .append(" of shape ")
                    .append(Shapes.str(inputs[j].shape()))
                    .append(" (inputs of shape");
            appendShapes(m, inputs);
            m.append(
                            outGrad != null && nonFiniteIn(outGrad) != null
                                    ? "; the incoming gradient already held " + nonFiniteIn(outGrad)
                                    : "")
                    .append("); the op was created at ")
                    .append(
                            node.createdAt == null
                                    ? "(unknown: recorded before detection was on)"
                                    : userFrame(node.createdAt));
            throw new AnomalyException(m.toString());
        }
    }

    static StackTraceElement[] captureCreation() {
        return new Throwable().getStackTrace();
    }

    private static void appendShapes(StringBuilder m, Tensor[] inputs) {
        for (int i = 0; i < inputs.length; i++) m.append(i == 0 ? " " : ", ").append(Shapes.str(inputs[i].shape()));
    }

    /** "NaN", "infinity" or "NaN and infinity" if {@code t} holds such values; null when all are finite (or not float). */
    public static String nonFiniteIn(Tensor t) {
        if (t.dtype() != DType.FLOAT32 || t.isClosed()) return null;
        int f = vectorgrad.kernels.Reduce.nonFinite(t.seg(), 0, t.numel());
        boolean nan = (f & vectorgrad.kernels.Reduce.HAS_NAN) != 0,
                inf = (f & vectorgrad.kernels.Reduce.HAS_INFINITY) != 0;
        return nan && inf ? "NaN and infinity" : nan ? "NaN" : inf ? "infinity" : null;
    }

    /** Compiled on first use (a report), not when the class loads: a model's first call does not need it. */
    private static final class Internal {
        static final java.util.regex.Pattern PATTERN = java.util.regex.Pattern.compile(
                "vectorgrad\\.autograd\\.(Tensor|ElementwiseOps|ReductionOps|MatmulOp|ShapeOps|InternalAccess|Anomaly|Autograd|Node|MemoryScope|NoGrad|internal\\.)\\b");
    }

    /** The first frame outside vectorgrad's autograd: where the user (or a layer) called the op. */
    private static String userFrame(StackTraceElement[] trace) {
        StackTraceElement layer = null;
        for (StackTraceElement e : trace) {
            String c = e.getClassName();
            if (Internal.PATTERN.matcher(c).lookingAt() || c.startsWith("java.") || c.startsWith("jdk.")) continue;
            if (c.startsWith("vectorgrad.nn.")) { // a layer or Functional: remember it, report the caller
                if (layer == null) layer = e;
                continue;
            }
            return e + (layer != null ? " (through " + layer + ")" : "");
        }
        return layer != null ? layer.toString() : "(unknown)";
    }
}
