package vectorgrad.nn.io;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.zip.CRC32;
import vectorgrad.autograd.MemoryScope;
import vectorgrad.autograd.Tensor;
import vectorgrad.nn.Module;
import vectorgrad.nn.layers.Linear;
import vectorgrad.nn.optim.Adam;

/**
 * The child process of {@link CheckpointKillTest}: trains a small model and writes a checkpoint after
 * every step, forever, until it is killed. On start it removes stale temporaries and resumes from the
 * checkpoint if there is one. It prints {@code ready <step>}, then {@code writing <k>} / {@code saved <k>}
 * around each write, so the parent knows which two checkpoints may be on disk when it kills.
 */
public final class CheckpointKillChild {
    /** About 4 MB of weights and Adam state: writes take long enough for kills to land inside them. */
    static final class Net extends Module {
        final Linear a = new Linear(256, 1024);
        final Linear b = new Linear(1024, 8);

        Tensor forward(Tensor x) {
            return b.forward(a.forward(x).relu());
        }
    }

    /** CRC32 of every parameter's bits, in state-dict order: a checkpoint carries its own checksum. */
    static String crc(Module m) {
        CRC32 c = new CRC32();
        for (Tensor t : m.stateDict().values()) {
            for (float v : t.toFloatArray()) {
                int b = Float.floatToRawIntBits(v);
                c.update(new byte[] {(byte) b, (byte) (b >> 8), (byte) (b >> 16), (byte) (b >> 24)});
            }
        }
        return Long.toHexString(c.getValue());
    }

    public static void main(String[] args) throws Exception {
        Path file = Path.of(args[0]);
        Net net = new Net();
        Adam opt = new Adam(net.parameters(), 1e-3);
        int removed = Checkpoint.removeStaleTemporaries(file);
        long step = 0;
        if (Files.exists(file)) {
            Map<String, String> md = Checkpoint.load(file, net, opt);
            step = Long.parseLong(md.get("step"));
        }
        long left;
        try (var files = Files.list(file.toAbsolutePath().getParent())) {
            left = files.filter(f -> f.getFileName().toString().endsWith(".tmp"))
                    .count();
        }
        System.out.println("ready " + step + " removed " + removed + " left " + left);
        System.out.flush();
        try (Tensor x = Tensor.randn(new vectorgrad.autograd.Generator(1), 4, 256)) {
            while (true) {
                try (MemoryScope s = MemoryScope.open()) {
                    opt.zeroGrad();
                    net.forward(x).pow(2).mean().backward();
                    opt.step();
                }
                step++;
                Map<String, String> md = Map.of("step", Long.toString(step), "crc", crc(net));
                System.out.println("writing " + step); // the file write starts now
                System.out.flush();
                Checkpoint.save(file, net, opt, md);
                System.out.println("saved " + step);
                System.out.flush();
            }
        }
    }
}
