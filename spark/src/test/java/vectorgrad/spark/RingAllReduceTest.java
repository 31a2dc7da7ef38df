package vectorgrad.spark;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

class RingAllReduceTest {
    /** Runs an all-reduce of {@code inputs[r]} on {@code inputs.length} ranks over loopback. */
    static float[][] reduce(float[][] inputs) throws Exception {
        int n = inputs.length;
        List<RingAllReduce> rings = new ArrayList<>();
        List<String> addresses = new ArrayList<>();
        for (int r = 0; r < n; r++) {
            RingAllReduce ring = RingAllReduce.bind(r, n, "127.0.0.1");
            rings.add(ring);
            addresses.add(ring.address());
        }
        ExecutorService pool = Executors.newFixedThreadPool(n);
        try {
            List<Future<float[]>> out = new ArrayList<>();
            for (int r = 0; r < n; r++) {
                int rank = r;
                out.add(pool.submit(() -> {
                    float[] buf = inputs[rank].clone();
                    try (RingAllReduce ring = rings.get(rank)) {
                        ring.connect(addresses);
                        ring.allReduce(buf);
                        ring.allReduce(buf); // twice: the second call reuses the connections and buffers
                    }
                    return buf;
                }));
            }
            float[][] res = new float[n][];
            for (int r = 0; r < n; r++) res[r] = out.get(r).get();
            return res;
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void everyRankGetsTheSameSumsInTheRingsFixedOrder() throws Exception {
        SplittableRandom rnd = new SplittableRandom(3);
        for (int n : new int[] {1, 2, 3, 4}) {
            for (int len : new int[] {1, 3, 10, 1001}) { // fewer values than ranks too: empty chunks
                float[][] in = new float[n][len];
                for (float[] row : in) for (int i = 0; i < len; i++) row[i] = (float) rnd.nextGaussian();
                float[][] out = reduce(in);
                // the expected bits: twice the reduction, each chunk c summed from rank c around the ring
                float[] once = new float[len], twice = new float[len];
                for (int round = 0; round < 2; round++) {
                    float[][] src = round == 0 ? in : new float[n][];
                    if (round == 1) for (int r = 0; r < n; r++) src[r] = once;
                    float[] dst = round == 0 ? once : twice;
                    for (int c = 0; c < n; c++) {
                        int from = (int) ((long) c * len / n), to = (int) ((long) (c + 1) * len / n);
                        for (int i = from; i < to; i++) {
                            float acc = src[c][i];
                            for (int k = 1; k < n; k++) acc = acc + src[(c + k) % n][i];
                            dst[i] = acc;
                        }
                    }
                }
                for (int r = 0; r < n; r++)
                    assertArrayEquals(twice, out[r], "rank " + r + " of " + n + ", " + len + " values");
            }
        }
    }

    /** What rank 1 does after connecting, before rank 0's first call. */
    interface Rank1 {
        void after(RingAllReduce ring) throws IOException;
    }

    /** Connects a ring of two, lets rank 1 do {@code then}, and returns rank 0's failure in allReduce. */
    private static IOException rank0Failure(Rank1 then) throws Exception {
        RingAllReduce a = RingAllReduce.bind(0, 2, "127.0.0.1"), b = RingAllReduce.bind(1, 2, "127.0.0.1");
        List<String> addresses = List.of(a.address(), b.address());
        ExecutorService pool = Executors.newSingleThreadExecutor();
        try {
            Future<?> fb = pool.submit(() -> {
                b.connect(addresses);
                then.after(b);
                return null;
            });
            a.connect(addresses);
            fb.get();
            return assertThrows(IOException.class, () -> a.allReduce(new float[1000]));
        } finally {
            a.close();
            b.close();
            pool.shutdownNow();
        }
    }

    @Test
    void aPeerThatGoesAwayIsNamed() throws Exception {
        IOException e = rank0Failure(RingAllReduce::close); // rank 1 dies after connecting
        assertTrue(e.getMessage().contains("rank 1"), e.getMessage());
    }

    /** A rank that fails on its own aborts with its message: the next rank's call fails with that message. */
    @Test
    void anAbortCarriesItsMessage() throws Exception {
        IOException e = rank0Failure(b -> {
            b.abort("worker 1 of 2 (epoch 0): no class 12");
            b.close();
        });
        assertTrue(e.getMessage().contains("rank 1 failed: worker 1 of 2 (epoch 0): no class 12"), e.getMessage());
    }

    /** In a ring of three, the abort of rank 1 reaches rank 2 and, passed on, rank 0. */
    @Test
    void anAbortGoesAroundTheRing() throws Exception {
        RingAllReduce[] r = new RingAllReduce[3];
        List<String> addresses = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            r[i] = RingAllReduce.bind(i, 3, "127.0.0.1");
            addresses.add(r[i].address());
        }
        ExecutorService pool = Executors.newFixedThreadPool(3);
        try {
            List<Future<?>> connected = new ArrayList<>();
            for (RingAllReduce ring : r)
                connected.add(pool.submit(() -> {
                    ring.connect(addresses);
                    return null;
                }));
            for (Future<?> f : connected) f.get();
            r[1].abort("worker 1 of 3 (epoch 0): boom");
            r[1].close();
            Future<IOException> at0 =
                    pool.submit(() -> assertThrows(IOException.class, () -> r[0].allReduce(new float[999])));
            Future<IOException> at2 =
                    pool.submit(() -> assertThrows(IOException.class, () -> r[2].allReduce(new float[999])));
            for (Future<IOException> f : List.of(at0, at2)) {
                String m = f.get().getMessage();
                assertTrue(m.contains("rank 1 failed: worker 1 of 3 (epoch 0): boom"), m);
            }
        } finally {
            for (RingAllReduce ring : r) ring.close();
            pool.shutdownNow();
        }
    }
}
