package vectorgrad.examples;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import javax.imageio.ImageIO;
import vectorgrad.autograd.Tensor;

/** Reading a picture as the model's input: grey levels in [0, 1], {@code [1, H, W]}. */
final class Images {
    private Images() {}

    static Tensor readGray(Path file, int height, int width) {
        BufferedImage img;
        try {
            if (!Files.isRegularFile(file)) throw new UsageException(file + ": no such image");
            img = ImageIO.read(file.toFile());
        } catch (IOException e) {
            throw new UsageException(file + ": cannot read the image (" + e.getMessage() + ")");
        }
        if (img == null) throw new UsageException(file + ": not an image format Java can read (PNG, JPEG, GIF, BMP)");
        if (img.getHeight() != height || img.getWidth() != width) {
            throw new UsageException(
                    file + ": image is " + img.getWidth() + "x" + img.getHeight() + ", the model takes " + width + "x"
                            + height + " (MNIST style: a light digit on a dark background)");
        }
        float[] px = new float[height * width];
        for (int y = 0; y < height; y++) {
            for (int x = 0; x < width; x++) {
                int rgb = img.getRGB(x, y);
                px[y * width + x] = (((rgb >> 16) & 0xFF) + ((rgb >> 8) & 0xFF) + (rgb & 0xFF)) / (3f * 255f);
            }
        }
        return Tensor.of(px, 1, height, width);
    }
}
