package vectorgrad.examples;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import vectorgrad.autograd.Generator;
import vectorgrad.autograd.MemoryScope;
import vectorgrad.autograd.Tensor;
import vectorgrad.autograd.Threads;
import vectorgrad.nn.Module;
import vectorgrad.nn.Parameter;
import vectorgrad.nn.optim.Adam;
import vectorgrad.nn.train.Interruptible;

/**
 * The textbook's example 3.3.1: fit {@code Y ~ α + βx + N(0, σ²)} by maximising the log-likelihood
 * with Adam, in a loop that Ctrl-C ends cleanly.
 */
public final class LinearRegression {
    private LinearRegression() {}

    /** f(x) = α + βx. */
    public static final class StraightLine extends Module {
        public final Parameter alpha = new Parameter(Tensor.scalar(1f));
        public final Parameter beta = new Parameter(Tensor.scalar(1f));

        public Tensor forward(Tensor x) {
            return alpha.add(beta.mul(x));
        }
    }

    /** log Pr(y; α, β, σ) = -½·log(2πσ²) - (y - f(x))² / 2σ², for each item. */
    public static final class Y extends Module {
        public final StraightLine f = new StraightLine();
        public final Parameter sigma = new Parameter(Tensor.scalar(1f));

        public Tensor forward(Tensor x, Tensor y) {
            Tensor pred = f.forward(x);
            Tensor variance = sigma.pow(2);
            return variance.mul(2 * Math.PI)
                    .log()
                    .mul(-0.5)
                    .sub(y.sub(pred).pow(2).div(variance.mul(2)));
        }
    }

    /** A data set of (x, y) pairs. */
    public record Data(float[] x, float[] y) {}

    /** The fitted values. */
    /** {@code exitStatus}: 0, or 130/143 when Ctrl-C or SIGTERM stopped the fit. */
    /** The options (with a value) and flags {@code linreg} accepts; Main's usage text lists them all (tested). */
    static final Set<String> OPTIONS =
            Set.of("data", "n", "alpha", "beta", "sigma", "seed", "steps", "lr", "print-every", "threads", "plot");

    static final Set<String> FLAGS = Set.of("json");

    public record Fit(
            double alpha, double beta, double sigma, double loglik, long steps, boolean interrupted, int exitStatus) {}

    /** {@code y = alpha + beta·x + sigma·ε}, x and ε standard normal, from a seeded generator. */
    public static Data synthetic(int n, double alpha, double beta, double sigma, long seed) {
        Generator g = new Generator(seed);
        float[] x = Tensor.randn(g, n).toFloatArray();
        float[] eps = Tensor.randn(g, n).toFloatArray();
        float[] y = new float[n];
        for (int i = 0; i < n; i++) y[i] = (float) (alpha + beta * x[i] + sigma * eps[i]);
        return new Data(x, y);
    }

    /** The maximum-likelihood estimate in closed form: least squares for α, β; σ² = mean squared residual. */
    public static double[] closedForm(Data d) {
        int n = d.x().length;
        double mx = 0, my = 0;
        for (int i = 0; i < n; i++) {
            mx += d.x()[i];
            my += d.y()[i];
        }
        mx /= n;
        my /= n;
        double sxy = 0, sxx = 0;
        for (int i = 0; i < n; i++) {
            sxy += (d.x()[i] - mx) * (d.y()[i] - my);
            sxx += (d.x()[i] - mx) * (d.x()[i] - mx);
        }
        double beta = sxy / sxx, alpha = my - beta * mx, ss = 0;
        for (int i = 0; i < n; i++) {
            double r = d.y()[i] - alpha - beta * d.x()[i];
            ss += r * r;
        }
        return new double[] {alpha, beta, Math.sqrt(ss / n)};
    }

    /**
     * Reads {@code x,y} rows; a first line that is not numeric is a header. Errors name the file and line.
     */
    public static Data readCsv(Path file) {
        List<String> lines;
        try {
            lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            throw new UsageException(file + ": no such file");
        } catch (IOException e) {
            throw new UsageException(file + ": cannot read (" + e.getMessage() + ")");
        }
        List<float[]> rows = new ArrayList<>();
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i).strip();
            if (line.isEmpty()) continue;
            String[] cells = line.split(",", -1);
            if (cells.length != 2) {
                throw new UsageException(file + ":" + (i + 1) + ": expected 2 columns (x,y), found " + cells.length);
            }
            float[] row = new float[2];
            try {
                for (int c = 0; c < 2; c++) {
                    row[c] = Float.parseFloat(cells[c].strip());
                    if (!Float.isFinite(row[c])) throw new NumberFormatException();
                }
            } catch (NumberFormatException e) {
                if (rows.isEmpty() && i == firstNonBlank(lines)) continue; // a header
                throw new UsageException(vectorgrad.nn.io.FormatException.oneLine(
                        file + ":" + (i + 1) + ": not a finite number in '" + line + "'"));
            }
            rows.add(row);
        }
        if (rows.isEmpty()) throw new UsageException(file + ": no data rows");
        float[] x = new float[rows.size()], y = new float[rows.size()];
        for (int i = 0; i < rows.size(); i++) {
            x[i] = rows.get(i)[0];
            y[i] = rows.get(i)[1];
        }
        return new Data(x, y);
    }

    private static int firstNonBlank(List<String> lines) {
        for (int i = 0; i < lines.size(); i++) if (!lines.get(i).isBlank()) return i;
        return -1;
    }

    /** The textbook's loop: Adam on the negative mean log-likelihood until maxSteps or Ctrl-C. */
    public static Fit fit(Data data, long maxSteps, double lr, long printEvery, java.io.PrintStream progress) {
        return fit(data, maxSteps, lr, printEvery, progress, null);
    }

    /** As above; {@code history}, if given, receives each step's mean log-likelihood (for the plot). */
    public static Fit fit(
            Data data,
            long maxSteps,
            double lr,
            long printEvery,
            java.io.PrintStream progress,
            java.util.function.DoubleConsumer history) {
        Tensor x = Tensor.of(data.x()), y = Tensor.of(data.y());
        Y model = new Y();
        Adam optimizer = new Adam(model.parameters(), lr);
        double loglik = Double.NaN;
        boolean interrupted;
        try (Interruptible loop =
                Interruptible.open().maxSteps(maxSteps).printEvery(printEvery).printTo(progress)) {
            while (loop.next()) {
                // The scope hands this step's intermediates back to the pool when the step ends, so the
                // loop runs in the same few blocks of memory (without it the GC finds them, later).
                try (MemoryScope step = MemoryScope.open()) {
                    optimizer.zeroGrad();
                    Tensor e = model.forward(x, y).mean().neg();
                    e.backward();
                    optimizer.step();
                    loglik = -e.item();
                    if (history != null) history.accept(loglik);
                    loop.report("loglik=%.3f", loglik);
                }
            }
            interrupted = loop.wasInterrupted();
            return new Fit(
                    model.f.alpha.item(),
                    model.f.beta.item(),
                    Math.abs(model.sigma.item()),
                    loglik,
                    loop.steps(),
                    interrupted,
                    loop.exitStatus());
        }
    }

    static int run(String[] args) {
        Args a = new Args("linreg", args, OPTIONS, FLAGS);
        long steps = a.longValue("steps", 20000, 0);
        double lr = a.doubleValue("lr", 1e-3);
        if (lr <= 0) throw new UsageException("linreg: --lr must be > 0, got " + lr);
        long printEvery = a.longValue("print-every", 1000, 0);
        if (a.string("threads", null) != null) Threads.setNumThreads((int) a.longValue("threads", 1, 1));
        Data data;
        String csv = a.string("data", null);
        if (csv != null) {
            data = readCsv(Path.of(csv));
        } else {
            int n = (int) a.longValue("n", 1000, 1);
            double sigma = a.doubleValue("sigma", 0.3);
            if (sigma <= 0) throw new UsageException("linreg: --sigma must be > 0, got " + sigma);
            data = synthetic(
                    n,
                    a.doubleValue("alpha", 2),
                    a.doubleValue("beta", 0.5),
                    sigma,
                    a.longValue("seed", 0, Long.MIN_VALUE));
        }
        boolean json = a.flag("json");
        System.out.printf(
                Locale.ROOT,
                "fitting y = alpha + beta*x + N(0, sigma^2) to %d points with Adam(lr=%g), %d steps at most (Ctrl-C stops)%n",
                data.x().length,
                lr,
                steps);
        String plot = a.string("plot", null);
        java.util.List<Double> history = new java.util.ArrayList<>();
        long t0 = System.nanoTime();
        Fit fit = fit(data, steps, lr, printEvery, System.out, plot == null ? null : history::add);
        double seconds = (System.nanoTime() - t0) / 1e9;
        double[] mle = closedForm(data);
        System.out.printf(
                Locale.ROOT,
                "%s after %d steps (%.2f s, %.0f steps/s)%n",
                fit.interrupted() ? "interrupted" : "done",
                fit.steps(),
                seconds,
                fit.steps() / Math.max(seconds, 1e-9));
        System.out.printf(
                Locale.ROOT,
                "alpha=%.4f beta=%.4f sigma=%.4f loglik=%.4f%n",
                fit.alpha(),
                fit.beta(),
                fit.sigma(),
                fit.loglik());
        System.out.printf(Locale.ROOT, "closed-form MLE: alpha=%.4f beta=%.4f sigma=%.4f%n", mle[0], mle[1], mle[2]);
        if (plot != null) {
            // at most 2,000 points on the curve: every k-th step
            int k = Math.max(1, history.size() / 2000), m = history.size() / k;
            double[] xs = new double[m], ys = new double[m];
            for (int i = 0; i < m; i++) {
                xs[i] = (long) i * k + 1;
                ys[i] = history.get(i * k);
            }
            try {
                Plots.linearRegression(Path.of(plot), data.x(), data.y(), fit.alpha(), fit.beta(), fit.sigma(), xs, ys);
            } catch (IOException e) {
                throw new UsageException(plot + ": cannot write the picture (" + e.getMessage() + ")");
            }
            System.out.println("plot written to " + plot);
        }
        if (json) {
            System.out.printf(
                    Locale.ROOT,
                    "{\"alpha\":%s,\"beta\":%s,\"sigma\":%s,\"loglik\":%s,\"steps\":%d}%n",
                    num(fit.alpha()),
                    num(fit.beta()),
                    num(fit.sigma()),
                    num(fit.loglik()),
                    fit.steps());
        }
        return fit.exitStatus();
    }

    private static String num(double d) {
        return Double.isFinite(d) ? Double.toString(d) : "null";
    }
}
