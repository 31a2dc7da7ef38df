package vectorgrad.autograd;

import java.util.ArrayList;

/**
 * Releases, on close, every tensor created on this thread inside the scope, except those kept.
 *
 * <pre>{@code
 * try (var scope = MemoryScope.open()) {
 *     Tensor loss = model.forward(x, y).mean().neg();
 *     loss.backward();
 *     result = scope.keep(loss.detach());
 * }   // every other intermediate's memory is back in the cache now, without waiting for the GC
 * }</pre>
 *
 * Parameters, gradients and optimizer state are never created inside a user's scope by the library, so
 * they survive it. The autograd engine runs each backward pass inside one, which is why a backward pass
 * leaves no temporaries behind. Scopes nest; a tensor belongs to the innermost.
 */
public final class MemoryScope implements AutoCloseable {
    private static final ThreadLocal<MemoryScope> CURRENT = new ThreadLocal<>();

    private final MemoryScope parent;
    private final Thread owner = Thread.currentThread();
    // Each tensor records its scope (Tensor.scope); a tensor kept or escaped points elsewhere and is
    // skipped on close. A plain list keeps tracking to one append per tensor.
    private final ArrayList<Tensor> created = new ArrayList<>();
    private boolean closed;

    private MemoryScope(MemoryScope parent) {
        this.parent = parent;
    }

    public static MemoryScope open() {
        MemoryScope s = new MemoryScope(CURRENT.get());
        CURRENT.set(s);
        return s;
    }

    static void track(Tensor t) {
        MemoryScope s = CURRENT.get();
        if (s != null) {
            s.created.add(t);
            t.scope = s;
        }
    }

    /** Keeps {@code t} alive past this scope (it moves to the enclosing scope, if any). */
    public <T extends Tensor> T keep(T t) {
        if (t.scope == this) {
            t.scope = parent;
            if (parent != null) parent.created.add(t);
        }
        return t;
    }

    /** Whether {@code t} was created in this scope and is still to be released by it. */
    boolean owns(Tensor t) {
        return t.scope == this;
    }

    /** Keeps {@code t} out of this scope and every enclosing one (a leaf's gradient, optimizer state). */
    void escape(Tensor t) {
        if (t.scope == this) t.scope = null;
    }

    /**
     * Runs {@code body} with no scope active on this thread, so what it creates belongs to no scope:
     * for long-lived state (optimizer moments, parameters) created lazily inside a user's scope.
     */
    public static <T> T outside(java.util.function.Supplier<T> body) {
        MemoryScope saved = CURRENT.get();
        CURRENT.remove();
        try {
            return body.get();
        } finally {
            if (saved != null) CURRENT.set(saved);
        }
    }

    @Override
    public void close() {
        if (closed) return;
        if (Thread.currentThread() != owner)
            throw new IllegalStateException("a MemoryScope must be closed on the thread that opened it");
        if (CURRENT.get() != this)
            throw new IllegalStateException("MemoryScope closed out of order: close inner scopes first");
        closed = true;
        if (parent != null) CURRENT.set(parent);
        else CURRENT.remove();
        for (int i = 0, n = created.size(); i < n; i++) {
            Tensor t = created.get(i);
            if (t.scope == this) {
                t.scope = null;
                t.close();
            }
        }
        created.clear();
    }
}
