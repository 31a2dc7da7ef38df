/**
 * Modules, layers, the functional ops, losses, optimizers, data loading and safetensors/checkpoint files:
 * PyTorch's {@code torch.nn}, {@code torch.optim} and {@code torch.utils.data} for the JVM. Reading this
 * module reads {@code vectorgrad.autograd} too.
 *
 * <p>A model's own fields are found by reflection ({@link vectorgrad.nn.Module#parameters()}): a model
 * class in a named module opens its package to {@code vectorgrad.nn}, or keeps its layers in public fields.
 */
module vectorgrad.nn {
    requires transitive vectorgrad.autograd;
    requires java.net.http; // Mnist's --download
    requires jdk.unsupported; // sun.misc.Signal: Interruptible's Ctrl-C and SIGTERM handling

    exports vectorgrad.nn;
    exports vectorgrad.nn.data;
    exports vectorgrad.nn.io;
    exports vectorgrad.nn.layers;
    exports vectorgrad.nn.loss;
    exports vectorgrad.nn.optim;
    exports vectorgrad.nn.train;
    exports vectorgrad.nn.utils;
}
