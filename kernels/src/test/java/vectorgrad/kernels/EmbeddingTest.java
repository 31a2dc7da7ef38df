package vectorgrad.kernels;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.MemorySegment;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** Embedding gather and scatter-add against plain loops, at row lengths with tails, and thread-count independent. */
class EmbeddingTest {
    private final SplittableRandom rnd = new SplittableRandom(5);

    @Test
    void gatherAndScatterAddMatchLoops() {
        for (int d : new int[] {1, 3, 17, 70, 130}) {
            int num = 9, n = 50;
            int[] idx = rnd.ints(n, 0, num).toArray();
            float[] w = Mem.random(rnd, num * d, -1, 1), dy = Mem.random(rnd, n * d, -1, 1);
            MemorySegment out = Mem.zeros(n * d), dw = Mem.zeros(num * d);
            Embedding.gather(idx, Mem.of(w), num, d, out);
            Embedding.scatterAdd(idx, Mem.of(dy), num, d, 4, dw);
            float[] got = Mem.read(out, n * d), gdw = Mem.read(dw, num * d);
            float[] want = new float[num * d];
            for (int i = 0; i < n; i++)
                for (int j = 0; j < d; j++) {
                    assertEquals(w[idx[i] * d + j], got[i * d + j], "gather d=" + d);
                    if (idx[i] != 4) want[idx[i] * d + j] += dy[i * d + j];
                }
            assertArrayEquals(want, gdw, "scatter-add d=" + d + " (padding row 4 stays zero)");
        }
    }

    @Test
    void scatterAddBitsDoNotDependOnThreads() {
        int num = 7, n = 400, d = 300;
        int[] idx = rnd.ints(n, 0, num).toArray();
        float[] dy = Mem.random(rnd, n * d, -1, 1);
        float[] first = null;
        int before = Parallel.getNumThreads();
        try {
            for (int t : new int[] {1, 2, 3}) {
                Parallel.setNumThreads(t);
                MemorySegment dw = Mem.zeros(num * d);
                Embedding.scatterAdd(idx, Mem.of(dy), num, d, -1, dw);
                float[] got = Mem.read(dw, num * d);
                if (first == null) first = got;
                else assertArrayEquals(first, got, "threads " + t);
            }
        } finally {
            Parallel.setNumThreads(before);
        }
    }

    @Test
    void anIndexOutOfRangeIsNamed() {
        var e = assertThrows(
                IndexOutOfBoundsException.class,
                () -> Embedding.gather(new int[] {0, 12}, Mem.zeros(10), 5, 2, Mem.zeros(4)));
        assertTrue(
                e.getMessage().contains("index 12 at position 1 is out of range for a table of 5 rows"),
                e.getMessage());
    }
}
