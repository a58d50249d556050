using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Engine.Kernels.Pool;

// The common pooling window: 2x2, stride 2, no padding, over one [H,W] plane -> [P,Q] = [H/2, W/2] (floor).
// Max: y[p,q] = max of x[2p..2p+1, 2q..2q+1], index = h*W + w of the first maximum in row-major window order,
// a NaN wins (PyTorch's rule, as in the generic kernel). Eight outputs at a time: 16 inputs of each of the two rows
// are split into even and odd columns (shuffle + cross-lane permute), then three compare-and-blend steps.
internal static unsafe class Pool2x2
{
    public static bool Applies(Pool2dArgs a) => a.KernelH == 2 && a.KernelW == 2 && a.StrideH == 2 && a.StrideW == 2 && a.PadH == 0 && a.PadW == 0;

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]

    public static void MaxPlane(float* x, int H, int W, float* y, int* idx)
    {
        int P = H / 2, Q = W / 2;
        for (int p = 0; p < P; p++, y += Q, idx += Q)
        {
            float* r0 = x + 2 * p * W, r1 = r0 + W;
            Mem.Reads(r0, 2 * Q); Mem.Reads(r1, 2 * Q); Mem.Writes(y, Q);
            int q = 0;
            if (Avx2.IsSupported)
            {
                var step = Vector256.Create(0, 2, 4, 6, 8, 10, 12, 14);
                for (; q <= Q - 8; q += 8)
                {
                    var (a, b) = Split(r0 + 2 * q); var (c, d) = Split(r1 + 2 * q);
                    var ia = Vector256.Create(2 * p * W + 2 * q) + step;
                    var best = a; var bi = ia;
                    Take(ref best, ref bi, b, ia + Vector256.Create(1));
                    Take(ref best, ref bi, c, ia + Vector256.Create(W));
                    Take(ref best, ref bi, d, ia + Vector256.Create(W + 1));
                    Mem.Store(best, y + q); Mem.Store(bi, idx + q);
                }
            }
            for (; q < Q; q++)
            {
                int h0 = 2 * p * W + 2 * q;
                float best = r0[2 * q]; int bi = h0;
                float v = r0[2 * q + 1]; if (v > best || float.IsNaN(v)) { best = v; bi = h0 + 1; }
                v = r1[2 * q]; if (v > best || float.IsNaN(v)) { best = v; bi = h0 + W; }
                v = r1[2 * q + 1]; if (v > best || float.IsNaN(v)) { best = v; bi = h0 + W + 1; }
                y[q] = best; idx[q] = bi;
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]

    public static void AvgPlane(float* x, int H, int W, float* y)
    {
        int P = H / 2, Q = W / 2;
        var quarter = Vector256.Create(0.25f);
        for (int p = 0; p < P; p++, y += Q)
        {
            float* r0 = x + 2 * p * W, r1 = r0 + W;
            Mem.Reads(r0, 2 * Q); Mem.Reads(r1, 2 * Q); Mem.Writes(y, Q);
            int q = 0;
            if (Avx2.IsSupported)
                for (; q <= Q - 8; q += 8)
                {
                    var (a, b) = Split(r0 + 2 * q); var (c, d) = Split(r1 + 2 * q);
                    Mem.Store((a + b + (c + d)) * quarter, y + q);
                }
            for (; q < Q; q++) y[q] = (r0[2 * q] + r0[2 * q + 1] + (r1[2 * q] + r1[2 * q + 1])) * 0.25f;
        }
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

    /// <summary>16 consecutive floats -> (even columns, odd columns), 8 each, in order.</summary>
    private static (Vector256<float> even, Vector256<float> odd) Split(float* s)
    {
        var v0 = Mem.Load(s); var v1 = Mem.Load(s + 8);
        var e = Avx.Shuffle(v0, v1, 0b10_00_10_00); // x0 x2 x8 x10 | x4 x6 x12 x14
        var o = Avx.Shuffle(v0, v1, 0b11_01_11_01); // x1 x3 x9 x11 | x5 x7 x13 x15
        return (Avx2.Permute4x64(e.AsDouble(), 0b11_01_10_00).AsSingle(), Avx2.Permute4x64(o.AsDouble(), 0b11_01_10_00).AsSingle());
    }

    /// <summary>Where v beats best (greater, or NaN), take v and its index.</summary>
    private static void Take(ref Vector256<float> best, ref Vector256<int> bi, Vector256<float> v, Vector256<int> iv)
    {
        var m = Avx.Or(Avx.CompareGreaterThan(v, best), Avx.CompareUnordered(v, v));
        best = Avx.BlendVariable(best, v, m);
        bi = Avx.BlendVariable(bi.AsSingle(), iv.AsSingle(), m).AsInt32();
    }
}
