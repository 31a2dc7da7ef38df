package vectorgrad.examples;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import javax.imageio.ImageIO;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.internal.chartpart.Chart;
import org.knowm.xchart.style.Styler;
import org.knowm.xchart.style.markers.SeriesMarkers;
import vectorgrad.nn.io.AtomicFile;

/**
 * The pictures the programs draw ({@code --plot}, {@code --misclassified}): charts with XChart, the
 * image grid with Java2D. Headless (no display needed). Every file is written to a temporary name and
 * renamed, so a reader never sees half a PNG.
 */
public final class Plots {
    private Plots() {}

    static {
        System.setProperty("java.awt.headless", "true");
    }

    static final Color BLUE = new Color(31, 119, 180),
            ORANGE = new Color(255, 127, 14),
            BAND = new Color(255, 127, 14, 60);

    /** Example 1: data, fitted line α + βx with a ±σ band, and the log-likelihood per step. 1200×500. */
    public static void linearRegression(
            Path png, float[] x, float[] y, double alpha, double beta, double sigma, double[] steps, double[] loglik)
            throws IOException {
        XYChart fit = new XYChart(600, 500);
        fit.setTitle(String.format(Locale.ROOT, "fit: y = %.3f + %.3f x, sigma = %.3f", alpha, beta, sigma));
        fit.setXAxisTitle("x");
        fit.setYAxisTitle("y");
        style(fit);
        double lo = Double.POSITIVE_INFINITY, hi = Double.NEGATIVE_INFINITY;
        for (float v : x) {
            lo = Math.min(lo, v);
            hi = Math.max(hi, v);
        }
        int m = 50;
        double[] lx = new double[m], ly = new double[m], up = new double[m], dn = new double[m];
        for (int i = 0; i < m; i++) {
            lx[i] = lo + (hi - lo) * i / (m - 1);
            ly[i] = alpha + beta * lx[i];
            up[i] = ly[i] + sigma;
            dn[i] = ly[i] - sigma;
        }
        XYSeries band = fit.addSeries("±σ", lx, up);
        band.setXYSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Area);
        band.setFillColor(BAND);
        band.setLineColor(BAND);
        band.setMarker(SeriesMarkers.NONE);
        XYSeries under = fit.addSeries(" ", lx, dn); // the band's lower edge, filled white
        under.setXYSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Area);
        under.setFillColor(Color.WHITE);
        under.setLineColor(BAND);
        under.setMarker(SeriesMarkers.NONE);
        under.setShowInLegend(false);
        XYSeries data = fit.addSeries("data", toDouble(x), toDouble(y));
        data.setXYSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Scatter);
        data.setMarker(SeriesMarkers.CIRCLE);
        data.setMarkerColor(new Color(31, 119, 180, 120));
        XYSeries line = fit.addSeries("α + βx", lx, ly);
        line.setMarker(SeriesMarkers.NONE);
        line.setLineColor(ORANGE);
        line.setLineStyle(new BasicStroke(2.5f));

        XYChart curve = new XYChart(600, 500);
        curve.setTitle("mean log-likelihood per step");
        curve.setXAxisTitle("step");
        curve.setYAxisTitle("log-likelihood");
        style(curve);
        curve.getStyler().setLegendVisible(false);
        XYSeries ll = curve.addSeries(
                "loglik", steps.length == 0 ? new double[] {0} : steps, steps.length == 0 ? new double[] {0} : loglik);
        ll.setMarker(SeriesMarkers.NONE);
        ll.setLineColor(BLUE);
        save(png, List.of(fit, curve), 1, 2);
    }

    /** The MNIST program's training curves: smoothed log-likelihood per step and test accuracy. 1200×500. */
    public static void trainingCurves(Path png, double[] steps, double[] loglik, double[] evalSteps, double[] accuracy)
            throws IOException {
        curves(
                png,
                "training log-likelihood (moving average)",
                "mean log-likelihood",
                steps,
                loglik,
                "test accuracy",
                "accuracy",
                evalSteps,
                accuracy,
                true);
    }

    /**
     * Two panels side by side: a training curve (smoothed over 100 steps) and an evaluation curve with a
     * marker at each evaluation ({@code unitRange}: its axis from 0 to 1, for an accuracy).
     */
    public static void curves(
            Path png,
            String title,
            String axis,
            double[] steps,
            double[] values,
            String evalTitle,
            String evalAxis,
            double[] evalSteps,
            double[] evalValues,
            boolean unitRange)
            throws IOException {
        XYChart ll = new XYChart(600, 500);
        ll.setTitle(title);
        ll.setXAxisTitle("step");
        ll.setYAxisTitle(axis);
        style(ll);
        ll.getStyler().setLegendVisible(false);
        // a step axis of thousands: whole numbers, spaced so the labels do not run into each other
        ll.getStyler().setXAxisDecimalPattern("#");
        ll.getStyler().setXAxisTickMarkSpacingHint(90);
        XYSeries raw = ll.addSeries(
                "train",
                steps.length == 0 ? new double[] {0} : steps,
                steps.length == 0 ? new double[] {0} : smooth(values, 100));
        raw.setMarker(SeriesMarkers.NONE);
        raw.setLineColor(BLUE);

        XYChart acc = new XYChart(600, 500);
        acc.setTitle(evalTitle);
        acc.setXAxisTitle("step");
        acc.setYAxisTitle(evalAxis);
        style(acc);
        acc.getStyler().setLegendVisible(false);
        if (unitRange) {
            acc.getStyler().setYAxisMin(0.0);
            acc.getStyler().setYAxisMax(1.0);
        }
        XYSeries a = acc.addSeries(
                "eval",
                evalSteps.length == 0 ? new double[] {0} : evalSteps,
                evalSteps.length == 0 ? new double[] {0} : evalValues);
        a.setMarker(SeriesMarkers.CIRCLE);
        a.setLineColor(ORANGE);
        a.setMarkerColor(ORANGE);
        save(png, List.of(ll, acc), 1, 2);
    }

    /**
     * The confusion matrix as a heat map with the counts written in; rows are true classes. 700×650.
     * Drawn with Java2D: XChart 3.8.8's HeatMapChart drew an empty picture with category axes here.
     */
    public static void confusion(Path png, long[][] counts, List<String> classNames) throws IOException {
        int k = counts.length, cell = 52, left = 110, top = 60, w = 700, h = 650;
        long max = 1;
        for (long[] row : counts) for (long v : row) max = Math.max(max, v);
        BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = img.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, w, h);
        g.setColor(Color.BLACK);
        g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 15));
        g.drawString("confusion matrix (test set): rows true, columns predicted", 20, 28);
        Font small = new Font(Font.SANS_SERIF, Font.PLAIN, 11);
        g.setFont(small);
        java.awt.FontMetrics fm = g.getFontMetrics();
        for (int t = 0; t < k; t++) {
            for (int p = 0; p < k; p++) {
                double f = Math.sqrt((double) counts[t][p] / max); // square root: small confusions stay visible
                Color c = new Color((int) (247 - f * 239), (int) (251 - f * 203), (int) (255 - f * 148));
                g.setColor(c);
                g.fillRect(left + p * cell, top + t * cell, cell, cell);
                g.setColor(f > 0.55 ? Color.WHITE : Color.BLACK);
                String v = Long.toString(counts[t][p]);
                g.drawString(
                        v,
                        left + p * cell + (cell - fm.stringWidth(v)) / 2,
                        top + t * cell + cell / 2 + fm.getAscent() / 2 - 1);
            }
        }
        g.setColor(Color.GRAY);
        g.drawRect(left, top, k * cell, k * cell);
        g.setColor(Color.BLACK);
        for (int i = 0; i < k; i++) {
            String name = classNames.get(i);
            g.drawString(name, left - 8 - fm.stringWidth(name), top + i * cell + cell / 2 + fm.getAscent() / 2 - 1);
            java.awt.geom.AffineTransform saved = g.getTransform();
            g.rotate(-Math.PI / 4, left + i * cell + cell / 2.0, top + k * cell + 12);
            g.drawString(name, left + i * cell + cell / 2 - fm.stringWidth(name), top + k * cell + 12 + fm.getAscent());
            g.setTransform(saved);
        }
        g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 12));
        g.drawString("predicted", left + k * cell / 2 - 28, h - 14);
        g.rotate(-Math.PI / 2, 18, top + k * cell / 2.0);
        g.drawString("true", 18 - 12, top + k * cell / 2 + 4);
        g.dispose();
        write(png, out -> ImageIO.write(img, "png", out));
    }

    /** One misclassified image: pixels (28×28 in [0,1]), the true and predicted class and its probability. */
    public record Misclassified(float[] pixels, int trueClass, int predicted, float probability) {}

    /** A grid of misclassified images (up to 6 columns), each scaled 3× with its labels underneath. */
    public static void misclassifiedGrid(Path png, List<Misclassified> items, List<String> classNames)
            throws IOException {
        int cols = Math.max(1, Math.min(6, items.size())), rows = Math.max(1, (items.size() + cols - 1) / cols);
        int scale = 3, cellW = 150, cellH = 28 * scale + 44, top = 36;
        BufferedImage img = new BufferedImage(cols * cellW, top + rows * cellH, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = img.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, img.getWidth(), img.getHeight());
        g.setColor(Color.BLACK);
        g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 14));
        g.drawString(
                items.isEmpty()
                        ? "no misclassified images"
                        : "misclassified test images: true -> predicted (probability)",
                8,
                22);
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 11));
        for (int n = 0; n < items.size(); n++) {
            Misclassified it = items.get(n);
            int x0 = (n % cols) * cellW + (cellW - 28 * scale) / 2, y0 = top + (n / cols) * cellH;
            for (int r = 0; r < 28; r++) {
                for (int c = 0; c < 28; c++) {
                    int v = 255
                            - Math.round(Math.max(0, Math.min(1, it.pixels()[r * 28 + c])) * 255); // ink dark on white
                    g.setColor(new Color(v, v, v));
                    g.fillRect(x0 + c * scale, y0 + r * scale, scale, scale);
                }
            }
            g.setColor(Color.GRAY);
            g.drawRect(x0 - 1, y0 - 1, 28 * scale + 1, 28 * scale + 1);
            g.setColor(new Color(0, 100, 0));
            int tx = (n % cols) * cellW + 6;
            g.drawString("true " + classNames.get(it.trueClass()), tx, y0 + 28 * scale + 15);
            g.setColor(new Color(180, 0, 0));
            g.drawString(
                    String.format(Locale.ROOT, "pred %s (%.2f)", classNames.get(it.predicted()), it.probability()),
                    tx,
                    y0 + 28 * scale + 30);
        }
        g.dispose();
        write(png, out -> ImageIO.write(img, "png", out));
    }

    /** Class names: Fashion-MNIST's clothing names when the data is Fashion-MNIST, else the digits. */
    public static List<String> classNames(Path dataRoot) {
        String p = dataRoot.toAbsolutePath().toString().toLowerCase(Locale.ROOT);
        if (p.contains("fashion")) {
            return List.of(
                    "T-shirt", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Boot");
        }
        return List.of("0", "1", "2", "3", "4", "5", "6", "7", "8", "9");
    }

    /** Moving average over the last {@code window} values (fewer at the start). */
    static double[] smooth(double[] v, int window) {
        double[] out = new double[v.length];
        double sum = 0;
        for (int i = 0; i < v.length; i++) {
            sum += v[i];
            if (i >= window) sum -= v[i - window];
            out[i] = sum / Math.min(i + 1, window);
        }
        return out;
    }

    private static void style(XYChart c) {
        c.getStyler().setChartBackgroundColor(Color.WHITE);
        c.getStyler().setPlotBackgroundColor(Color.WHITE);
        c.getStyler().setPlotGridLinesColor(new Color(230, 230, 230));
        c.getStyler().setLegendPosition(Styler.LegendPosition.InsideNW);
        c.getStyler().setMarkerSize(4);
    }

    private static double[] toDouble(float[] f) {
        double[] d = new double[f.length];
        for (int i = 0; i < f.length; i++) d[i] = f[i];
        return d;
    }

    private static void save(Path png, List<? extends Chart<?, ?>> charts, int rows, int cols) throws IOException {
        write(png, out -> BitmapEncoder.saveBitmap(charts, rows, cols, out, BitmapEncoder.BitmapFormat.PNG));
    }

    private static void write(Path png, AtomicFile.Content content) throws IOException {
        Path dir = png.toAbsolutePath().getParent();
        if (dir == null || !Files.isDirectory(dir))
            throw new UsageException(png + ": cannot write the picture (its folder does not exist)");
        AtomicFile.write(png, content);
    }
}
