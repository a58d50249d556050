namespace Engine.Text;

/// <summary>
/// InfoNCE and SimCSE (Gao et al. 2021): sentence embeddings pulled toward their positive and pushed from the rest of
/// the batch. With a [N, E] anchors and p [N, E] positives, s_ij = cos(a_i, p_j) / τ and
/// loss = mean_i -log(exp s_ii / sum_j exp s_ij), the cross-entropy of each row with its own index as the label.
/// </summary>
public static class Contrastive
{
    /// <summary>Rows divided by their L2 norm (eps keeps a zero row finite).</summary>
    public static Tensor Normalize(Tensor x, float eps = 1e-12f) => x.Div(x.Square().Sum(-1, keepDim: true).Add(eps).Sqrt());

    /// <summary>cos(a_i, b_j) for a [N, E], b [M, E] to [N, M].</summary>
    public static Tensor CosineSimilarityMatrix(Tensor a, Tensor b)
    {
        if (a.Rank != 2 || b.Rank != 2 || a.Shape[1] != b.Shape[1])
            throw new ShapeException($"cosine similarity: a {a.Shape} and b {b.Shape} must be [N, E] and [M, E] with the same E");
        return Normalize(a).Matmul(Normalize(b).T);
    }

    /// <summary>
    /// InfoNCE with in-batch negatives: anchors [N, E], positives [N, E]; hardNegatives [N, E] (optional, supervised
    /// SimCSE's contradictions) add N more columns of negatives to every row. temperature τ (SimCSE: 0.05).
    /// </summary>
    public static Tensor InfoNce(Tensor anchors, Tensor positives, Tensor? hardNegatives = null, double temperature = 0.05)
    {
        if (!(temperature > 0)) throw new ArgumentOutOfRangeException(nameof(temperature), $"InfoNCE: temperature must be positive, got {temperature}");
        if (anchors.Shape != positives.Shape) throw new ShapeException($"InfoNCE: anchors {anchors.Shape} and positives {positives.Shape} must have the same shape [N, E]");
        if (hardNegatives != null && hardNegatives.Shape != anchors.Shape) throw new ShapeException($"InfoNCE: hardNegatives {hardNegatives.Shape} must be [N, E] = {anchors.Shape}");
        var logits = CosineSimilarityMatrix(anchors, positives);
        if (hardNegatives != null) logits = Tensor.Cat([logits, CosineSimilarityMatrix(anchors, hardNegatives)], 1);
        int N = anchors.Shape[0];
        var labels = Tensor.FromArray(Enumerable.Range(0, N).ToArray(), N).To(anchors.Device);
        return F.CrossEntropy(logits.Mul((float)(1 / temperature)), labels);
    }

    /// <summary>
    /// Unsupervised SimCSE: the same batch through the encoder twice in training mode, so the two views differ only by
    /// dropout; each sentence's second view is its positive. encode maps the batch to embeddings [N, E].
    /// </summary>
    public static Tensor UnsupervisedSimCse(Func<Tensor> encode, double temperature = 0.05) => InfoNce(encode(), encode(), null, temperature);
}
