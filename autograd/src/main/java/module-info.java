/**
 * Tensors in native memory that record their operations, and reverse-mode automatic differentiation:
 * {@link vectorgrad.autograd.Tensor}, {@link vectorgrad.autograd.Threads}, {@link vectorgrad.autograd.Memory}.
 * {@code vectorgrad.autograd.internal} (raw memory, the neural-network ops' implementations, fused optimizer
 * steps) is exported to {@code vectorgrad.nn} only.
 */
module vectorgrad.autograd {
    requires vectorgrad.kernels;

    exports vectorgrad.autograd;
    exports vectorgrad.autograd.internal to
            vectorgrad.nn;
}
