namespace Engine;

// The fused attention op (F.ScaledDotProductAttention in Engine.Layers is the user-facing entry).
public static partial class TensorApi
{
    extension(Tensor)
    {
        /// <summary>
        /// softmax(q k^T scale + mask [+ causal]) v by the backend's fused kernel (<see cref="IAttentionKernels"/>):
        /// q [..., L, D], k [..., S, D], v [..., S, Dv] to [..., L, Dv]; mask additive Float32, broadcastable to
        /// [..., L, S], not differentiated. Throws when the backend has no fused kernel.
        /// </summary>
        public static Tensor FusedAttention(Tensor q, Tensor k, Tensor v, Tensor? mask, bool isCausal, float scale)
        {
            if (q.Backend is not IAttentionKernels)
                throw new NotSupportedException($"fused attention: the {q.Device} backend has no fused attention kernel; use F.ScaledDotProductAttentionNaive");
            return Functions.FusedAttention.Forward(q, k, v, mask, isCausal, scale);
        }
    }
}
