package vectorgrad.autograd;

import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.Set;

/**
 * Releases, on close, every tensor created on this thread inside the scope, except those kept.
 *
 * <pre>{@code
 * try (var scope = MemoryScope.open()) {
 *     Tensor loss = model.forward(x, y).mean().neg();
 *     loss.backward();
 *     result = scope.keep(loss.detach());
 * }   // every other intermediate's memory is back in the pool now, without waiting for the GC
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
    private final Set<Tensor> created = Collections.newSetFromMap(new IdentityHashMap<>());
    private final Set<Tensor> kept = Collections.newSetFromMap(new IdentityHashMap<>());
    private final Set<Tensor> escaped = Collections.newSetFromMap(new IdentityHashMap<>());
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
        if (s != null) s.created.add(t);
    }

    /** Keeps {@code t} alive past this scope (it moves to the enclosing scope, if any). */
    public <T extends Tensor> T keep(T t) {
        kept.add(t);
        return t;
    }

    boolean isKept(Tensor t) {
        return kept.contains(t) || escaped.contains(t);
    }

    /** Keeps {@code t} out of this scope and every enclosing one (a leaf's gradient, optimizer state). */
    void escape(Tensor t) {
        escaped.add(t);
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

    boolean created(Tensor t) {
        return created.contains(t);
    }

    @Override
    public void close() {
        if (closed) return;
        if (Thread.currentThread() != owner) throw new IllegalStateException("a MemoryScope must be closed on the thread that opened it");
        if (CURRENT.get() != this) throw new IllegalStateException("MemoryScope closed out of order: close inner scopes first");
        closed = true;
        CURRENT.set(parent);
        for (Tensor t : created) {
            if (escaped.contains(t)) continue;
            if (kept.contains(t)) {
                if (parent != null) parent.created.add(t);
            } else {
                t.close();
            }
        }
        created.clear();
    }
}
