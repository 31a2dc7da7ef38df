package vectorgrad.autograd.internal;

import vectorgrad.autograd.Tensor;

/**
 * An op's backward rule: given the gradient of its output, the gradient of each input that {@code need}s
 * one (null for the others), each shaped as its input.
 */
@FunctionalInterface
public interface BackwardFn {
    Tensor[] apply(Tensor grad, boolean[] need);
}
