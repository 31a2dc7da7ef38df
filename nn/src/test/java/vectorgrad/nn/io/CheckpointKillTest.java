package vectorgrad.nn.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import vectorgrad.nn.optim.Adam;

/**
 * Crash safety of checkpoints: a child JVM ({@link CheckpointKillChild}) trains and checkpoints after
 * every step; we SIGKILL it at random moments, many of them in the middle of a write. After each kill
 * the file on disk must load and be the last checkpoint the child finished or the one it was writing —
 * never a mix (each checkpoint carries a CRC of its weights) — and the next run must start from it and
 * clear the killed write's temporary file.
 */
class CheckpointKillTest {
    static final int KILLS = 32;

    @Test
    void killedWritersLeaveTheOldOrTheNewCheckpoint(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("ckpt.safetensors");
        Random rnd = new Random(20261130);
        long onDisk = 0;
        int duringWrite = 0, tempsLeft = 0, tempsRemoved = 0;
        for (int kill = 0; kill < KILLS; kill++) {
            Process p = new ProcessBuilder(javaCommand(file))
                    .redirectError(ProcessBuilder.Redirect.DISCARD)
                    .start();
            LinkedBlockingQueue<String> lines = new LinkedBlockingQueue<>();
            Thread reader = Thread.ofPlatform().daemon().start(() -> {
                try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream()))) {
                    for (String l; (l = r.readLine()) != null; ) lines.add(l);
                } catch (IOException ignored) {
                }
                lines.add("eof");
            });
            String ready = lines.poll(60, TimeUnit.SECONDS);
            assertTrue(ready != null && ready.startsWith("ready "), "child did not start: " + ready);
            String[] f = ready.split(" ");
            assertEquals(onDisk, Long.parseLong(f[1]), "the restarted run resumes from the checkpoint on disk");
            tempsRemoved += Integer.parseInt(f[3]);
            assertEquals("0", f[5], "stale temporaries are removed when a run starts, before it writes");
            // wait for a finished write; then kill half the time at a random moment, half the time
            // just after the next write began (inside it, mostly)
            long saved = -1, writing = -1;
            String last = null;
            boolean sawSaved = false;
            while (true) {
                String l = lines.poll(60, TimeUnit.SECONDS);
                assertTrue(l != null && !l.equals("eof"), "child stopped early");
                last = l;
                if (l.startsWith("saved ")) saved = Long.parseLong(l.substring(6));
                if (l.startsWith("writing ")) writing = Long.parseLong(l.substring(8));
                if (kill % 2 == 0 ? l.startsWith("saved ") : sawSaved && l.startsWith("writing ")) break;
                sawSaved |= l.startsWith("saved ");
            }
            Thread.sleep(kill % 2 == 0 ? rnd.nextInt(150) : rnd.nextInt(4));
            p.destroyForcibly(); // SIGKILL on Linux
            assertTrue(p.waitFor(30, TimeUnit.SECONDS));
            reader.join(30_000);
            List<String> rest = new ArrayList<>();
            lines.drainTo(rest);
            for (String s : rest) {
                if (s.equals("eof")) break;
                last = s;
                if (s.startsWith("saved ")) saved = Long.parseLong(s.substring(6));
                if (s.startsWith("writing ")) writing = Long.parseLong(s.substring(8));
            }
            if (last.startsWith("writing")) duringWrite++;
            tempsLeft += temporaries(dir);

            CheckpointKillChild.Net net = new CheckpointKillChild.Net();
            Map<String, String> md = Checkpoint.load(file, net, new Adam(net.parameters(), 1e-3));
            long step = Long.parseLong(md.get("step"));
            assertTrue(
                    step == saved || step == writing,
                    "checkpoint of step " + step + " after saved " + saved + ", writing " + writing);
            assertEquals(
                    md.get("crc"),
                    CheckpointKillChild.crc(net),
                    "the checkpoint of step " + step + " is a mix of two writes");
            onDisk = step;
        }
        System.out.printf(
                "checkpoint kill test: %d SIGKILLs, %d during a write, %d temporary files left by kills, %d removed by the next run%n",
                KILLS, duringWrite, tempsLeft, tempsRemoved);
        assertTrue(
                duringWrite > 0 && tempsLeft > 0,
                "no kill landed inside a file write; the test does not test what it says");
        assertTrue(
                tempsRemoved > 0 || tempsLeft == temporaries(dir), "the next run removed the temporaries kills left");
    }

    private static long temporaries(Path dir) throws IOException {
        try (var s = Files.list(dir)) {
            return s.filter(x -> x.getFileName().toString().endsWith(".tmp")).count();
        }
    }

    private static List<String> javaCommand(Path file) {
        String java = ProcessHandle.current()
                .info()
                .command()
                .orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        return List.of(
                java,
                "--add-modules",
                "jdk.incubator.vector",
                "--enable-native-access=ALL-UNNAMED",
                "-Xmx256m",
                "-XX:+UseSerialGC",
                "-cp",
                System.getProperty("java.class.path"),
                CheckpointKillChild.class.getName(),
                file.toString());
    }
}
