package vectorgrad.nn.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import vectorgrad.autograd.Tensor;

/** A DataLoader over a user's own dataset: default collation, a custom one, order and errors. */
class DataLoaderTest {
    /** Ten examples: input [2] = {i, -i}, target a float32 scalar 10·i. */
    private static Dataset<Sample> regression(int n) {
        return new Dataset<>() {
            @Override
            public int size() {
                return n;
            }

            @Override
            public Sample get(int i) {
                return new Sample(Tensor.of(new float[] {i, -i}, 2), Tensor.of(new float[] {10 * i}, new int[0]));
            }
        };
    }

    @Test
    void samplesAreStackedAlongANewFirstDimension() {
        DataLoader<Sample> loader = new DataLoader<>(regression(10), 4, false, false, 0);
        assertEquals(3, loader.size());
        List<int[]> shapes = new ArrayList<>();
        float[] firstTargets = null;
        for (var it = loader.iterator(0, 0); it.hasNext(); ) {
            try (DataLoader.Batch b = it.next()) {
                shapes.add(b.inputs().shape());
                if (firstTargets == null) firstTargets = b.targets().toFloatArray();
            }
        }
        assertArrayEquals(new int[] {4, 2}, shapes.get(0));
        assertArrayEquals(new int[] {2, 2}, shapes.get(2), "the last batch holds the rest");
        assertArrayEquals(new float[] {0, 10, 20, 30}, firstTargets);
        assertEquals(2, new DataLoader<>(regression(10), 4, false, true, 0).size(), "drop_last");
    }

    @Test
    void shuffleIsSeededAndCoversEveryExampleOnce() {
        DataLoader<Sample> loader = new DataLoader<>(regression(10), 3, true, false, 42);
        assertArrayEquals(loader.order(5), new DataLoader<>(regression(10), 3, true, false, 42).order(5));
        List<Float> seen = new ArrayList<>();
        for (var it = loader.iterator(1, 0); it.hasNext(); ) {
            try (DataLoader.Batch b = it.next()) {
                for (float v : b.targets().toFloatArray()) seen.add(v / 10);
            }
        }
        assertEquals(10, seen.size());
        assertEquals(10, seen.stream().distinct().count());
    }

    @Test
    void aCollateBuildsBatchesOfAnythingElse() {
        Dataset<String> words = new Dataset<>() {
            @Override
            public int size() {
                return 5;
            }

            @Override
            public String get(int i) {
                return "w".repeat(i + 1);
            }
        };
        DataLoader<String> loader = new DataLoader<>(words, 2, false, false, 0, (items, index) -> {
            float[] lengths = new float[items.size()];
            for (int i = 0; i < lengths.length; i++) lengths[i] = items.get(i).length();
            return new DataLoader.Batch(
                    Tensor.of(lengths, lengths.length), Tensor.ofInts(new int[items.size()], items.size()), index);
        });
        try (var it = loader.iterator(0, 2);
                DataLoader.Batch b = it.next()) {
            assertArrayEquals(new float[] {5}, b.inputs().toFloatArray());
            assertEquals(2, b.index());
        }
        DataLoader<String> noCollate = new DataLoader<>(words, 2, false, false, 0);
        RuntimeException e = assertThrows(RuntimeException.class, () -> {
            try (var it = noCollate.iterator(0, 0)) {
                it.hasNext();
            }
        });
        assertTrue(e.getMessage().contains("not a Sample; pass a Collate"), e.getMessage());
    }

    @Test
    void samplesOfDifferentShapesAreNamed() {
        Dataset<Sample> ragged = new Dataset<>() {
            @Override
            public int size() {
                return 2;
            }

            @Override
            public Sample get(int i) {
                return new Sample(Tensor.zeros(i + 1), Tensor.ofInts(new int[] {0}, new int[0]));
            }
        };
        RuntimeException e = assertThrows(RuntimeException.class, () -> {
            try (var it = new DataLoader<>(ragged, 2, false, false, 0).iterator(0, 0)) {
                it.hasNext();
            }
        });
        assertTrue(e.getMessage().contains("stack expects each input to be equal size"), e.getMessage());
    }
}
