package vectorgrad.kernels;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicIntegerArray;
import org.junit.jupiter.api.Test;

/** The spinning pool: every index once, loops right after a worker is made, failures, concurrent callers. */
class ParallelTest {
    private static void withThreads(int n, Runnable r) {
        int saved = Parallel.getNumThreads();
        try {
            Parallel.setNumThreads(n);
            r.run();
        } finally {
            Parallel.setNumThreads(saved);
        }
    }

    private static void coversEveryIndexOnce(int n) {
        AtomicIntegerArray seen = new AtomicIntegerArray(n);
        Parallel.forRange(n, 1, (from, to) -> {
            for (int i = from; i < to; i++) seen.incrementAndGet(i);
        });
        for (int i = 0; i < n; i++) assertEquals(1, seen.get(i), "index " + i + " of " + n);
    }

    /**
     * A loop posted just after its worker thread is made, before that thread first runs: the worker must
     * still take it. (A first version read the loop count when the thread started, so it waited for the
     * next loop and the caller waited for it: a training benchmark hung in its first iteration.)
     */
    @Test
    void loopsPostedAsWorkersAreMadeAllFinish() {
        assertTimeoutPreemptively(Duration.ofSeconds(60), () -> {
            for (int t = 2; t <= 7; t++)
                withThreads(Integer.valueOf(t), () -> {
                    for (int rep = 0; rep < 200; rep++) coversEveryIndexOnce(1 + rep % 23);
                });
        });
    }

    @Test
    void aFailureInAnyChunkReachesTheCaller() {
        withThreads(3, () -> {
            for (int bad = 0; bad < 3; bad++) {
                int b = bad;
                IllegalStateException e = assertThrows(
                        IllegalStateException.class,
                        () -> Parallel.forRange(3, 1, (from, to) -> {
                            if (from == b) throw new IllegalStateException("chunk " + b);
                        }));
                assertEquals("chunk " + b, e.getMessage());
                coversEveryIndexOnce(9); // and the pool still works
            }
        });
    }

    /** Loops from several threads at once: the one holding the pool shares it, the others run whole. */
    @Test
    void concurrentCallersAllGetTheirWholeLoop() throws Exception {
        assertTimeoutPreemptively(
                Duration.ofSeconds(60),
                () -> withThreads(2, () -> {
                    List<Thread> callers = new ArrayList<>();
                    int[][] sums = new int[4][];
                    for (int c = 0; c < 4; c++) {
                        int id = c;
                        Thread th = new Thread(() -> {
                            int[] out = new int[1000];
                            for (int rep = 0; rep < 300; rep++) {
                                Parallel.forRange(out.length, 1, (from, to) -> {
                                    for (int i = from; i < to; i++) out[i] += i + id;
                                });
                            }
                            sums[id] = out;
                        });
                        callers.add(th);
                        th.start();
                    }
                    for (Thread th : callers) {
                        try {
                            th.join();
                        } catch (InterruptedException e) {
                            throw new AssertionError(e);
                        }
                    }
                    for (int c = 0; c < 4; c++) {
                        int[] want = new int[1000];
                        for (int i = 0; i < want.length; i++) want[i] = 300 * (i + c);
                        assertArrayEquals(want, sums[c], "caller " + c);
                    }
                }));
    }
}
