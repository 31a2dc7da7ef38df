package vectorgrad.kernels;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.MemorySegment;
import org.junit.jupiter.api.Test;

class RngTest {
    @Test
    void sameSeedSameStreamAndStateRestores() {
        Rng a = new Rng(5), b = new Rng(5);
        for (int i = 0; i < 100; i++) assertEquals(a.nextLong(), b.nextLong());
        long[] state = a.state();
        float[] first = new float[10];
        for (int i = 0; i < 10; i++) first[i] = a.nextFloat();
        a.setState(state);
        for (int i = 0; i < 10; i++) assertEquals(first[i], a.nextFloat());
        assertThrows(IllegalArgumentException.class, () -> a.setState(new long[4]));
    }

    /**
     * Dropout without a mask ({@link Rng#dropout}): every element either 0 or x·scale, decided as
     * {@link Rng#keeps} says for its block and place (so vector lanes, tails and the scalar path agree), the
     * same bits on 1, 2 and 3 threads, in place as out of place, kept at the rate 1 - p, and the backward's
     * call with the same seed drops the same elements.
     */
    @Test
    void dropoutWithoutAMaskIsAFunctionOfSeedAndIndex() {
        int n = 3 * Rng.MASK_BLOCK + 1001;
        float p = 0.3f, scale = 1 / (1 - p);
        float[] x = new float[n];
        for (int i = 0; i < n; i++) x[i] = 1 + (i % 97) * 0.01f;
        int before = Parallel.getNumThreads();
        try {
            float[] first = null;
            for (int threads : new int[] {1, 2, 3}) {
                Parallel.setNumThreads(threads);
                MemorySegment in = Mem.of(x), out = Mem.zeros(n);
                Rng.dropout(77, in, 0, out, 0, n, p, scale);
                float[] got = Mem.read(out, n);
                Rng.dropout(77, in, 0, in, 0, n, p, scale); // in place
                assertArrayEquals(got, Mem.read(in, n), "in place, threads=" + threads);
                if (first == null) first = got;
                else assertArrayEquals(first, got, "threads=" + threads);
            }
            int threshold = Rng.keepThreshold(p);
            long kept = 0;
            for (int i = 0; i < n; i++) {
                int b = i / Rng.MASK_BLOCK;
                boolean keep = Rng.keeps((int) Rng.mix2(77, b), i - b * Rng.MASK_BLOCK, threshold);
                assertEquals(keep ? x[i] * scale : 0f, first[i], "element " + i);
                if (keep) kept++;
            }
            assertEquals(1 - p, (double) kept / n, 5 * Math.sqrt(p * (1 - p) / n));
            MemorySegment g = Mem.of(x), gx = Mem.zeros(n), other = Mem.zeros(n);
            Rng.dropout(77, g, 0, gx, 0, n, p, scale);
            assertArrayEquals(first, Mem.read(gx, n), "the same seed drops the same elements");
            Rng.dropout(78, g, 0, other, 0, n, p, scale);
            assertTrue(!java.util.Arrays.equals(first, Mem.read(other, n)), "another seed, another mask");
        } finally {
            Parallel.setNumThreads(before);
        }
    }

    /**
     * A dropout mask of several blocks and an odd tail: the same bits on 1, 2 and 3 threads, only 0 and the
     * scale, zeros at the rate p (a block or half-long used twice would show), and one value of the stream
     * taken whatever the length.
     */
    @Test
    void dropoutMaskIsTheSameOnEveryThreadCountAndTakesOneDraw() {
        int n = 3 * Rng.MASK_BLOCK + 1001;
        float p = 0.3f, scale = 1 / 0.7f;
        float[][] masks = new float[3][];
        int saved = Parallel.getNumThreads();
        try {
            for (int t = 1; t <= 3; t++) {
                Parallel.setNumThreads(t);
                Rng r = new Rng(9);
                MemorySegment s = Mem.zeros(n);
                r.fillDropoutMask(s, 0, n, p, scale);
                masks[t - 1] = Mem.read(s, n);
                Rng fresh = new Rng(9);
                fresh.nextLong();
                assertEquals(fresh.nextLong(), r.nextLong(), "one draw of the stream per mask");
            }
        } finally {
            Parallel.setNumThreads(saved);
        }
        assertArrayEquals(masks[0], masks[1], 0f);
        assertArrayEquals(masks[0], masks[2], 0f);
        int zeros = 0;
        for (float v : masks[0]) {
            assertTrue(v == 0f || v == scale, "mask value " + v);
            if (v == 0f) zeros++;
        }
        assertEquals(p, zeros / (double) n, 0.01);
        for (long[] keys : new long[][] {{0, 0}, {9, 3}, {-1, Long.MIN_VALUE}})
            assertEquals(Rng.mix(keys[0], keys[1]), Rng.mix2(keys[0], keys[1]), "mix2 is mix of two keys");
        // the blocks differ from one another (each its own stream)
        float[] b0 = java.util.Arrays.copyOfRange(masks[0], 0, 1000),
                b1 = java.util.Arrays.copyOfRange(masks[0], Rng.MASK_BLOCK, Rng.MASK_BLOCK + 1000);
        assertTrue(!java.util.Arrays.equals(b0, b1), "two blocks drew the same values");
    }

    @Test
    void fillsDrawTheStreamInOrderAcrossTheirBlocks() {
        int n = 3 * 4096 + 7; // past the heap block, and odd: the normal fill's last pair is cut
        Rng a = new Rng(5), b = new Rng(5);
        MemorySegment s = Mem.zeros(n + 2);
        a.fillUniform(s, 1, n, -1f, 3f);
        float[] u = Mem.read(s, n + 2);
        assertEquals(0f, u[0]);
        assertEquals(0f, u[n + 1]);
        for (int i = 0; i < n; i++) assertEquals(-1f + 4f * b.nextFloat(), u[i + 1], "uniform " + i);
        a.fillNormal(s, 1, n, 2f, 0.5f);
        float[] z = Mem.read(s, n + 2);
        for (int i = 0; i < n; i += 2) {
            double u1 = 1.0 - b.nextDouble(), u2 = b.nextDouble(), r = Math.sqrt(-2.0 * Math.log(u1));
            assertEquals((float) (2f + 0.5f * r * Math.cos(2 * Math.PI * u2)), z[i + 1], "normal " + i);
            if (i + 1 < n) assertEquals((float) (2f + 0.5f * r * Math.sin(2 * Math.PI * u2)), z[i + 2], "normal " + i);
        }
        assertEquals(0f, z[n + 1]);
        assertEquals(a.nextLong(), b.nextLong(), "the fills took as many values as the loops");
    }

    @Test
    void uniformAndNormalHaveTheirMoments() {
        Rng r = new Rng(1);
        int n = 200_001; // odd: the normal fill's last pair is cut
        MemorySegment s = Mem.zeros(n);
        r.fillUniform(s, 0, n, -1f, 3f);
        float[] u = Mem.read(s, n);
        double mean = 0;
        for (float x : u) {
            assertTrue(x >= -1f && x < 3f);
            mean += x;
        }
        assertEquals(1.0, mean / n, 0.02);
        r.fillNormal(s, 0, n, 0f, 1f);
        float[] z = Mem.read(s, n);
        double m = 0, v = 0;
        for (float x : z) m += x;
        m /= n;
        for (float x : z) v += (x - m) * (x - m);
        v /= n;
        // standard errors: 1/sqrt(n) ~ 0.0022 for the mean, sqrt(2/n) ~ 0.0032 for the variance
        assertEquals(0.0, m, 0.01);
        assertEquals(1.0, v, 0.015);
    }

    @Test
    void nextIntIsInRangeAndCoversIt() {
        Rng r = new Rng(9);
        int[] counts = new int[7];
        for (int i = 0; i < 70_000; i++) counts[r.nextInt(7)]++;
        for (int c : counts) assertEquals(10_000, c, 500);
        int[] one = {r.nextInt(1)};
        assertArrayEquals(new int[] {0}, one);
    }
}
