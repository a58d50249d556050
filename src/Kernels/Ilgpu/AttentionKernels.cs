using ILGPU;
using ILGPU.Algorithms;

namespace Engine.Kernels.Ilgpu;

/// <summary>The sizes of one fused attention call (a kernel parameter): mask[b, i, j] = mask[base[b] + i*SL + j*SS].</summary>
public struct AttnDims
{
    public int L, S, D, Dv, Causal, HasMask, SL, SS;
    public float Scale;
}

/// <summary>
/// Fused scaled-dot-product attention on the device, one thread per query row (forward, dQ) or per key row (dK, dV),
/// so that no [L, S] score matrix is ever stored and no two threads write the same output.
/// Shape letters: B batch*heads, L queries, S keys, D head dim of q and k, Dv of v; all inputs dense.
///   s_ij = scale q_i.k_j + mask[b,i,j] (j &gt; i dropped when causal, aligned top-left as the CPU kernel);
///   forward, per row i, over keys j (online softmax, FlashAttention's recurrence with one key per step):
///     if s_ij &gt; m: o *= e^(m - s_ij), l *= e^(m - s_ij), m = s_ij;   p = e^(s_ij - m);  l += p;  o += p v_j
///   then o /= l, lse_i = m + log l (l = 0, every key masked: o is NaN, as the composed softmax);
///   backward from lse (the scores recomputed, P = e^(s - lse)):
///     delta_i = dO_i . o_i;  dS_ij = P_ij (dO_i . v_j - delta_i) scale;
///     dq_i = sum_j dS_ij k_j  (thread per query row);   dk_j = sum_i dS_ij q_i,  dv_j = sum_i P_ij dO_i  (thread per key row).
/// The running output accumulates in o itself (each thread owns its row): a kernel holds no array of its own.
/// </summary>
internal static class AttentionKernels
{
    /// <summary>s_ij = scale q_i.k_j + mask[b, i, j], with q_i at qo and k_j at ko.</summary>
    private static float Score(ArrayView<float> q, long qo, ArrayView<float> k, long ko, ArrayView<float> mask, ArrayView<int> bases,
        AttnDims d, int b, int i, int j)
    {
        float s = 0f;
        for (int c = 0; c < d.D; c++) s += q[qo + c] * k[ko + c];
        s *= d.Scale;
        if (d.HasMask != 0) s += mask[(long)bases[b] + (long)i * d.SL + (long)j * d.SS];
        return s;
    }

    /// <summary>One thread per query row e = b*L + i: o [B, L, Dv] and lse [B, L].</summary>
    public static void Forward(Index1D e, ArrayView<float> q, ArrayView<float> k, ArrayView<float> v, ArrayView<float> mask,
        ArrayView<int> bases, ArrayView<float> o, ArrayView<float> lse, AttnDims d)
    {
        int b = e / d.L, i = e % d.L;
        long qo = (long)(int)e * d.D, oo = (long)(int)e * d.Dv;
        for (int c = 0; c < d.Dv; c++) o[oo + c] = 0f;
        float m = float.NegativeInfinity, l = 0f;
        int sEnd = d.Causal != 0 ? XMath.Min(d.S, i + 1) : d.S;
        for (int j = 0; j < sEnd; j++)
        {
            long ko = ((long)b * d.S + j) * d.D, vo = ((long)b * d.S + j) * d.Dv;
            float s = Score(q, qo, k, ko, mask, bases, d, b, i, j);
            if (s > m)
            {
                float corr = XMath.Exp(m - s);   // m = -inf: 0, and o, l are still 0
                l *= corr;
                for (int c = 0; c < d.Dv; c++) o[oo + c] *= corr;
                m = s;
            }
            if (m == float.NegativeInfinity) continue;   // every key so far masked: p = 0
            float p = XMath.Exp(s - m);
            l += p;
            for (int c = 0; c < d.Dv; c++) o[oo + c] += p * v[vo + c];
        }
        float inv = 1f / l;
        for (int c = 0; c < d.Dv; c++) o[oo + c] = l == 0f ? float.NaN : o[oo + c] * inv;
        lse[e] = m + XMath.Log(l);
    }

    /// <summary>
    /// One thread per query row e = b*L + i: delta_i = dO_i . o_i (kept for the key kernel) and
    /// dq_i = sum_j P_ij (dO_i . v_j - delta_i) scale k_j.
    /// </summary>
    public static void BackwardQuery(Index1D e, ArrayView<float> q, ArrayView<float> k, ArrayView<float> v, ArrayView<float> mask,
        ArrayView<int> bases, ArrayView<float> dO, ArrayView<float> o, ArrayView<float> lse, ArrayView<float> delta, ArrayView<float> dq, AttnDims d)
    {
        int b = e / d.L, i = e % d.L;
        long qo = (long)(int)e * d.D, oo = (long)(int)e * d.Dv;
        float dl = 0f;
        for (int c = 0; c < d.Dv; c++) dl += dO[oo + c] * o[oo + c];
        delta[e] = dl;
        for (int c = 0; c < d.D; c++) dq[qo + c] = 0f;
        float ls = lse[e];
        int sEnd = d.Causal != 0 ? XMath.Min(d.S, i + 1) : d.S;
        for (int j = 0; j < sEnd; j++)
        {
            long ko = ((long)b * d.S + j) * d.D, vo = ((long)b * d.S + j) * d.Dv;
            float p = XMath.Exp(Score(q, qo, k, ko, mask, bases, d, b, i, j) - ls);
            float dp = 0f;
            for (int c = 0; c < d.Dv; c++) dp += dO[oo + c] * v[vo + c];
            float ds = p * (dp - dl) * d.Scale;
            for (int c = 0; c < d.D; c++) dq[qo + c] += ds * k[ko + c];
        }
    }

    /// <summary>
    /// One thread per key row e = b*S + j, over the queries that see it (i &gt;= j when causal):
    /// dv_j = sum_i P_ij dO_i and dk_j = sum_i P_ij (dO_i . v_j - delta_i) scale q_i.
    /// </summary>
    public static void BackwardKey(Index1D e, ArrayView<float> q, ArrayView<float> k, ArrayView<float> v, ArrayView<float> mask,
        ArrayView<int> bases, ArrayView<float> dO, ArrayView<float> lse, ArrayView<float> delta, ArrayView<float> dk, ArrayView<float> dv, AttnDims d)
    {
        int b = e / d.S, j = e % d.S;
        long ko = (long)(int)e * d.D, vo = (long)(int)e * d.Dv;
        for (int c = 0; c < d.D; c++) dk[ko + c] = 0f;
        for (int c = 0; c < d.Dv; c++) dv[vo + c] = 0f;
        int iStart = d.Causal != 0 ? j : 0;
        for (int i = iStart; i < d.L; i++)
        {
            long row = (long)b * d.L + i, qo = row * d.D, oo = row * d.Dv;
            float p = XMath.Exp(Score(q, qo, k, ko, mask, bases, d, b, i, j) - lse[row]);
            float dp = 0f;
            for (int c = 0; c < d.Dv; c++)
            {
                float g = dO[oo + c];
                dp += g * v[vo + c];
                dv[vo + c] += p * g;
            }
            float ds = p * (dp - delta[row]) * d.Scale;
            for (int c = 0; c < d.D; c++) dk[ko + c] += ds * q[qo + c];
        }
    }
}
