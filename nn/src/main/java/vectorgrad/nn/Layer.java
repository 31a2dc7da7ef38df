package vectorgrad.nn;

import vectorgrad.autograd.Tensor;

/** A module with one input and one output — what {@link Sequential} chains. */
public abstract class Layer extends Module {
    public abstract Tensor forward(Tensor x);
}
