package vectorgrad.examples;

import java.util.Arrays;

/**
 * Characters to token ids and back: the vocabulary is the corpus's distinct characters (Unicode code
 * points) in ascending order, as nanoGPT's character-level tokenizer. It is saved with a checkpoint as the
 * string of those characters ({@link #vocabulary()}), and rebuilt from it.
 */
final class CharTokenizer {
    private final int[] codePoints; // ascending: token id = index

    private CharTokenizer(int[] codePoints) {
        this.codePoints = codePoints;
    }

    static CharTokenizer fromText(String text) {
        return new CharTokenizer(text.codePoints().distinct().sorted().toArray());
    }

    static CharTokenizer fromVocabulary(String vocabulary) {
        int[] cps = vocabulary.codePoints().toArray();
        for (int i = 1; i < cps.length; i++) {
            if (cps[i] <= cps[i - 1])
                throw new IllegalArgumentException("vocabulary is not in ascending order at " + i);
        }
        return new CharTokenizer(cps);
    }

    int size() {
        return codePoints.length;
    }

    String vocabulary() {
        return new String(codePoints, 0, codePoints.length);
    }

    /** The ids of {@code text}; a character outside the vocabulary is an error naming it and its place. */
    int[] encode(String text) {
        int[] cps = text.codePoints().toArray(), ids = new int[cps.length];
        for (int i = 0; i < cps.length; i++) {
            int id = Arrays.binarySearch(codePoints, cps[i]);
            if (id < 0) {
                throw new IllegalArgumentException("character " + describe(cps[i]) + " at position " + i
                        + " is not in the model's vocabulary of " + codePoints.length + " characters");
            }
            ids[i] = id;
        }
        return ids;
    }

    String decode(int[] ids) {
        int[] cps = new int[ids.length];
        for (int i = 0; i < ids.length; i++) cps[i] = codePoints[ids[i]];
        return new String(cps, 0, cps.length);
    }

    private static String describe(int cp) {
        return String.format("'%s' (U+%04X)", new String(Character.toChars(cp)), cp);
    }
}
