package vectorgrad.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Set;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Every picture the programs draw is written, decodes as PNG, has its size, and is not blank. */
class PlotsTest {
    @TempDir
    Path dir;

    static void assertPicture(Path png, int width, int height) throws IOException {
        assertTrue(Files.isRegularFile(png), png + " was not written");
        BufferedImage img = ImageIO.read(png.toFile());
        assertNotNull(img, png + " does not decode as an image");
        assertEquals(width, img.getWidth(), png + " width");
        assertEquals(height, img.getHeight(), png + " height");
        Set<Integer> colors = new HashSet<>();
        long ink = 0;
        for (int y = 0; y < img.getHeight(); y++) {
            for (int x = 0; x < img.getWidth(); x++) {
                int rgb = img.getRGB(x, y) & 0xFFFFFF;
                colors.add(rgb);
                if (rgb != 0xFFFFFF) ink++;
            }
        }
        assertTrue(colors.size() > 10, png + " has only " + colors.size() + " colours");
        assertTrue(ink > (long) img.getWidth() * img.getHeight() / 100, png + " is nearly blank");
        try (var s = Files.list(png.getParent())) {
            assertTrue(s.noneMatch(p -> p.getFileName().toString().endsWith(".tmp")), "a temporary file was left");
        }
    }

    @Test
    void linearRegressionFitAndCurve() throws IOException {
        Path png = dir.resolve("fit.png");
        Cli.Run r = Cli.run("linreg", "--steps", "300", "--plot", png.toString());
        assertEquals(0, r.status(), r.err());
        assertPicture(png, 1200, 500);
    }

    @Test
    void mnistCurvesConfusionAndMisclassified() throws IOException {
        MnistCommandTest.writeData(dir, 60, 20);
        Path curves = dir.resolve("curves.png"), ckpt = dir.resolve("m.safetensors");
        Cli.Run t = Cli.run(
                "mnist",
                "train",
                "--data",
                dir.toString(),
                "--max-steps",
                "12",
                "--eval-every",
                "4",
                "--plot",
                curves.toString(),
                "--checkpoint",
                ckpt.toString());
        assertEquals(0, t.status(), t.err());
        assertPicture(curves, 1200, 500);
        Path confusion = dir.resolve("confusion.png"), grid = dir.resolve("grid.png");
        Cli.Run e = Cli.run(
                "mnist",
                "eval",
                "--data",
                dir.toString(),
                "--checkpoint",
                ckpt.toString(),
                "--plot",
                confusion.toString(),
                "--misclassified",
                grid.toString(),
                "--max-misclassified",
                "8");
        assertEquals(0, e.status(), e.err());
        assertPicture(confusion, 700, 650);
        int wrong = Integer.parseInt(e.out().replaceAll("(?s).*?(\\d+) misclassified images written.*", "$1"));
        assertTrue(wrong > 0 && wrong <= 8, e.out());
        int cols = Math.min(6, wrong), rows = (wrong + cols - 1) / cols;
        assertPicture(grid, cols * 150, 36 + rows * (28 * 3 + 44));
    }

    @Test
    void progressBarOnATerminalPlainLinesElsewhere() {
        var buf = new java.io.ByteArrayOutputStream();
        var live = new ProgressLine(new java.io.PrintStream(buf, true), true);
        live.report("epoch=0 batch=25", 0.25);
        live.report("epoch=0 batch=50", 0.5);
        live.end();
        assertEquals(
                "\r[######------------------]  25% epoch=0 batch=25\u001b[K\r[############------------]  50% epoch=0 batch=50\u001b[K\n",
                buf.toString().replace(System.lineSeparator(), "\n"));
        buf.reset();
        var plain = new ProgressLine(new java.io.PrintStream(buf, true), false);
        plain.report("epoch=0 batch=25", 0.25);
        plain.end();
        assertEquals("epoch=0 batch=25\n", buf.toString().replace(System.lineSeparator(), "\n"));
    }
}
