package vectorgrad.nn;

import java.util.Locale;
import vectorgrad.autograd.Generator;
import vectorgrad.autograd.Tensor;

/**
 * Parameter initialisation, as {@code torch.nn.init}: each method fills a tensor in place (outside the
 * graph) and returns it. Fans and gains are PyTorch's: for a weight {@code [out, in, k...]},
 * {@code fan_in = in·Πk} and {@code fan_out = out·Πk}; the random draws come from the given generator
 * (the default generator where none is given), so they are reproducible but not PyTorch's numbers.
 */
public final class Init {
    private Init() {}

    /** {@code calculate_gain(nonlinearity, param)}: the recommended gain for an activation. */
    public static double calculateGain(String nonlinearity, double param) {
        return switch (nonlinearity) {
            case "linear",
                    "conv1d",
                    "conv2d",
                    "conv3d",
                    "conv_transpose1d",
                    "conv_transpose2d",
                    "conv_transpose3d",
                    "sigmoid" -> 1.0;
            case "tanh" -> 5.0 / 3;
            case "relu" -> Math.sqrt(2.0);
            case "leaky_relu" -> Math.sqrt(2.0 / (1 + param * param));
            case "selu" -> 3.0 / 4;
            default -> throw new IllegalArgumentException("Unsupported nonlinearity " + nonlinearity);
        };
    }

    /** {@code calculate_gain(nonlinearity)}; leaky_relu's slope defaults to 0.01, as PyTorch's. */
    public static double calculateGain(String nonlinearity) {
        return calculateGain(nonlinearity, 0.01);
    }

    /** {@code {fan_in, fan_out}} of a weight of at least two dimensions. */
    public static long[] fans(Tensor t) {
        int[] s = t.shape();
        if (s.length < 2) {
            throw new IllegalArgumentException(
                    "Fan in and fan out can not be computed for tensor with fewer than 2 dimensions (shape "
                            + java.util.Arrays.toString(s) + ")");
        }
        long receptive = 1;
        for (int i = 2; i < s.length; i++) receptive *= s[i];
        return new long[] {(long) s[1] * receptive, (long) s[0] * receptive};
    }

    public static Tensor uniform_(Tensor t, double low, double high, Generator g) {
        return fill(t, Tensor.uniform(g, (float) low, (float) high, t.shape()));
    }

    public static Tensor normal_(Tensor t, double mean, double std, Generator g) {
        try (Tensor n = Tensor.randn(g, t.shape())) {
            return fill(t, n.mul(std).add(mean));
        }
    }

    public static Tensor constant_(Tensor t, double value) {
        return fill(t, Tensor.full((float) value, t.shape()));
    }

    public static Tensor zeros_(Tensor t) {
        return constant_(t, 0);
    }

    public static Tensor ones_(Tensor t) {
        return constant_(t, 1);
    }

    /** {@code xavier_uniform_(t, gain)}: U(-a, a) with {@code a = gain·√(6 / (fan_in + fan_out))}. */
    public static Tensor xavierUniform_(Tensor t, double gain, Generator g) {
        long[] f = fans(t);
        double a = Math.sqrt(3.0) * gain * Math.sqrt(2.0 / (f[0] + f[1]));
        return uniform_(t, -a, a, g);
    }

    /** {@code xavier_normal_(t, gain)}: N(0, std²) with {@code std = gain·√(2 / (fan_in + fan_out))}. */
    public static Tensor xavierNormal_(Tensor t, double gain, Generator g) {
        long[] f = fans(t);
        return normal_(t, 0, gain * Math.sqrt(2.0 / (f[0] + f[1])), g);
    }

    /**
     * {@code kaiming_uniform_(t, a, mode, nonlinearity)}: U(-b, b) with {@code b = gain·√(3 / fan)}, fan by
     * {@code mode} ("fan_in" or "fan_out"), gain {@code calculateGain(nonlinearity, a)}.
     */
    public static Tensor kaimingUniform_(Tensor t, double a, String mode, String nonlinearity, Generator g) {
        double bound = Math.sqrt(3.0) * calculateGain(nonlinearity, a) / Math.sqrt(fan(t, mode));
        return uniform_(t, -bound, bound, g);
    }

    /** {@code kaiming_normal_(t, a, mode, nonlinearity)}: N(0, std²) with {@code std = gain / √fan}. */
    public static Tensor kaimingNormal_(Tensor t, double a, String mode, String nonlinearity, Generator g) {
        return normal_(t, 0, calculateGain(nonlinearity, a) / Math.sqrt(fan(t, mode)), g);
    }

    /** PyTorch's defaults ({@code a = 0}, fan_in, leaky_relu) from the default generator. */
    public static Tensor kaimingUniform_(Tensor t) {
        return kaimingUniform_(t, 0, "fan_in", "leaky_relu", Tensor.defaultGenerator());
    }

    public static Tensor xavierUniform_(Tensor t) {
        return xavierUniform_(t, 1, Tensor.defaultGenerator());
    }

    private static long fan(Tensor t, String mode) {
        return switch (mode.toLowerCase(Locale.ROOT)) {
            case "fan_in" -> fans(t)[0];
            case "fan_out" -> fans(t)[1];
            default ->
                throw new IllegalArgumentException(
                        "Mode " + mode + " not supported, please use one of fan_in, fan_out");
        };
    }

    private static Tensor fill(Tensor t, Tensor values) {
        try (var noGrad = Tensor.noGrad();
                values) {
            t.copy_(values);
        }
        return t;
    }
}
