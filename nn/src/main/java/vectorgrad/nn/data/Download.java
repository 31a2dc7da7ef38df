package vectorgrad.nn.data;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Fetches MNIST's four files as torchvision does: from the first mirror that answers, each checked
 * against its MD5 before it is moved into {@code root/MNIST/raw}. A file already there with the right
 * checksum is not fetched again.
 */
public final class Download {
    private Download() {}

    /** torchvision's mirrors, in the order it tries them. */
    public static final List<URI> MNIST_MIRRORS = List.of(
            URI.create("https://ossci-datasets.s3.amazonaws.com/mnist/"),
            URI.create("http://yann.lecun.com/exdb/mnist/"));

    /** The files and their MD5 checksums (as torchvision lists them). */
    public static final Map<String, String> MNIST_FILES;

    static {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("train-images-idx3-ubyte.gz", "f68b3c2dcbeaaa9fbdd348bbdeb94873");
        m.put("train-labels-idx1-ubyte.gz", "d53e105ee54ea40749a09fcbcd1e9432");
        m.put("t10k-images-idx3-ubyte.gz", "9fb629c4189551a2d022fa330f9573f3");
        m.put("t10k-labels-idx1-ubyte.gz", "ec29112dd5afa0611ce80d1b7f02629c");
        MNIST_FILES = Map.copyOf(m);
    }

    /** Largest file accepted from a mirror (MNIST's largest is under 10 MB). */
    static final long MAX_BYTES = 64L << 20;

    /** Downloads every file of {@code files} into {@code root/MNIST/raw}; returns that folder. */
    public static Path mnist(Path root, List<URI> mirrors, Map<String, String> files, java.io.PrintStream log)
            throws IOException {
        Path raw = root.resolve("MNIST").resolve("raw");
        Files.createDirectories(raw);
        HttpClient http = HttpClient.newBuilder()
                .connectTimeout(Duration.ofSeconds(20))
                .followRedirects(HttpClient.Redirect.NORMAL)
                .build();
        for (Map.Entry<String, String> f : new java.util.TreeMap<>(files).entrySet()) {
            Path target = raw.resolve(f.getKey());
            if (Files.isRegularFile(target) && md5(target).equals(f.getValue())) {
                log.println("  " + target + ": present, checksum ok");
                continue;
            }
            List<String> failures = new ArrayList<>();
            boolean done = false;
            for (URI mirror : mirrors) {
                URI url = mirror.resolve(f.getKey());
                Path tmp = Files.createTempFile(raw, "." + f.getKey() + ".", ".part");
                try {
                    log.println("  downloading " + url);
                    HttpResponse<InputStream> r = http.send(
                            HttpRequest.newBuilder(url)
                                    .timeout(Duration.ofMinutes(2))
                                    .GET()
                                    .build(),
                            HttpResponse.BodyHandlers.ofInputStream());
                    try (InputStream in = r.body();
                            OutputStream out = Files.newOutputStream(tmp)) {
                        if (r.statusCode() != 200) {
                            failures.add(url + ": HTTP " + r.statusCode());
                            continue;
                        }
                        byte[] buf = new byte[1 << 16];
                        long total = 0;
                        int n;
                        while ((n = in.read(buf)) > 0) {
                            total += n;
                            if (total > MAX_BYTES) throw new IOException("larger than " + MAX_BYTES + " bytes");
                            out.write(buf, 0, n);
                        }
                    }
                    String got = md5(tmp);
                    if (!got.equals(f.getValue())) {
                        failures.add(url + ": checksum " + got + ", expected " + f.getValue());
                        continue;
                    }
                    Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
                    done = true;
                    break;
                } catch (IOException e) {
                    failures.add(url + ": " + e.getMessage());
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IOException("download interrupted", e);
                } finally {
                    Files.deleteIfExists(tmp);
                }
            }
            if (!done)
                throw new IOException(
                        "could not download " + f.getKey() + " from any mirror: " + String.join("; ", failures));
        }
        return raw;
    }

    static String md5(Path file) throws IOException {
        try {
            MessageDigest d = MessageDigest.getInstance("MD5");
            try (InputStream in = Files.newInputStream(file)) {
                byte[] buf = new byte[1 << 16];
                int n;
                while ((n = in.read(buf)) > 0) d.update(buf, 0, n);
            }
            return HexFormat.of().formatHex(d.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("MD5 is missing from this JDK", e);
        }
    }
}
