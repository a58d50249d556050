using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Engine.Kernels.Gemm;

namespace Engine.Kernels.Conv;

/// <summary>
/// The im2col matrix of one image (one group) as a GEMM B operand, packed panel by panel straight from the image:
/// an implicit GEMM. B(l, j) = x[c, p - ph + r*dh, q - pw + s*dw] (0 in the padding) with l = (c*R + r)*S + s,
/// j = p*Q + q — the matrix <see cref="Im2Col.Pack"/> writes out (stride 1; the reference it is tested against).
/// A panel row (one l, nr consecutive j: the tile's NR, 16 or 32) covers one or more output-row segments; each segment
/// is one masked load per 8 lanes from its input row (lanes outside the segment or the image read nothing and give 0),
/// and the segments, disjoint in lanes, are OR-ed together: no per-element branches.
/// </summary>
internal readonly unsafe struct Im2ColB : IBSource
{
    private readonly float* _x;
    private readonly int _h, _w, _r, _s, _q;
    private readonly Conv2dArgs _a;

    public Im2ColB(float* x, int H, int W, int R, int S, int Q, Conv2dArgs a)
    {
        if (a.StrideH != 1 || a.StrideW != 1) throw new ArgumentException($"Im2ColB: stride 1 only, got {a}");
        if (!Avx2.IsSupported) throw new PlatformNotSupportedException("Im2ColB: needs AVX2 (use Im2Col.Pack)");
        _x = x; (_h, _w, _r, _s, _q, _a) = (H, W, R, S, Q, a);
    }

    /// <summary>The implicit path runs when it can: stride 1 and AVX2 (masked loads).</summary>
    public static bool Supports(in Conv2dArgs a) => a.StrideH == 1 && a.StrideW == 1 && Avx2.IsSupported;

    private static readonly Vector256<int> Iota = Vector256.Create(0, 1, 2, 3, 4, 5, 6, 7);

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void PackPanel(int k0, int kc, int j0, int n, float* bp, int nr)
    {
        int H = _h, W = _w, S = _s, Q = _q, RS = _r * S;
        int p0 = j0 / Q, q0 = j0 % Q;
        int c = k0 / RS, r = k0 % RS / S, s = k0 % S;
        for (int k = 0; k < kc; k++, bp += nr)
        {
            float* plane = _x + (long)c * H * W;
            int dh = r * _a.DilationH - _a.PadH, dw = s * _a.DilationW - _a.PadW;
            // The panel row is built 8 lanes at a time: zeroed, then each segment OR-ed in.
            for (int v = 0; v < nr; v += 8) Mem.StoreAt(bp + v, Vector256<float>.Zero);
            for (int j = 0, p = p0, q = q0; j < n; p++, q = 0)
            {
                int len = Math.Min(n - j, Q - q);
                int h = p + dh;
                if ((uint)h < (uint)H)
                {
                    // Lane t of the panel row holds input column w = t + (q + dw - j), valid for t in [j, j+len)
                    // and w in [0, W): t in [max(j, j - q - dw), min(j + len, W + j - q - dw)).
                    int shift = q + dw - j;
                    int t0 = Math.Max(j, -shift), t1 = Math.Min(j + len, W - shift);
                    var from = Vector256.Create(t0); var to = Vector256.Create(t1);
                    float* src = plane + (long)h * W + shift;   // src[t] = x[h, t + shift]; masked-off lanes are not read
                    // Only the 8-lane chunks the segment touches.
                    for (int v = Math.Max(t0, 0) & ~7; v < Math.Min(t1, nr); v += 8)
                    {
                        var lanes = Iota + Vector256.Create(v);
                        var mask = Vector256.BitwiseAnd(Vector256.GreaterThanOrEqual(lanes, from), Vector256.LessThan(lanes, to)).AsSingle();
                        var got = Mem.MaskLoad(src + v, mask, Math.Max(t0 - v, 0), Math.Min(t1 - v, 8));
                        Mem.StoreAt(bp + v, Avx.Or(Mem.Load(bp + v), got));
                    }
                }
                j += len;
            }
            if (++s == S) { s = 0; if (++r == _r) { r = 0; c++; } }
        }
    }
}
