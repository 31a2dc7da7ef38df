package vectorgrad.autograd;

/**
 * A scope in which no graph is recorded, as {@code with torch.no_grad():}. Per thread; scopes nest.
 *
 * <pre>{@code try (var g = Tensor.noGrad()) { probs = model.forward(x).softmax(1); } }</pre>
 */
public final class NoGrad implements AutoCloseable {
    private static final ThreadLocal<int[]> DEPTH = ThreadLocal.withInitial(() -> new int[1]);
    private final Thread owner = Thread.currentThread();
    private boolean closed;

    NoGrad() {
        DEPTH.get()[0]++;
    }

    static boolean gradEnabled() {
        return DEPTH.get()[0] == 0;
    }

    @Override
    public void close() {
        if (closed) return;
        if (Thread.currentThread() != owner)
            throw new IllegalStateException("a no-grad scope must be closed on the thread that opened it");
        closed = true;
        DEPTH.get()[0]--;
    }
}
