package vectorgrad.examples;

import vectorgrad.autograd.Tensor;
import vectorgrad.nn.Layer;
import vectorgrad.nn.Sequential;
import vectorgrad.nn.layers.AdaptiveAvgPool2d;
import vectorgrad.nn.layers.BatchNorm2d;
import vectorgrad.nn.layers.Conv2d;
import vectorgrad.nn.layers.Flatten;
import vectorgrad.nn.layers.Linear;

/**
 * A small ResNet for 28×28 grey images: a stem ({@code Conv2d(1, 32, 3, padding=1, bias=False)},
 * {@code BatchNorm2d}, ReLU), three stages of two {@link BasicBlock}s with 32, 64 and 128 channels (the
 * first block of stages 2 and 3 at stride 2: 28 → 14 → 7), {@code AdaptiveAvgPool2d(1)}, {@code Flatten},
 * {@code Linear(128, 10)}. Input {@code [B, 1, 28, 28]}, output logits {@code [B, 10]}. Each batch norm
 * followed by a ReLU runs as one op, and so does a block's last batch norm with the shortcut's add and the
 * ReLU ({@code forwardRelu}, {@code forwardAddRelu}: the same values as the separate ops). PyTorch's default
 * initialisation, and torchvision's names ({@code conv1}, {@code bn1}, {@code layer2.0.downsample.1.running_mean},
 * {@code fc.weight}), so the state dict loads into torchvision-style code.
 */
public final class SmallResNet extends Layer {
    public final Conv2d conv1 = conv3x3(1, 32, 1);
    public final BatchNorm2d bn1 = new BatchNorm2d(32);
    public final Sequential layer1 = new Sequential(new BasicBlock(32, 32, 1), new BasicBlock(32, 32, 1));
    public final Sequential layer2 = new Sequential(new BasicBlock(32, 64, 2), new BasicBlock(64, 64, 1));
    public final Sequential layer3 = new Sequential(new BasicBlock(64, 128, 2), new BasicBlock(128, 128, 1));
    public final AdaptiveAvgPool2d avgpool = new AdaptiveAvgPool2d(1);
    public final Flatten flatten = new Flatten(1);
    public final Linear fc = new Linear(128, 10);

    @Override
    public Tensor forward(Tensor x) {
        Tensor h = bn1.forwardRelu(conv1.forward(x));
        h = layer3.forward(layer2.forward(layer1.forward(h)));
        return fc.forward(flatten.forward(avgpool.forward(h)));
    }

    static Conv2d conv3x3(int in, int out, int stride) {
        return new Conv2d(in, out, 3, Conv2d.options().stride(stride).padding(1).bias(false));
    }

    /**
     * torchvision's basic residual block: {@code relu(bn2(conv2(relu(bn1(conv1(x))))) + shortcut(x))},
     * 3×3 convolutions without bias; the shortcut is the identity, or {@code downsample} (a 1×1 convolution
     * and {@code BatchNorm2d}) where the stride or the channel count changes.
     */
    public static final class BasicBlock extends Layer {
        public final Conv2d conv1, conv2;
        public final BatchNorm2d bn1, bn2;
        /** Null for the identity shortcut. */
        public final Sequential downsample;

        public BasicBlock(int in, int out, int stride) {
            conv1 = conv3x3(in, out, stride);
            bn1 = new BatchNorm2d(out);
            conv2 = conv3x3(out, out, 1);
            bn2 = new BatchNorm2d(out);
            downsample = stride != 1 || in != out
                    ? new Sequential(
                            new Conv2d(
                                    in, out, 1, Conv2d.options().stride(stride).bias(false)),
                            new BatchNorm2d(out))
                    : null;
        }

        @Override
        public Tensor forward(Tensor x) {
            Tensor h = conv2.forward(bn1.forwardRelu(conv1.forward(x)));
            Tensor shortcut = downsample != null ? downsample.forward(x) : x;
            return bn2.forwardAddRelu(h, shortcut);
        }
    }
}
