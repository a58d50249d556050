using System.Runtime.CompilerServices;
using Engine.Kernels.Gemm;
using Engine.Kernels.Ops;

namespace Engine.Kernels.Cpu;

// Fused attention on the CPU, FlashAttention-2's loop nest (Dao 2023) over the packed GEMM.
// Shape letters: B batch*heads, L queries, S keys, D head dim of q and k, Dv of v; Br x Bc score tiles.
// Forward, per (b, block of Br query rows), over key tiles of Bc:
//   S = Q_blk K_t^T * scale + mask          (Sgemm, Br x Bc, the only scores ever held)
//   m' = max(m, rowmax S);  P = exp(S - m');  l = l e^(m - m') + rowsum P;  O = O e^(m - m') + P V_t
// then O /= l and lse = m + log l is kept per row: O(L) memory beyond the inputs, never [L, S].
// Backward, per b, over key tiles and query blocks, the scores recomputed from lse:
//   P = exp(S - lse);  dV_t += P^T dO;  dP = dO V_t^T;  dS = P (dP - rowsum(dO o O)) scale;
//   dQ += dS K_t;  dK_t += dS^T Q.
// Rows whose every key is masked give NaN, as the composed softmax does. Causal masks j > i (top-left aligned) and
// skips the tiles that lie wholly above the diagonal.
internal static unsafe class FlashAttention
{
    internal const int Br = 64, Bc = 64;

    internal readonly record struct Dims(int B, int L, int S, int D, int Dv, float Scale, bool Causal);

    /// <summary>mask[b, i, j] = Data[Base[b] + i * SL + j * SS].</summary>
    internal sealed record Mask(float[] Data, int[] Base, int SL, int SS);


    public static (int B, int L, int S, int D, int Dv) Shapes(Tensor q, Tensor k, Tensor v)
    {
        if (q.Rank != 3 || k.Rank != 3 || v.Rank != 3 || q.Shape[0] != k.Shape[0] || k.Shape[0] != v.Shape[0]
            || q.Shape[2] != k.Shape[2] || k.Shape[1] != v.Shape[1])
            throw new ShapeException($"fused attention: q {q.Shape}, k {k.Shape}, v {v.Shape} must be [B,L,D], [B,S,D], [B,S,Dv]");
        return (q.Shape[0], q.Shape[1], k.Shape[1], q.Shape[2], v.Shape[2]);
    }

    // ---- forward ---------------------------------------------------------------------------------------------------

    public static void Forward(Dims d, float[] q, float[] k, float[] v, Mask? mask, float[] o, float[] lse)
    {
        int blocks = (d.L + Br - 1) / Br;
        long work = (long)d.B * d.L * d.S * (d.D + d.Dv);
        var level = CpuSettings.Simd;
        Par.For(d.B * blocks, work, (t0, t1) =>
        {
            var s = new float[Br * Bc]; var acc = new float[Br * d.Dv]; var m = new float[Br]; var l = new float[Br];
            for (int t = t0; t < t1; t++)
                switch (level)
                {
                    case SimdLevel.Avx512: ForwardBlock<V512>(d, t / blocks, t % blocks * Br, q, k, v, mask, o, lse, s, acc, m, l); break;
                    case SimdLevel.Avx2: ForwardBlock<V256>(d, t / blocks, t % blocks * Br, q, k, v, mask, o, lse, s, acc, m, l); break;
                    default: ForwardBlock<S1>(d, t / blocks, t % blocks * Br, q, k, v, mask, o, lse, s, acc, m, l); break;
                }
        });
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void ForwardBlock<T>(Dims d, int b, int i0, float[] q, float[] k, float[] v, Mask? mask, float[] o, float[] lse,
        float[] s, float[] acc, float[] m, float[] l) where T : struct, ISimd<T>
    {
        int br = Math.Min(Br, d.L - i0), D = d.D, Dv = d.Dv;
        int sEnd = d.Causal ? Math.Min(d.S, i0 + br) : d.S;
        Array.Clear(acc, 0, br * Dv);
        m.AsSpan(0, br).Fill(float.NegativeInfinity);
        Array.Clear(l, 0, br);
        fixed (float* qp = q, kp = k, vp = v, sp = s, ap = acc)
        {
            float* Q = qp + ((long)b * d.L + i0) * D;
            for (int j0 = 0; j0 < sEnd; j0 += Bc)
            {
                int bc = Math.Min(Bc, sEnd - j0);
                // s = Q K_t^T: B(kk, j) = K[j0 + j, kk]
                Sgemm.Run(br, bc, D, Q, D, 1, kp + ((long)b * d.S + j0) * D, 1, D, sp, bc, accumulate: false, parallel: false);
                for (int r = 0; r < br; r++)
                {
                    float* row = sp + r * bc;
                    float mx = Prep<T>(row, bc, d, mask, b, i0 + r, j0);
                    float mNew = Math.Max(m[r], mx);
                    if (float.IsNegativeInfinity(mNew)) { new Span<float>(row, bc).Clear(); continue; }   // nothing seen yet: p = 0
                    float corr = MathF.Exp(m[r] - mNew);
                    l[r] = l[r] * corr + ExpSum<T>(row, bc, mNew);
                    m[r] = mNew;
                    if (corr != 1f) Scale<T>(ap + r * Dv, Dv, corr);
                }
                // acc += P V_t
                Sgemm.Run(br, Dv, bc, sp, bc, 1, vp + ((long)b * d.S + j0) * Dv, Dv, 1, ap, Dv, accumulate: true, parallel: false);
            }
        }
        for (int r = 0; r < br; r++)
        {
            long row = (long)b * d.L + i0 + r;
            float inv = 1f / l[r];   // l = 0 (every key masked): inf * 0 = NaN, as the composed softmax
            for (int c = 0; c < Dv; c++) o[row * Dv + c] = l[r] == 0 ? float.NaN : acc[r * Dv + c] * inv;
            lse[row] = m[r] + MathF.Log(l[r]);
        }
    }

    /// <summary>row[j] = row[j] * scale + mask[b, i, j0 + j] (-inf past the diagonal when causal); returns the row max.</summary>
    private static float Prep<T>(float* row, int n, Dims d, Mask? mask, int b, int i, int j0) where T : struct, ISimd<T>
    {
        var sc = T.Create(d.Scale);
        int j = 0;
        if (mask == null || mask.SS == 1)
        {
            fixed (float* mp = mask?.Data)
            {
                float* mrow = mask == null ? null : mp + mask.Base[b] + (long)i * mask.SL + j0;
                for (; j + T.Count <= n; j += T.Count)
                {
                    var x = T.Load(row + j) * sc;
                    if (mrow != null) x += T.Load(mrow + j);
                    T.Store(x, row + j);
                }
            }
        }
        for (; j < n; j++) row[j] = row[j] * d.Scale + (mask == null ? 0f : mask.Data[mask.Base[b] + (long)i * mask.SL + (long)(j0 + j) * mask.SS]);
        if (d.Causal)
            for (int c = Math.Max(0, i + 1 - j0); c < n; c++) row[c] = float.NegativeInfinity;
        float mx = float.NegativeInfinity;
        for (int c = 0; c < n; c++) mx = Math.Max(mx, row[c]);
        return mx;
    }

    /// <summary>row[j] = exp(row[j] - m); returns the sum.</summary>
    private static float ExpSum<T>(float* row, int n, float m) where T : struct, ISimd<T>
    {
        var mv = T.Create(m); var sum = T.Zero;
        int j = 0;
        for (; j + T.Count <= n; j += T.Count)
        {
            var e = VMath.Exp(T.Load(row + j) - mv);
            T.Store(e, row + j);
            sum += e;
        }
        float s = T.Sum(sum);
        for (; j < n; j++) { row[j] = MathF.Exp(row[j] - m); s += row[j]; }
        return s;
    }

    private static void Scale<T>(float* x, int n, float a) where T : struct, ISimd<T>
    {
        var av = T.Create(a);
        int j = 0;
        for (; j + T.Count <= n; j += T.Count) T.Store(T.Load(x + j) * av, x + j);
        for (; j < n; j++) x[j] *= a;
    }

    // ---- backward --------------------------------------------------------------------------------------------------

    public static void Backward(Dims d, float[] dO, float[] q, float[] k, float[] v, float[] o, float[] lse, Mask? mask,
        float[] dq, float[] dk, float[] dv)
    {
        long work = (long)d.B * d.L * d.S * (d.D + d.Dv) * 2;
        var level = CpuSettings.Simd;
        // One task per b: dk and dv of a key tile gather every query block, so a b is never split between threads.
        Par.For(d.B, work, (b0, b1) =>
        {
            var p = new float[Br * Bc]; var dp = new float[Br * Bc]; var delta = new float[d.L];
            for (int b = b0; b < b1; b++)
                switch (level)
                {
                    case SimdLevel.Avx512: BackwardHead<V512>(d, b, dO, q, k, v, o, lse, mask, dq, dk, dv, p, dp, delta); break;
                    case SimdLevel.Avx2: BackwardHead<V256>(d, b, dO, q, k, v, o, lse, mask, dq, dk, dv, p, dp, delta); break;
                    default: BackwardHead<S1>(d, b, dO, q, k, v, o, lse, mask, dq, dk, dv, p, dp, delta); break;
                }
        });
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void BackwardHead<T>(Dims d, int b, float[] dO, float[] q, float[] k, float[] v, float[] o, float[] lse, Mask? mask,
        float[] dq, float[] dk, float[] dv, float[] p, float[] dp, float[] delta) where T : struct, ISimd<T>
    {
        int L = d.L, S = d.S, D = d.D, Dv = d.Dv;
        fixed (float* dOp = dO, qp = q, kp = k, vp = v, op = o, pp = p, dpp = dp, dqp = dq, dkp = dk, dvp = dv)
        {
            long qb = (long)b * L, kb = (long)b * S;
            // delta_i = rowsum(dO_i * O_i) = sum_j P_ij dP_ij
            for (int i = 0; i < L; i++) delta[i] = Dot<T>(dOp + (qb + i) * Dv, op + (qb + i) * Dv, Dv);
            for (int j0 = 0; j0 < S; j0 += Bc)
            {
                int bc = Math.Min(Bc, S - j0);
                float* Kt = kp + (kb + j0) * D, Vt = vp + (kb + j0) * Dv, dKt = dkp + (kb + j0) * D, dVt = dvp + (kb + j0) * Dv;
                int iStart = d.Causal ? Math.Min(L, j0) : 0;   // rows i < j0 see no key of this tile
                for (int i0 = iStart; i0 < L; i0 += Br)
                {
                    int br = Math.Min(Br, L - i0);
                    float* Q = qp + (qb + i0) * D, dOb = dOp + (qb + i0) * Dv, dQ = dqp + (qb + i0) * D;
                    Sgemm.Run(br, bc, D, Q, D, 1, Kt, 1, D, pp, bc, accumulate: false, parallel: false);
                    for (int r = 0; r < br; r++)
                    {
                        float* row = pp + r * bc;
                        Prep<T>(row, bc, d, mask, b, i0 + r, j0);
                        ExpSum<T>(row, bc, lse[qb + i0 + r]);   // P = exp(S - lse)
                    }
                    // dV_t += P^T dO_blk: A(j, r) = P[r, j]
                    Sgemm.Run(bc, Dv, br, pp, 1, bc, dOb, Dv, 1, dVt, Dv, accumulate: true, parallel: false);
                    // dP = dO_blk V_t^T
                    Sgemm.Run(br, bc, Dv, dOb, Dv, 1, Vt, 1, Dv, dpp, bc, accumulate: false, parallel: false);
                    for (int r = 0; r < br; r++) SoftmaxGrad<T>(pp + r * bc, dpp + r * bc, bc, delta[i0 + r], d.Scale);
                    // dQ_blk += dS K_t;  dK_t += dS^T Q_blk   (dS is in dp)
                    Sgemm.Run(br, D, bc, dpp, bc, 1, Kt, D, 1, dQ, D, accumulate: true, parallel: false);
                    Sgemm.Run(bc, D, br, dpp, 1, bc, Q, D, 1, dKt, D, accumulate: true, parallel: false);
                }
            }
        }
    }

    /// <summary>ds[j] = p[j] (dp[j] - delta) scale, in place of dp.</summary>
    private static void SoftmaxGrad<T>(float* p, float* dp, int n, float delta, float scale) where T : struct, ISimd<T>
    {
        var dv = T.Create(delta); var sv = T.Create(scale);
        int j = 0;
        for (; j + T.Count <= n; j += T.Count) T.Store(T.Load(p + j) * (T.Load(dp + j) - dv) * sv, dp + j);
        for (; j < n; j++) dp[j] = p[j] * (dp[j] - delta) * scale;
    }

    private static float Dot<T>(float* a, float* b, int n) where T : struct, ISimd<T>
    {
        var acc = T.Zero;
        int j = 0;
        for (; j + T.Count <= n; j += T.Count) acc = T.Fma(T.Load(a + j), T.Load(b + j), acc);
        float s = T.Sum(acc);
        for (; j < n; j++) s += a[j] * b[j];
        return s;
    }
}
