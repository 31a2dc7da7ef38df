package vectorgrad.autograd;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import vectorgrad.autograd.internal.Shapes;
import vectorgrad.kernels.Elementwise;

/**
 * The backward pass: reverse topological order over the recorded nodes, gradients summed where a
 * tensor feeds several ops, leaves' {@code grad} accumulated in place across calls (as PyTorch).
 *
 * <p>Memory: the pass runs inside a {@link MemoryScope}, so every intermediate gradient it creates is
 * back in the cache when it returns; only the leaves' gradients survive. Without {@code retainGraph}
 * each node is freed as soon as it has run, dropping what the forward pass saved for it.
 */
final class Autograd {
    private Autograd() {}

    static void backward(Tensor root, Tensor seed, boolean retainGraph) {
        int[] shape = root.shape();
        if (seed != null && !Arrays.equals(seed.shape(), shape)) {
            throw new IllegalArgumentException("gradient has shape " + Shapes.str(seed.shape())
                    + " but the output has shape " + Shapes.str(shape));
        }
        if (seed == null && root.numel() != 1) {
            throw new IllegalStateException(
                    "grad can be implicitly created only for scalar outputs (this tensor has shape " + Shapes.str(shape)
                            + ")");
        }
        if (!root.requiresGrad) {
            throw new IllegalStateException(
                    "element 0 of tensors does not require grad and does not have a grad_fn (shape "
                            + Shapes.str(root.shape()) + ")");
        }
        List<Tensor> order = topologicalOrder(root);
        boolean anomaly = Anomaly.isEnabled();
        boolean profiled = Profiler.enabled;
        if (profiled) Profiler.inBackward(true);
        if (anomaly) Anomaly.enterBackward();
        try (NoGrad ignored = Tensor.noGrad();
                MemoryScope scope = MemoryScope.open()) {
            Tensor start = seed != null ? seed : Tensor.onesLike(root);
            if (root.gradFn == null) {
                accumulateLeaf(root, start, scope, Map.of());
                return;
            }
            Map<Tensor, Tensor> grads = new IdentityHashMap<>();
            grads.put(root, start);
            for (int i = order.size() - 1; i >= 0; i--) {
                Tensor t = order.get(i);
                Tensor g = grads.remove(t);
                if (g == null) continue;
                Node node = t.gradFn;
                Tensor[] inputs = node.inputs;
                boolean[] need = new boolean[inputs.length];
                for (int j = 0; j < inputs.length; j++) need[j] = inputs[j].requiresGrad;
                long t0 = Profiler.enabled ? System.nanoTime() : 0;
                Tensor[] inGrads = node.backward.apply(g, need);
                if (anomaly) Anomaly.checkBackward(node, g, inputs, inGrads);
                // non-leaf inputs first, so that a leaf can tell whether the map still reads its gradient
                for (int pass = 0; pass < 2; pass++) {
                    for (int j = 0; j < inputs.length; j++) {
                        if (!need[j] || inGrads[j] == null) continue;
                        Tensor in = inputs[j], gi = inGrads[j];
                        boolean leaf = in.gradFn == null;
                        if (leaf != (pass == 1)) continue;
                        if (!Arrays.equals(gi.shape(), in.shape())) {
                            throw new IllegalStateException("backward of '" + node.op
                                    + "' returned a gradient of shape " + Shapes.str(gi.shape()) + " for input " + j
                                    + " of shape " + Shapes.str(in.shape()));
                        }
                        if (leaf) {
                            accumulateLeaf(in, gi, scope, grads);
                        } else {
                            Tensor prev = grads.get(in);
                            grads.put(in, prev == null ? gi : prev.add(gi));
                        }
                    }
                }
                if (!retainGraph) node.free();
                if (t0 != 0) Profiler.backward(node.op, inputs, System.nanoTime() - t0);
            }
        } finally {
            if (anomaly) Anomaly.exitBackward();
            if (profiled) Profiler.inBackward(false);
        }
    }

    /** Adds {@code g} into {@code leaf.grad}, which stays exclusively the leaf's. */
    private static void accumulateLeaf(Tensor leaf, Tensor g, MemoryScope scope, Map<Tensor, Tensor> pending) {
        if (leaf.grad == null || leaf.grad.isClosed()) {
            // Take g over only if this pass made it, with memory of its own, and nothing else will read
            // it; otherwise copy, so that accumulating in place later never writes into another tensor.
            boolean exclusive = scope.owns(g) && g.ownsStorage() && !pending.containsValue(g);
            Tensor owned = exclusive ? g : copyOf(g);
            scope.escape(owned);
            leaf.grad = owned;
        } else {
            Elementwise.axpy(leaf.grad.numel(), 1f, g.seg(), 0, leaf.grad.seg(), 0);
        }
    }

    private static Tensor copyOf(Tensor g) {
        Tensor c = Tensor.empty(g.shape());
        Elementwise.copy(g.seg(), 0, c.seg(), 0, g.numel());
        return c;
    }

    private static List<Tensor> topologicalOrder(Tensor root) {
        List<Tensor> order = new ArrayList<>();
        Set<Tensor> visited = Collections.newSetFromMap(new IdentityHashMap<>());
        // iterative post-order DFS: deep graphs must not overflow the stack
        ArrayDeque<Object[]> stack = new ArrayDeque<>();
        if (root.gradFn != null) {
            checkNotFreed(root);
            visited.add(root);
            stack.push(new Object[] {root, 0});
        }
        while (!stack.isEmpty()) {
            Object[] frame = stack.peek();
            Tensor t = (Tensor) frame[0];
            int next = (Integer) frame[1];
            Tensor[] inputs = t.gradFn.inputs;
            if (next < inputs.length) {
                frame[1] = next + 1;
                Tensor in = inputs[next];
                if (in.gradFn != null && in.requiresGrad && visited.add(in)) {
                    checkNotFreed(in);
                    stack.push(new Object[] {in, 0});
                }
            } else {
                stack.pop();
                order.add(t);
            }
        }
        return order;
    }

    private static void checkNotFreed(Tensor t) {
        if (t.gradFn.isFreed()) {
            throw new IllegalStateException(
                    "Trying to backward through the graph a second time (the saved tensors of '"
                            + t.gradFn.op + "' producing shape " + Shapes.str(t.shape())
                            + " were freed by an earlier backward()). Call backward(gradient, true) the first time to retain the graph.");
        }
    }
}
