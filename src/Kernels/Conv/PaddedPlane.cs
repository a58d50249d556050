using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Engine.Kernels.Conv;

/// <summary>
/// Where one [Hs, Ws] plane sits in a zero-bordered scratch buffer of Rows x Ld floats: element (h, w) at
/// buf[(Top + h) * Ld + Left + w]; every other cell is zero. A thread zeroes its buffer once (<see cref="Clear"/>) and
/// then copies plane after plane into the same window: the border is never written, so it stays zero, and the stencil
/// loops read across the edges (and up to a vector past the last column) without bounds checks.
/// </summary>
internal readonly unsafe record struct PaddedPlane(int Hs, int Ws, int Top, int Left, int Rows, int Ld)
{
    public int Size => Rows * Ld;

    /// <summary>x rounded up to a whole number of vectors of the given lanes.</summary>
    public static int UpLanes(int x, int lanes) => (x + lanes - 1) / lanes * lanes;

    public void Clear(float* buf) { Mem.Writes(buf, Size); new Span<float>(buf, Size).Clear(); }

    /// <summary>
    /// Copies the plane whose element (h, w) is src[h * rowStride + w * colStride] into the window (colStride 1: rows
    /// of a contiguous plane; 0: each row one broadcast value, as in the expanded gradient of a sum; else gathered), and
    /// returns the sum of its elements when asked (a bias gradient, from data already in cache). One loop per case, each
    /// free of calls, so that the running sum stays in a register (a call in the loop spilled it: a store-reload chain
    /// that made the copy 3x slower than the memory it reads).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public double CopyIn(float* src, long rowStride, long colStride, float* buf, bool sum)
    {
        float* d = buf + Top * Ld + Left;
        if (colStride == 1)
        {
            if (!sum) { CopyRows(src, rowStride, d); return 0; }
            return CopyRowsSum(src, rowStride, d);
        }
        double total = 0;
        for (int h = 0; h < Hs; h++, d += Ld)
        {
            float* s = src + h * rowStride;
            float ts = 0f;
            Mem.Writes(d, Ws); Mem.Reads(s, (Ws - 1) * colStride + 1);
            if (colStride == 0)
            {
                float v = *s;
                var vv = Vector256.Create(v);
                int w = 0;
                for (; w <= Ws - 8; w += 8) Mem.Store(vv, d + w);
                for (; w < Ws; w++) d[w] = v;
                ts = v * Ws;
            }
            else
                for (int w = 0; w < Ws; w++) { float v = s[w * colStride]; d[w] = v; ts += v; }
            total += ts;
        }
        return sum ? total : 0;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void CopyRows(float* src, long rowStride, float* d)
    {
        int Ws = this.Ws, Ld = this.Ld;
        for (int h = 0; h < Hs; h++, d += Ld, src += rowStride)
        {
            int w = 0;
            Mem.Writes(d, Ws); Mem.Reads(src, Ws);
            for (; w <= Ws - 8; w += 8) Mem.Store(Mem.Load(src + w), d + w);
            for (; w < Ws; w++) d[w] = src[w];
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private double CopyRowsSum(float* src, long rowStride, float* d)
    {
        int Ws = this.Ws, Ld = this.Ld;
        var vs = Vector256<float>.Zero;
        float ts = 0f;
        for (int h = 0; h < Hs; h++, d += Ld, src += rowStride)
        {
            int w = 0;
            Mem.Writes(d, Ws); Mem.Reads(src, Ws);
            for (; w <= Ws - 8; w += 8)
            {
                var v = Mem.Load(src + w);
                Mem.Store(v, d + w);
                vs += v;
            }
            for (; w < Ws; w++) { d[w] = src[w]; ts += src[w]; }
        }
        return (double)Vector256.Sum(vs) + ts;
    }
}
