namespace Engine.Text;

/// <summary>Sentence embeddings from token states.</summary>
public static class Pooling
{
    /// <summary>
    /// Masked mean: e_n = sum_t m[n,t] h[n,t,:] / max(sum_t m[n,t], 1e-9) (sentence-transformers' mean pooling).
    /// hidden [N, T, E], attentionMask [N, T] (1 token, 0 padding; Int32 or Float32) to [N, E].
    /// </summary>
    public static Tensor MaskedMean(Tensor hidden, Tensor attentionMask)
    {
        if (hidden.Rank != 3 || attentionMask.Rank != 2 || attentionMask.Shape[0] != hidden.Shape[0] || attentionMask.Shape[1] != hidden.Shape[1])
            throw new ShapeException($"MaskedMean: hidden {hidden.Shape} must be [N, T, E] and attentionMask {attentionMask.Shape} [N, T]");
        var m = attentionMask.DType == DType.Float32 ? attentionMask : Tensor.FromArray(attentionMask.ToArray(), attentionMask.Shape.ToArray(), hidden.Device);
        var m3 = m.Unsqueeze(-1);                                  // [N, T, 1]
        var sum = hidden.Mul(m3).Sum(1);                           // [N, E]
        var count = m3.Sum(1).Clamp(min: 1e-9f);                   // [N, 1]
        return sum.Div(count);
    }

    /// <summary>The first ([CLS]) token's state: hidden [N, T, E] to [N, E].</summary>
    public static Tensor Cls(Tensor hidden) => hidden.Select(1, 0);
}
