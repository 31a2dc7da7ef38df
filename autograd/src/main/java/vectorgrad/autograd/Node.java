package vectorgrad.autograd;

import vectorgrad.autograd.internal.BackwardFn;

/**
 * One recorded op: its inputs and its backward rule. After a backward pass without {@code retainGraph}
 * it is freed: the inputs and the rule (with every tensor it saved) are dropped, and a second backward
 * through it gets a clear error instead of wrong gradients.
 */
final class Node {
    final String op;
    Tensor[] inputs;
    BackwardFn backward;
    /** Where the op was recorded; captured only while {@link Anomaly} detection is on. */
    StackTraceElement[] createdAt;

    Node(String op, Tensor[] inputs, BackwardFn backward) {
        this.op = op;
        this.inputs = inputs;
        this.backward = backward;
    }

    boolean isFreed() {
        return backward == null;
    }

    void free() {
        inputs = null;
        backward = null;
    }
}
