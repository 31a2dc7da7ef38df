package vectorgrad.nn.layers;

import vectorgrad.autograd.Generator;
import vectorgrad.autograd.Tensor;
import vectorgrad.nn.Functional;
import vectorgrad.nn.Layer;
import vectorgrad.nn.Parameter;

/**
 * A lookup table, as {@code nn.Embedding(num_embeddings, embedding_dim, padding_idx=None)}: int32 indices
 * of any shape → {@code [*shape, embeddingDim]}, the rows of {@code weight [numEmbeddings, embeddingDim]}.
 * Initialisation (PyTorch's): weight ~ N(0, 1), the row at {@code paddingIdx} zero; that row gets no
 * gradient, so it stays as it is. A negative {@code paddingIdx} counts from the end.
 */
public class Embedding extends Layer {
    public final Parameter weight;
    private final int numEmbeddings, embeddingDim;
    private final Integer paddingIdx;

    public Embedding(int numEmbeddings, int embeddingDim) {
        this(numEmbeddings, embeddingDim, null, Tensor.defaultGenerator());
    }

    public Embedding(int numEmbeddings, int embeddingDim, Integer paddingIdx, Generator g) {
        if (numEmbeddings <= 0 || embeddingDim <= 0)
            throw new IllegalArgumentException(
                    "Embedding: sizes must be positive, got " + numEmbeddings + " x " + embeddingDim);
        if (paddingIdx != null && (paddingIdx >= numEmbeddings || paddingIdx < -numEmbeddings))
            throw new IllegalArgumentException(
                    "Padding_idx must be within num_embeddings (" + numEmbeddings + "), got " + paddingIdx);
        this.numEmbeddings = numEmbeddings;
        this.embeddingDim = embeddingDim;
        this.paddingIdx = paddingIdx == null ? null : paddingIdx < 0 ? paddingIdx + numEmbeddings : paddingIdx;
        Tensor init = Tensor.randn(g, numEmbeddings, embeddingDim);
        if (this.paddingIdx != null) {
            float[] w = init.toFloatArray();
            java.util.Arrays.fill(w, this.paddingIdx * embeddingDim, (this.paddingIdx + 1) * embeddingDim, 0f);
            init.close();
            init = Tensor.of(w, numEmbeddings, embeddingDim);
        }
        this.weight = new Parameter(init);
    }

    @Override
    public Tensor forward(Tensor indices) {
        return Functional.embedding(indices, weight, paddingIdx);
    }

    @Override
    protected String extraRepr() {
        return numEmbeddings + ", " + embeddingDim + (paddingIdx != null ? ", padding_idx=" + paddingIdx : "");
    }
}
