package vectorgrad.nn;

import vectorgrad.autograd.Tensor;

/** The textbook's example 3.3.1 models, as a user writes them (the examples module has the same). */
final class TextbookModels {
    private TextbookModels() {}

    static final class StraightLine extends Module {
        final Parameter alpha = new Parameter(Tensor.scalar(1f));
        final Parameter beta = new Parameter(Tensor.scalar(1f));

        Tensor forward(Tensor x) {
            return alpha.add(beta.mul(x));
        }
    }

    static final class Y extends Module {
        final StraightLine f = new StraightLine();
        final Parameter sigma = new Parameter(Tensor.scalar(1f));

        Tensor forward(Tensor x, Tensor y) {
            Tensor pred = f.forward(x);
            Tensor variance = sigma.pow(2);
            return variance.mul(2 * Math.PI)
                    .log()
                    .mul(-0.5)
                    .sub(y.sub(pred).pow(2).div(variance.mul(2)));
        }
    }
}
