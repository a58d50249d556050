namespace Engine;

// Shape letters: N batch, H heads, L target (query) length, S source (key) length, E embedding, D head dim (E / H).
public static partial class F
{
    /// <summary>
    /// Scaled dot-product attention, PyTorch 2's <c>F.scaled_dot_product_attention</c>:
    /// out = softmax(q k^T * scale + mask [+ causal]) v, with scale = 1/sqrt(D) unless given.
    /// q [..., L, D], k [..., S, D], v [..., S, Dv] to [..., L, Dv]; the leading dims broadcast.
    /// </summary>
    /// <param name="attnMask">An additive Float32 mask broadcastable to [..., L, S] (0 keeps, -inf or a large negative drops),
    /// or an Int32 mask where nonzero means "takes part" (PyTorch 2's boolean convention for this function).</param>
    /// <param name="dropoutP">Dropout on the attention weights (applied whenever positive, as PyTorch's functional does).</param>
    /// <param name="isCausal">Position i attends to positions j &lt;= i only (the upper triangle is dropped, aligned top-left as PyTorch).</param>
    /// <remarks>
    /// Without dropout this runs the backend's fused kernel (<see cref="IAttentionKernels"/>: FlashAttention's tiles on the
    /// CPU, a thread per query row and per key row on ILGPU devices): online softmax that never holds the [L, S] scores,
    /// with a backward that recomputes them; otherwise, and as the reference, the composed
    /// <see cref="ScaledDotProductAttentionNaive"/>.
    /// </remarks>
    public static Tensor ScaledDotProductAttention(Tensor q, Tensor k, Tensor v, Tensor? attnMask = null, double dropoutP = 0,
        bool isCausal = false, double? scale = null, Generator? gen = null)
    {
        var (L, S, D) = AttentionShapes.Check(q, k, v);
        var mask = attnMask == null ? null : AttentionShapes.ToAdditive(attnMask, takePartIsNonzero: true, "scaled_dot_product_attention");
        AttentionShapes.CheckMask(mask, q, L, S, "scaled_dot_product_attention: attnMask");
        float sc = (float)(scale ?? 1 / Math.Sqrt(D));
        if (dropoutP == 0 && q.Backend is IAttentionKernels && !Autograd.Tracks(mask))
            return Tensor.FusedAttention(q, k, v, mask, isCausal, sc);
        return AttentionNaive(q, k, v, mask, dropoutP, isCausal, sc, gen).Output;
    }

    /// <summary>The composed reference of <see cref="ScaledDotProductAttention"/>: matmul, add the mask, softmax, matmul (materializes [..., L, S]).</summary>
    public static Tensor ScaledDotProductAttentionNaive(Tensor q, Tensor k, Tensor v, Tensor? attnMask = null, double dropoutP = 0,
        bool isCausal = false, double? scale = null, Generator? gen = null)
    {
        var (L, S, D) = AttentionShapes.Check(q, k, v);
        var mask = attnMask == null ? null : AttentionShapes.ToAdditive(attnMask, takePartIsNonzero: true, "scaled_dot_product_attention");
        AttentionShapes.CheckMask(mask, q, L, S, "scaled_dot_product_attention: attnMask");
        return AttentionNaive(q, k, v, mask, dropoutP, isCausal, (float)(scale ?? 1 / Math.Sqrt(D)), gen).Output;
    }

    /// <summary>out = dropout(softmax(q k^T scale + mask)) v; also returns the weights [..., L, S] (after dropout, as PyTorch's MHA).</summary>
    internal static (Tensor Output, Tensor Weights) AttentionNaive(Tensor q, Tensor k, Tensor v, Tensor? mask, double dropoutP, bool isCausal, float scale, Generator? gen)
    {
        int L = q.Shape[^2], S = k.Shape[^2];
        var scores = q.Matmul(k.Transpose(-1, -2)).Mul(scale);
        if (mask != null) scores = scores.Add(mask);
        if (isCausal) scores = scores.Add(AttentionMask.Causal(L, S, q.Device));
        var w = scores.Softmax(-1);
        if (dropoutP > 0) w = Dropout(w, dropoutP, true, gen);
        return (w.Matmul(v), w);
    }
}

/// <summary>Masks for attention, as additive Float32 tensors (0 where attention is allowed, -inf where not).</summary>
public static class AttentionMask
{
    /// <summary>[L, S]: -inf above the diagonal (j &gt; i), 0 elsewhere, as <c>nn.Transformer.generate_square_subsequent_mask</c> for L = S.</summary>
    public static Tensor Causal(int L, int S, Device? device = null)
    {
        var m = new float[L * S];
        for (int i = 0; i < L; i++)
            for (int j = i + 1; j < S; j++) m[i * S + j] = float.NegativeInfinity;
        return Tensor.FromArray(m, [L, S], device);
    }

    /// <summary>The square causal mask [T, T] (PyTorch's <c>generate_square_subsequent_mask</c>).</summary>
    public static Tensor SquareSubsequent(int T, Device? device = null) => Causal(T, T, device);
}

/// <summary>Shape checks and mask conversion shared by the attention functions and layers.</summary>
internal static class AttentionShapes
{
    public static (int L, int S, int D) Check(Tensor q, Tensor k, Tensor v)
    {
        if (q.Rank < 2 || k.Rank < 2 || v.Rank < 2)
            throw new ShapeException($"scaled_dot_product_attention: q, k, v need at least 2 dims [..., T, D], got q {q.Shape}, k {k.Shape}, v {v.Shape}");
        if (q.Shape[^1] != k.Shape[^1])
            throw new ShapeException($"scaled_dot_product_attention: q {q.Shape} and k {k.Shape} must have the same last dim (head size)");
        if (k.Shape[^2] != v.Shape[^2])
            throw new ShapeException($"scaled_dot_product_attention: k {k.Shape} and v {v.Shape} must have the same source length (dim -2)");
        return (q.Shape[^2], k.Shape[^2], q.Shape[^1]);
    }

    /// <summary>
    /// A Float32 mask is returned as is (additive). An Int32 mask becomes 0 / -inf: with takePartIsNonzero (PyTorch 2's
    /// SDPA) nonzero keeps, otherwise (nn.MultiheadAttention's bool masks) nonzero drops.
    /// </summary>
    public static Tensor ToAdditive(Tensor mask, bool takePartIsNonzero, string what)
    {
        if (mask.DType == DType.Float32) return mask;
        if (mask.DType != DType.Int32) throw new ArgumentException($"{what}: a mask must be Float32 (additive) or Int32 (boolean), got {mask.DType} of shape {mask.Shape}");
        var b = mask.ToIntArray();
        var f = new float[b.Length];
        for (int i = 0; i < b.Length; i++) f[i] = (b[i] != 0) == takePartIsNonzero ? 0f : float.NegativeInfinity;
        return Tensor.FromArray(f, mask.Shape.ToArray(), mask.Device);
    }

    /// <summary>mask must broadcast to the scores [..., L, S] of q.</summary>
    public static void CheckMask(Tensor? mask, Tensor q, int L, int S, string what)
    {
        if (mask == null) return;
        var scores = q.Shape.ToArray()[..^1].Append(S).ToArray();
        bool ok = mask.Rank >= 1 && mask.Rank <= scores.Length;
        for (int i = 1; ok && i <= mask.Rank; i++)
        {
            int m = mask.Shape[^i], s = scores[^i];
            ok = m == s || m == 1;
        }
        if (!ok) throw new ShapeException($"{what} {mask.Shape} does not broadcast to the attention scores {Shape.Format(scores)} ([..., L={L}, S={S}])");
    }
}
