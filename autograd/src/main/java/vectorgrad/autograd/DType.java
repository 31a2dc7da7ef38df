package vectorgrad.autograd;

/** Element types. Float32 for all arithmetic; int32 for class labels and argmax indices. */
public enum DType {
    FLOAT32,
    INT32;

    public String torchName() {
        return this == FLOAT32 ? "torch.float32" : "torch.int32";
    }
}
