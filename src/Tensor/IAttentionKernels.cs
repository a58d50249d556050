namespace Engine;

/// <summary>
/// Where the additive attention mask of a fused attention call lives: mask[b, i, j] = Data[Base[b] + i * StrideL + j * StrideS]
/// of the contiguous Float32 tensor Data (strides 0 where the mask broadcasts). Base has one offset per batch b.
/// </summary>
public sealed record AttentionMaskView(Tensor Data, int[] Base, int StrideL, int StrideS);

/// <summary>
/// A fused scaled-dot-product attention kernel (FlashAttention-2's algorithm): the [L, S] scores are never stored, only
/// the log-sum-exp of each query row, and the backward recomputes the scores tile by tile.
/// Shapes: q [B, L, D], k [B, S, D], v [B, S, Dv], all contiguous Float32; o [B, L, Dv]; lse [B, L].
/// o_i = sum_j softmax_j(s_ij) v_j with s_ij = scale q_i.k_j + mask[b,i,j] (and -inf for j &gt; i when causal).
/// </summary>
public interface IAttentionKernels
{
    (Tensor O, Tensor Lse) AttentionForward(Tensor q, Tensor k, Tensor v, AttentionMaskView? mask, bool causal, float scale);

    /// <summary>dq [B, L, D], dk [B, S, D], dv [B, S, Dv] from dO [B, L, Dv] and the forward's o and lse.</summary>
    (Tensor Dq, Tensor Dk, Tensor Dv) AttentionBackward(Tensor dO, Tensor q, Tensor k, Tensor v, Tensor o, Tensor lse,
        AttentionMaskView? mask, bool causal, float scale);
}
