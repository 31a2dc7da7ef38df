package vectorgrad.autograd;

import java.lang.ref.Reference;
import java.util.Arrays;
import vectorgrad.autograd.internal.Shapes;
import vectorgrad.kernels.Elementwise;
import vectorgrad.kernels.Elementwise.Binary;
import vectorgrad.kernels.Elementwise.Unary;

/**
 * Elementwise ops of {@link Tensor}, each forward beside its backward rule (the lambda passed to
 * {@code record}): Tensor's public methods delegate here.
 */
final class ElementwiseOps {
    private ElementwiseOps() {}

    static Tensor map(Tensor self, Unary op) {
        self.requireFloat(op.name().toLowerCase());
        Tensor out = Tensor.empty(self.shape);
        Elementwise.unary(op, self.seg(), 0, out.seg(), 0, self.numel());
        Reference.reachabilityFence(self);
        return out;
    }

    static Tensor affine(Tensor self, float scale, float shift, String op) {
        self.requireFloat(op);
        Tensor out = Tensor.empty(self.shape);
        Elementwise.affine(self.seg(), 0, scale, shift, out.seg(), 0, self.numel());
        Reference.reachabilityFence(self);
        return out;
    }

    static Tensor zip(Tensor self, Binary op, Tensor other, String name) {
        self.requireFloat(name);
        other.requireFloat(name);
        int[] outShape =
                Arrays.equals(self.shape, other.shape) ? self.shape : Shapes.broadcast(self.shape, other.shape, name);
        Tensor out = Tensor.empty(outShape);
        Elementwise.binary(
                op,
                outShape,
                self.seg(),
                0,
                Shapes.broadcastStrides(self.shape, outShape),
                other.seg(),
                0,
                Shapes.broadcastStrides(other.shape, outShape),
                out.seg(),
                0);
        Reference.reachabilityFence(self);
        Reference.reachabilityFence(other);
        return out;
    }

    /** Arithmetic with an int32 operand: computed in float32, int32 again when both are integral and the op is not a division. */
    static Tensor promoted(Tensor a, Tensor b, String op) {
        // the converted operands are not closed: the graph may hold them for the float operand's gradient
        Tensor fa = a.to(DType.FLOAT32), fb = b.to(DType.FLOAT32);
        Tensor r = switch (op) {
            case "add" -> add(fa, fb);
            case "sub" -> sub(fa, fb);
            case "mul" -> mul(fa, fb);
            default -> div(fa, fb);
        };
        return a.dtype == DType.INT32 && b.dtype == DType.INT32 && !op.equals("div") ? toInt(r) : r;
    }

    static Tensor promoted(Tensor a, double s, String op) {
        Tensor fa = a.to(DType.FLOAT32);
        Tensor r = switch (op) {
            case "add" -> add(fa, s);
            case "sub" -> sub(fa, s);
            case "mul" -> mul(fa, s);
            default -> div(fa, s);
        };
        fa.close();
        return s == Math.rint(s) && !op.equals("div") ? toInt(r) : r;
    }

    private static Tensor toInt(Tensor r) {
        Tensor i = IndexingOps.convert(r, DType.INT32);
        r.close();
        return i;
    }

    /** {@code this + other}  |  d/da = g, d/db = g (each summed over its broadcast dims). */
    static Tensor add(Tensor self, Tensor other) {
        Tensor a = self, b = other;
        return Tensor.record(
                zip(self, Binary.ADD, b, "add"),
                "add",
                (g, need) -> new Tensor[] {need[0] ? g.sumTo(a.shape) : null, need[1] ? g.sumTo(b.shape) : null},
                a,
                b);
    }

    /** {@code this - other}  |  d/da = g, d/db = -g. */
    static Tensor sub(Tensor self, Tensor other) {
        Tensor a = self, b = other;
        return Tensor.record(
                zip(self, Binary.SUB, b, "sub"),
                "sub",
                (g, need) -> new Tensor[] {
                    need[0] ? g.sumTo(a.shape) : null, need[1] ? g.neg().sumTo(b.shape) : null
                },
                a,
                b);
    }

    /** {@code this * other}  |  d/da = g·b, d/db = g·a. */
    static Tensor mul(Tensor self, Tensor other) {
        Tensor a = self, b = other;
        return Tensor.record(
                zip(self, Binary.MUL, b, "mul"),
                "mul",
                (g, need) -> new Tensor[] {
                    need[0] ? g.mul(b).sumTo(a.shape) : null, need[1] ? g.mul(a).sumTo(b.shape) : null
                },
                a,
                b);
    }

    /** {@code this / other}  |  d/da = g/b, d/db = -g·(a/b)/b. */
    static Tensor div(Tensor self, Tensor other) {
        Tensor a = self, b = other;
        return Tensor.record(
                zip(self, Binary.DIV, b, "div"),
                "div",
                (g, need) -> new Tensor[] {
                    need[0] ? g.div(b).sumTo(a.shape) : null,
                    need[1] ? g.neg().mul(a.div(b).div(b)).sumTo(b.shape) : null
                },
                a,
                b);
    }

    /** {@code this + s}  |  g. */
    static Tensor add(Tensor self, double s) {
        return Tensor.record(affine(self, 1f, (float) s, "add"), "add", (g, need) -> new Tensor[] {g}, self);
    }

    /** {@code this - s}  |  g. */
    static Tensor sub(Tensor self, double s) {
        return Tensor.record(affine(self, 1f, (float) -s, "sub"), "sub", (g, need) -> new Tensor[] {g}, self);
    }

    /** {@code s - this} (PyTorch's {@code rsub})  |  -g. */
    static Tensor rsub(Tensor self, double s) {
        return Tensor.record(affine(self, -1f, (float) s, "rsub"), "rsub", (g, need) -> new Tensor[] {g.neg()}, self);
    }

    /** {@code this * s}  |  g·s. */
    static Tensor mul(Tensor self, double s) {
        float f = (float) s;
        return Tensor.record(affine(self, f, 0f, "mul"), "mul", (g, need) -> new Tensor[] {g.mul(f)}, self);
    }

    /** {@code this / s}  |  g/s. */
    static Tensor div(Tensor self, double s) {
        float f = (float) s;
        Tensor out = Tensor.empty(self.shape);
        self.requireFloat("div");
        // a true division (not a multiply by 1/s), so results round exactly as PyTorch's
        Tensor divisor = Tensor.scalar(f);
        Elementwise.binary(
                Binary.DIV,
                self.shape,
                self.seg(),
                0,
                Shapes.contiguousStrides(self.shape),
                divisor.seg(),
                0,
                new long[self.shape.length],
                out.seg(),
                0);
        divisor.close();
        Reference.reachabilityFence(self);
        return Tensor.record(out, "div", (g, need) -> new Tensor[] {g.div(f)}, self);
    }

    /** {@code -this}  |  -g. */
    static Tensor neg(Tensor self) {
        return Tensor.record(map(self, Unary.NEG), "neg", (g, need) -> new Tensor[] {g.neg()}, self);
    }

    /** {@code this^p}  |  g·p·x^(p-1). */
    static Tensor pow(Tensor self, double p) {
        self.requireFloat("pow");
        float fp = (float) p;
        Tensor out = Tensor.empty(self.shape);
        Elementwise.pow(self.seg(), 0, fp, out.seg(), 0, self.numel());
        Tensor x = self;
        return Tensor.record(
                out,
                "pow",
                (g, need) -> new Tensor[] {
                    fp == 2f ? g.mul(x.mul(2f)) : g.mul(x.pow(fp - 1f).mul(fp))
                },
                x);
    }

    /** {@code e^x}  |  g·e^x. */
    static Tensor exp(Tensor self) {
        Tensor out = map(self, Unary.EXP);
        return Tensor.record(out, "exp", (g, need) -> new Tensor[] {g.mul(out)}, self);
    }

    /** {@code ln x}  |  g/x. */
    static Tensor log(Tensor self) {
        Tensor x = self;
        return Tensor.record(map(self, Unary.LOG), "log", (g, need) -> new Tensor[] {g.div(x)}, x);
    }

    /** {@code √x}  |  g/(2√x). */
    static Tensor sqrt(Tensor self) {
        Tensor out = map(self, Unary.SQRT);
        return Tensor.record(out, "sqrt", (g, need) -> new Tensor[] {g.div(out.mul(2f))}, self);
    }

    /** {@code |x|}  |  g·sign(x). */
    static Tensor abs(Tensor self) {
        Tensor x = self;
        return Tensor.record(map(self, Unary.ABS), "abs", (g, need) -> new Tensor[] {g.mul(map(x, Unary.SIGN))}, x);
    }

    /** {@code sign(x)}  |  0. */
    static Tensor sign(Tensor self) {
        return Tensor.record(map(self, Unary.SIGN), "sign", (g, need) -> new Tensor[] {Tensor.zerosLike(g)}, self);
    }

    /** {@code max(x, 0)}  |  g where x > 0, else 0. */
    static Tensor relu(Tensor self) {
        Tensor x = self;
        return Tensor.record(
                map(self, Unary.RELU),
                "relu",
                (g, need) -> new Tensor[] {zip(g, Binary.RELU_BACKWARD, x, "relu_backward")},
                x);
    }

    /** {@code 1/(1+e^-x)}  |  g·(1-s)·s. */
    static Tensor sigmoid(Tensor self) {
        Tensor s = map(self, Unary.SIGMOID);
        return Tensor.record(
                s, "sigmoid", (g, need) -> new Tensor[] {g.mul(s.rsub(1)).mul(s)}, self);
    }

    /** {@code tanh x}  |  g·(1-t²). */
    static Tensor tanh(Tensor self) {
        Tensor t = map(self, Unary.TANH);
        return Tensor.record(
                t, "tanh", (g, need) -> new Tensor[] {g.mul(t.mul(t).rsub(1))}, self);
    }
}
