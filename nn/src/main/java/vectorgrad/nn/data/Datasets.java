package vectorgrad.nn.data;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import vectorgrad.autograd.Generator;

/** Operations on datasets, as {@code torch.utils.data}'s functions. */
public final class Datasets {
    private Datasets() {}

    /**
     * Splits {@code dataset} into non-overlapping subsets of the given lengths, in a random order drawn
     * from {@code seed}, as {@code random_split(dataset, lengths, generator)}: the same seed gives the same
     * split (the permutation is this library's own, not PyTorch's {@code randperm}).
     */
    public static <T> List<Subset<T>> randomSplit(Dataset<T> dataset, int[] lengths, long seed) {
        int total = Arrays.stream(lengths).sum();
        if (total != dataset.size() || Arrays.stream(lengths).anyMatch(l -> l < 0)) {
            throw new IllegalArgumentException("Sum of input lengths " + Arrays.toString(lengths)
                    + " does not equal the length of the input dataset (" + dataset.size() + ")");
        }
        int[] perm = new Generator(seed).randperm(dataset.size());
        List<Subset<T>> out = new ArrayList<>();
        int at = 0;
        for (int len : lengths) {
            out.add(new Subset<>(dataset, Arrays.copyOfRange(perm, at, at + len)));
            at += len;
        }
        return out;
    }

    /**
     * Splits by fractions summing to 1, as {@code random_split} with fractions: each length is
     * {@code floor(size·fraction)}, and the remainder goes one by one to the subsets in order (round-robin).
     */
    public static <T> List<Subset<T>> randomSplit(Dataset<T> dataset, double[] fractions, long seed) {
        double sum = Arrays.stream(fractions).sum();
        if (Math.abs(sum - 1) > 1e-9 || Arrays.stream(fractions).anyMatch(f -> f < 0 || f > 1))
            throw new IllegalArgumentException(
                    "fractions must be in [0, 1] and sum to 1, got " + Arrays.toString(fractions));
        int n = dataset.size();
        int[] lengths = new int[fractions.length];
        int given = 0;
        for (int i = 0; i < lengths.length; i++) given += lengths[i] = (int) Math.floor(n * fractions[i]);
        for (int i = 0; given < n; i = (i + 1) % lengths.length, given++) lengths[i]++;
        return randomSplit(dataset, lengths, seed);
    }
}
