using System.Runtime.CompilerServices;

namespace Engine.Kernels.Pool;

// The common pooling window: 2x2, stride 2, no padding, over one [H,W] plane -> [P,Q] = [H/2, W/2] (floor).
// Max: y[p,q] = max of x[2p..2p+1, 2q..2q+1], index = h*W + w of the first maximum in row-major window order,
// a NaN wins (PyTorch's rule, as in the generic kernel). A vector of outputs at a time (generic over the width):
// 2 * lanes inputs of each of the two rows are split into even and odd columns (ISimd.Deinterleave), then three
// compare-and-blend steps; indices are carried as floats (exact below 2^24) and stored as int32. The last outputs of a
// row, fewer than a vector, go through the one-lane S1 instance of the same code.
internal static unsafe class Pool2x2
{
    public static bool Applies(Pool2dArgs a) => a.KernelH == 2 && a.KernelW == 2 && a.StrideH == 2 && a.StrideW == 2 && a.PadH == 0 && a.PadW == 0 && a.IsPlain;

    private static readonly float[] Iota2 = Enumerable.Range(0, 16).Select(i => 2f * i).ToArray();   // 0, 2, 4, ...

    public static void MaxPlane(float* x, int H, int W, float* y, int* idx)
    {
        switch (CpuSettings.Simd)
        {
            case SimdLevel.Avx512: MaxPlane<V512>(x, H, W, y, idx); break;
            case SimdLevel.Avx2: MaxPlane<V256>(x, H, W, y, idx); break;
            default: MaxPlane<S1>(x, H, W, y, idx); break;
        }
    }

    public static void AvgPlane(float* x, int H, int W, float* y)
    {
        switch (CpuSettings.Simd)
        {
            case SimdLevel.Avx512: AvgPlane<V512>(x, H, W, y); break;
            case SimdLevel.Avx2: AvgPlane<V256>(x, H, W, y); break;
            default: AvgPlane<S1>(x, H, W, y); break;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void MaxPlane<T>(float* x, int H, int W, float* y, int* idx) where T : struct, ISimd<T>
    {
        int P = H / 2, Q = W / 2;
        for (int p = 0; p < P; p++, y += Q, idx += Q)
        {
            float* r0 = x + 2 * p * W, r1 = r0 + W;
            Mem.Reads(r0, 2 * Q); Mem.Reads(r1, 2 * Q); Mem.Writes(y, Q); Mem.Writes((float*)idx, Q);
            int q = 0;
            for (; q <= Q - T.Count; q += T.Count) MaxVector<T>(r0, r1, y, idx, p, q, W);
            for (; q < Q; q++) MaxVector<S1>(r0, r1, y, idx, p, q, W);
        }
    }

    /// <summary>Outputs q .. q + lanes of row p.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void MaxVector<T>(float* r0, float* r1, float* y, int* idx, int p, int q, int W) where T : struct, ISimd<T>
    {
        T.Deinterleave(Mem.L<T>(r0 + 2 * q), Mem.L<T>(r0 + 2 * q + T.Count), out var a, out var b);
        T.Deinterleave(Mem.L<T>(r1 + 2 * q), Mem.L<T>(r1 + 2 * q + T.Count), out var c, out var d);
        var ia = T.Create(2 * p * W + 2 * q) + T.Load(in Iota2[0], 0);
        var best = a; var bi = ia;
        Take(ref best, ref bi, b, ia + T.One);
        Take(ref best, ref bi, c, ia + T.Create(W));
        Take(ref best, ref bi, d, ia + T.Create(W + 1));
        Mem.S(best, y + q);
        T.StoreInt32(bi, idx + q);
    }

    /// <summary>Where v beats best (greater, or NaN), take v and its index.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Take<T>(ref T best, ref T bi, T v, T iv) where T : struct, ISimd<T>
    {
        var m = T.GreaterThan(v, best) | ~T.Equals(v, v);
        best = T.Select(m, v, best);
        bi = T.Select(m, iv, bi);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void AvgPlane<T>(float* x, int H, int W, float* y) where T : struct, ISimd<T>
    {
        int P = H / 2, Q = W / 2;
        for (int p = 0; p < P; p++, y += Q)
        {
            float* r0 = x + 2 * p * W, r1 = r0 + W;
            Mem.Reads(r0, 2 * Q); Mem.Reads(r1, 2 * Q); Mem.Writes(y, Q);
            int q = 0;
            for (; q <= Q - T.Count; q += T.Count) AvgVector<T>(r0, r1, y, q);
            for (; q < Q; q++) AvgVector<S1>(r0, r1, y, q);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void AvgVector<T>(float* r0, float* r1, float* y, int q) where T : struct, ISimd<T>
    {
        T.Deinterleave(Mem.L<T>(r0 + 2 * q), Mem.L<T>(r0 + 2 * q + T.Count), out var a, out var b);
        T.Deinterleave(Mem.L<T>(r1 + 2 * q), Mem.L<T>(r1 + 2 * q + T.Count), out var c, out var d);
        Mem.S((a + b + (c + d)) * T.Create(0.25f), y + q);
    }

    /// <summary>dx (zeroed by the caller) += dy/4 spread over each window.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void AvgBackwardPlane(float* dy, int H, int W, float* dx)
    {
        int P = H / 2, Q = W / 2;
        for (int p = 0; p < P; p++, dy += Q)
        {
            float* r0 = dx + 2 * p * W, r1 = r0 + W;
            Mem.Reads(dy, Q); Mem.Writes(r0, 2 * Q); Mem.Writes(r1, 2 * Q);
            for (int q = 0; q < Q; q++)
            {
                float g = dy[q] * 0.25f;
                r0[2 * q] = g; r0[2 * q + 1] = g; r1[2 * q] = g; r1[2 * q + 1] = g;
            }
        }
    }
}
