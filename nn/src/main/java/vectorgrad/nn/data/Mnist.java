package vectorgrad.nn.data;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import vectorgrad.nn.io.FormatException;

/**
 * MNIST or Fashion-MNIST (same format and shapes) from IDX files, as {@code torchvision.datasets.MNIST}
 * with {@code transform=ToTensor()}: image {@code i} is {@code [1, 28, 28]} floats in [0, 1]
 * (pixel / 255), its label an int in 0..9.
 *
 * <p>Files are found in {@code root} itself or in torchvision's layouts {@code root/MNIST/raw} and
 * {@code root/FashionMNIST/raw}, named {@code train-images-idx3-ubyte} / {@code t10k-images-idx3-ubyte}
 * (and {@code -labels-idx1-ubyte}), raw or {@code .gz}.
 */
public final class Mnist implements ClassificationDataset {
    private final byte[] pixels;
    private final byte[] labels;
    private final int count, height, width;
    private final Path imageFile;

    private Mnist(Path imageFile, Idx.UByteArray images, Path labelFile, Idx.UByteArray lbls) throws FormatException {
        if (images.dims().length != 3)
            throw new FormatException(
                    imageFile, 3, "images must have rank 3 [n, rows, cols], got rank " + images.dims().length);
        if (lbls.dims().length != 1)
            throw new FormatException(labelFile, 3, "labels must have rank 1 [n], got rank " + lbls.dims().length);
        if (images.dims()[0] != lbls.dims()[0]) {
            throw new FormatException(
                    imageFile,
                    4,
                    images.dims()[0] + " images but " + labelFile.getFileName() + " has " + lbls.dims()[0] + " labels");
        }
        for (int i = 0; i < lbls.data().length; i++) {
            int l = lbls.data()[i] & 0xFF;
            if (l > 9) throw new FormatException(labelFile, 8 + i, "label " + l + " is not a digit class 0..9");
        }
        this.imageFile = imageFile;
        this.pixels = images.data();
        this.labels = lbls.data();
        this.count = images.dims()[0];
        this.height = images.dims()[1];
        this.width = images.dims()[2];
    }

    /** Loads the training (60,000) or test (10,000) split found under {@code root}. */
    public static Mnist load(Path root, boolean train) throws IOException {
        String prefix = train ? "train" : "t10k";
        Path images = find(root, prefix + "-images-idx3-ubyte");
        Path labels = find(root, prefix + "-labels-idx1-ubyte");
        return new Mnist(images, Idx.read(images), labels, Idx.read(labels));
    }

    /** Where the files of {@code name} are looked for, in order. */
    public static List<Path> candidates(Path root, String name) {
        List<Path> out = new ArrayList<>();
        for (Path dir : new Path[] {
            root,
            root.resolve("MNIST").resolve("raw"),
            root.resolve("FashionMNIST").resolve("raw")
        }) {
            out.add(dir.resolve(name));
            out.add(dir.resolve(name + ".gz"));
        }
        return out;
    }

    static Path find(Path root, String name) throws IOException {
        if (!Files.isDirectory(root)) throw new NoSuchFileException(root.toString(), null, "no such data folder");
        for (Path p : candidates(root, name)) if (Files.isRegularFile(p)) return p;
        throw new NoSuchFileException(
                root.toString(), null, "no " + name + "[.gz] in it, nor in MNIST/raw or FashionMNIST/raw below it");
    }

    @Override
    public int size() {
        return count;
    }

    public int height() {
        return height;
    }

    public int width() {
        return width;
    }

    @Override
    public int label(int i) {
        check(i);
        return labels[i] & 0xFF;
    }

    /** Writes image {@code i}, scaled to [0, 1], into {@code out} at {@code offset}. */
    /** {@code [1, height, width]}. */
    @Override
    public int[] inputShape() {
        return new int[] {1, height(), width()};
    }

    /** Image {@code index} scaled to [0, 1]: same as {@link #image}. */
    @Override
    public void input(int index, float[] dst, int offset) {
        image(index, dst, offset);
    }

    /** Image {@code i}'s pixels as stored, row-major, one unsigned byte (0-255) each. */
    public byte[] imageBytes(int i) {
        java.util.Objects.checkIndex(i, count);
        int n = height * width;
        return java.util.Arrays.copyOfRange(pixels, i * n, (i + 1) * n);
    }

    public void image(int i, float[] out, int offset) {
        check(i);
        int n = height * width;
        int base = i * n;
        for (int k = 0; k < n; k++) out[offset + k] = (pixels[base + k] & 0xFF) / 255f;
    }

    public Path imageFile() {
        return imageFile;
    }

    private void check(int i) {
        if (i < 0 || i >= count)
            throw new IndexOutOfBoundsException(
                    "index " + i + " is out of range for a dataset of " + count + " images");
    }
}
