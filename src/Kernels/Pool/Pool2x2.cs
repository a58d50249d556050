using System.Runtime.CompilerServices;

namespace Engine.Kernels.Pool;

// The common pooling window: 2x2, stride 2, no padding, over one [H,W] plane -> [P,Q] = [H/2, W/2] (floor).
// Max: y[p,q] = max of x[2p..2p+1, 2q..2q+1], index = h*W + w of the first maximum in row-major window order,
// a NaN wins (PyTorch's rule, as in the generic kernel). A vector of outputs at a time (generic over the width):
// 2 * lanes inputs of each of the two rows are split into even and odd columns (ISimd.Deinterleave), then three
// compare-and-blend steps; indices are carried as floats (exact below 2^24) and stored as int32. The last outputs of a
// row, fewer than a vector, go through the same vector code on a zero-padded copy of their inputs (max) or through the
// one-lane S1 instance of it (average).
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
        int P = H / 2, Q = W / 2, n = T.Count;
        // The last m < lanes outputs of a row: their inputs copied into zero-padded rows on the stack, one vector through
        // the same code, m outputs kept. Lanes are independent, so the bits are those of the one-lane loop this replaces,
        // which did about as much work per output as a whole vector: at 8 lanes a 28-wide plane was 6 of 14 outputs of
        // tail and a 14-wide one all tail (perf on smallcnn_b64_adam_step: MaxPlane 11.6% of the samples).
        float* t0 = stackalloc float[6 * n];
        float* t1 = t0 + 2 * n, ty = t0 + 4 * n;
        int* ti = (int*)(t0 + 5 * n);
        using var pin = Checked.Region(t0, 6 * n, "2x2 max pool tail");
        for (int p = 0; p < P; p++, y += Q, idx += Q)
        {
            float* r0 = x + 2 * p * W, r1 = r0 + W;
            Mem.Reads(r0, 2 * Q); Mem.Reads(r1, 2 * Q); Mem.Writes(y, Q); Mem.Writes((float*)idx, Q);
            int q = 0;
            for (; q <= Q - n; q += n) MaxVector<T>(r0 + 2 * q, r1 + 2 * q, y + q, idx + q, 2 * p * W + 2 * q, W);
            if (q == Q) continue;
            int m = Q - q;
            new Span<float>(t0, 2 * n).Clear(); new Span<float>(t1, 2 * n).Clear();
            new ReadOnlySpan<float>(r0 + 2 * q, 2 * m).CopyTo(new Span<float>(t0, 2 * m));
            new ReadOnlySpan<float>(r1 + 2 * q, 2 * m).CopyTo(new Span<float>(t1, 2 * m));
            MaxVector<T>(t0, t1, ty, ti, 2 * p * W + 2 * q, W);
            new ReadOnlySpan<float>(ty, m).CopyTo(new Span<float>(y + q, m));
            new ReadOnlySpan<int>(ti, m).CopyTo(new Span<int>(idx + q, m));
        }
    }

    /// <summary>
    /// One vector of outputs: a0, a1 point at the window's two input rows (2 * lanes floats each), y and idx at the
    /// outputs; first is the flat input index (h*W + w) of lane 0's window corner.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void MaxVector<T>(float* a0, float* a1, float* y, int* idx, int first, int W) where T : struct, ISimd<T>
    {
        T.Deinterleave(Mem.L<T>(a0), Mem.L<T>(a0 + T.Count), out var a, out var b);
        T.Deinterleave(Mem.L<T>(a1), Mem.L<T>(a1 + T.Count), out var c, out var d);
        var ia = T.Create(first) + T.Load(in Iota2[0], 0);
        var best = a; var bi = ia;
        Take(ref best, ref bi, b, ia + T.One);
        Take(ref best, ref bi, c, ia + T.Create(W));
        Take(ref best, ref bi, d, ia + T.Create(W + 1));
        Mem.S(best, y);
        T.StoreInt32(bi, idx);
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
