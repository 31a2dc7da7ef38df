package vectorgrad.nn.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import vectorgrad.autograd.DType;
import vectorgrad.autograd.Tensor;

/** TensorDataset, Subset, randomSplit and CsvDataset, through the DataLoader. */
class TabularDataTest {
    @TempDir
    Path dir;

    @Test
    void tensorDatasetBatchesRowsThroughTheLoader() {
        TensorDataset d = new TensorDataset(
                Tensor.arange(20).reshape(10, 2), Tensor.ofInts(new int[] {0, 1, 2, 3, 4, 5, 6, 7, 8, 9}, 10));
        DataLoader<Sample> loader = new DataLoader<>(d, 4, false, false, 0);
        var it = loader.iterator(0, 0);
        DataLoader.Batch b = it.next();
        assertArrayEquals(new int[] {4, 2}, b.inputs().shape());
        assertArrayEquals(new float[] {0, 1, 2, 3, 4, 5, 6, 7}, b.inputs().toFloatArray());
        assertArrayEquals(new int[] {0, 1, 2, 3}, b.targets().toIntArray());
        it.close();
        assertArrayEquals(new float[] {6, 7}, d.get(3).input().toFloatArray());
        assertThrows(IllegalArgumentException.class, () -> new TensorDataset(Tensor.zeros(3, 2), Tensor.zeros(4)));
    }

    @Test
    void randomSplitIsDisjointCompleteAndSeeded() {
        TensorDataset d = new TensorDataset(Tensor.arange(100).reshape(100, 1), Tensor.zeros(100));
        List<Subset<Sample>> parts = Datasets.randomSplit(d, new double[] {0.8, 0.2}, 7);
        assertEquals(80, parts.get(0).size());
        assertEquals(20, parts.get(1).size());
        Set<Integer> all = new HashSet<>(parts.get(0).indices());
        all.addAll(parts.get(1).indices());
        assertEquals(100, all.size());
        assertEquals(
                parts.get(1).indices(),
                Datasets.randomSplit(d, new int[] {80, 20}, 7).get(1).indices());
        DataLoader.Batch b = new DataLoader<>(parts.get(1), 5, false, false, 0)
                .iterator(0, 0)
                .next();
        assertEquals((float) parts.get(1).indices().get(0), b.inputs().toFloatArray()[0]);
        assertThrows(IllegalArgumentException.class, () -> Datasets.randomSplit(d, new int[] {50, 49}, 1));
    }

    @Test
    void csvReadsFeaturesTargetsAndClasses() throws Exception {
        Path f = dir.resolve("t.csv");
        Files.writeString(f, "a,b,\"label, text\",y\n1,2.5,cat,0.5\n\n-3,4e1,\"dog\",1.5\n");
        CsvDataset reg = CsvDataset.read(f, "y", List.of("a", "b"), false);
        assertArrayEquals(new float[] {1, 2.5f, -3, 40}, reg.inputs().toFloatArray());
        assertArrayEquals(new int[] {2, 1}, reg.targets().shape());
        CsvDataset cls = CsvDataset.read(f, "label, text", List.of("a", "y"), true);
        assertEquals(List.of("cat", "dog"), cls.classes());
        assertEquals(DType.INT32, cls.targets().dtype());
        assertArrayEquals(new int[] {0, 1}, cls.targets().toIntArray());
    }

    @Test
    void csvErrorsNameFileLineAndColumn() throws Exception {
        Path f = dir.resolve("bad.csv");
        Files.writeString(f, "a,b,y\n1,2,3\n4,x,6\n");
        IllegalArgumentException e =
                assertThrows(IllegalArgumentException.class, () -> CsvDataset.read(f, "y", null, false));
        assertTrue(e.getMessage().contains("bad.csv line 3, column 2 (\"b\"): cannot read \"x\""), e.getMessage());
        Files.writeString(f, "a,b,y\n1,2,3\n4,5\n");
        e = assertThrows(IllegalArgumentException.class, () -> CsvDataset.read(f, "y", null, false));
        assertTrue(e.getMessage().contains("line 3: 2 fields, but the header has 3"), e.getMessage());
        Files.writeString(f, "a,b,y\n1,2,3\n");
        e = assertThrows(IllegalArgumentException.class, () -> CsvDataset.read(f, "z", null, false));
        assertTrue(e.getMessage().contains("no column \"z\""), e.getMessage());
    }
}
