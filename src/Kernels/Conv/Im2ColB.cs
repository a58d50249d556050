using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Engine.Kernels.Gemm;

namespace Engine.Kernels.Conv;

/// <summary>
/// The im2col matrix of one image (one group) as a GEMM B operand, packed panel by panel straight from the image:
/// an implicit GEMM. B(l, j) = x[c, p*sh - ph + r*dh, q*sw - pw + s*dw] (0 in the padding) with l = (c*R + r)*S + s,
/// j = p*Q + q — the same matrix <see cref="Im2Col.Pack"/> writes out, which stays as the reference.
/// A panel row (one l, NR consecutive j) is a run of one or two input rows, copied with two vector loads when it
/// lies inside the row, element by element at the borders.
/// </summary>
internal readonly unsafe struct Im2ColB(float* x, int H, int W, int R, int S, int Q, Conv2dArgs a) : IBSource
{
    private static readonly Vector256<int> Iota = Vector256.Create(0, 1, 2, 3, 4, 5, 6, 7);

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void PackPanel(int k0, int kc, int j0, int n, float* bp)
    {
        const int NR = Sgemm.NR;
        int RS = R * S, p0 = j0 / Q, q0 = j0 % Q;
        int c = k0 / RS, r = k0 % RS / S, s = k0 % S;
        int sh = a.StrideH, sw = a.StrideW;
        for (int k = 0; k < kc; k++, bp += NR)
        {
            float* plane = x + (long)c * H * W;
            int dh = r * a.DilationH - a.PadH, dw = s * a.DilationW - a.PadW;
            int j = 0, p = p0, q = q0;
            while (j < n)
            {
                int len = Math.Min(n - j, Q - q);
                int h = p * sh + dh;
                float* dst = bp + j;
                if ((uint)h >= (uint)H) new Span<float>(dst, len).Clear();
                else
                {
                    float* row = plane + (long)h * W;
                    int w0 = q * sw + dw;
                    if (sw == 1 && len == NR && Avx2.IsSupported)
                    {
                        // Lanes outside [0, W) read as 0: a masked load touches no memory in masked-off lanes,
                        // so the padding costs nothing and the row's neighbours are never read.
                        var lane = Vector256.Create(w0) + Iota;
                        var lim = Vector256.Create(W);
                        var m0 = Vector256.BitwiseAnd(Vector256.GreaterThanOrEqual(lane, Vector256<int>.Zero), Vector256.LessThan(lane, lim));
                        var l8 = lane + Vector256.Create(8);
                        var m1 = Vector256.BitwiseAnd(Vector256.GreaterThanOrEqual(l8, Vector256<int>.Zero), Vector256.LessThan(l8, lim));
                        Vector256.Store(Avx.MaskLoad(row + w0, m0.AsSingle()), dst);
                        Vector256.Store(Avx.MaskLoad(row + w0 + 8, m1.AsSingle()), dst + 8);
                    }
                    else
                        for (int t = 0, w = w0; t < len; t++, w += sw) dst[t] = (uint)w < (uint)W ? row[w] : 0f;
                }
                j += len; p++; q = 0;
            }
            for (; j < NR; j++) bp[j] = 0f;
            if (++s == S) { s = 0; if (++r == R) { r = 0; c++; } }
        }
    }
}
