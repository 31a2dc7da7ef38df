package vectorgrad.nn.optim;

import java.util.function.IntToDoubleFunction;

/** {@code LambdaLR(optimizer, lr_lambda)}: the initial learning rate times {@code lrLambda(epoch)}. */
public final class LambdaLR extends LRScheduler {
    private final IntToDoubleFunction lrLambda;

    public LambdaLR(Optimizer optimizer, IntToDoubleFunction lrLambda) {
        super(optimizer);
        this.lrLambda = lrLambda;
        apply(0);
    }

    @Override
    protected double lrAt(int epoch, int group) {
        return baseLrs[group] * lrLambda.applyAsDouble(epoch);
    }
}
