package vectorgrad.nn.layers;

/** How layers print their sizes: as PyTorch does, {@code 2} for one int, {@code (2, 3)} for a pair. */
final class LayerText {
    private LayerText() {}

    static String intOrPair(int[] v) {
        return v.length == 1 ? Integer.toString(v[0]) : "(" + v[0] + ", " + v[1] + ")";
    }
}
