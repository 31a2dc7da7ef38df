package quickstart;

import java.nio.file.Path;
import java.util.Map;
import vectorgrad.autograd.Tensor;
import vectorgrad.autograd.Threads;
import vectorgrad.nn.Functional;
import vectorgrad.nn.Layer;
import vectorgrad.nn.io.SafeTensors;
import vectorgrad.nn.layers.Linear;
import vectorgrad.nn.optim.Adam;

/** Fits y = 3·x₀ − 2·x₁ + 0.5 (plus noise) with a small MLP, then saves the weights. */
public final class Quickstart {
    /** A model is a Layer with its layers in fields, and a forward. */
    static final class Mlp extends Layer {
        final Linear hidden = new Linear(2, 16), out = new Linear(16, 1);

        @Override
        public Tensor forward(Tensor x) {
            return out.forward(Functional.relu(hidden.forward(x)));
        }
    }

    public static void main(String[] args) throws Exception {
        Threads.setNumThreads(2);
        Tensor.manualSeed(0);
        Tensor x = Tensor.randn(256, 2);
        Tensor y = x.matmul(Tensor.of(new float[] {3, -2}, 2, 1)).add(0.5).add(Tensor.randn(256, 1).mul(0.1));

        Mlp model = new Mlp();
        Adam optimizer = new Adam(model.parameters(), 0.01);
        float loss = Float.NaN;
        for (int step = 0; step < 500; step++) {
            optimizer.zeroGrad();
            Tensor l = Functional.mseLoss(model.forward(x), y);
            l.backward();
            optimizer.step();
            loss = l.item();
        }
        SafeTensors.write(Path.of(args.length > 0 ? args[0] : "quickstart.safetensors"), model.stateDict(), Map.of());
        System.out.printf("quickstart: mse %.4f after 500 steps (noise variance 0.01)%n", loss);
        if (!(loss < 0.05)) throw new AssertionError("did not fit: mse " + loss);
    }
}
