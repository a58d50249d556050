using ILGPU;
using ILGPU.Algorithms;

namespace Engine.Kernels.Ilgpu;

/// <summary>
/// Fused recurrent cells, one thread per (b, j) of the state [B, H]. Gate layouts as in IBackend:
/// LSTM gates/act [B, 4H] in order (i, f, g, o); GRU xg/hg/act [B, 3H] in order (r, z, n).
/// All inputs are dense.
/// </summary>
internal static class RnnKernels
{
    private static float Sig(float x) => 1f / (1f + XMath.Exp(-x));

    /// <summary>c = sig(f)*cPrev + sig(i)*tanh(g); h = sig(o)*tanh(c).</summary>
    public static void Lstm(Index1D e, ArrayView<float> gates, ArrayView<float> cPrev, ArrayView<float> h, ArrayView<float> c, ArrayView<float> act, int H)
    {
        int b = e / H, j = e % H, r = b * 4 * H;
        float i = Sig(gates[r + j]), f = Sig(gates[r + H + j]), g = XMath.Tanh(gates[r + 2 * H + j]), o = Sig(gates[r + 3 * H + j]);
        float cn = f * cPrev[e] + i * g;
        c[e] = cn; h[e] = o * XMath.Tanh(cn);
        act[r + j] = i; act[r + H + j] = f; act[r + 2 * H + j] = g; act[r + 3 * H + j] = o;
    }

    /// <summary>
    /// dct = dc + dh*o*(1 - tanh(c)^2); di = dct*g*i(1-i); df = dct*cPrev*f(1-f); dg = dct*i*(1-g^2);
    /// do = dh*tanh(c)*o(1-o); dcPrev = dct*f.
    /// </summary>
    public static void LstmBackward(Index1D e, ArrayView<float> dh, ArrayView<float> dc, ArrayView<float> act, ArrayView<float> cPrev, ArrayView<float> c,
        ArrayView<float> dGates, ArrayView<float> dcPrev, int H, int hasDc)
    {
        int b = e / H, j = e % H, r = b * 4 * H;
        float i = act[r + j], f = act[r + H + j], g = act[r + 2 * H + j], o = act[r + 3 * H + j];
        float tc = XMath.Tanh(c[e]), d = dh[e];
        float dct = (hasDc != 0 ? dc[e] : 0f) + d * o * (1f - tc * tc);
        dGates[r + j] = dct * g * i * (1f - i);
        dGates[r + H + j] = dct * cPrev[e] * f * (1f - f);
        dGates[r + 2 * H + j] = dct * i * (1f - g * g);
        dGates[r + 3 * H + j] = d * tc * o * (1f - o);
        dcPrev[e] = dct * f;
    }

    /// <summary>r = sig(xr + hr), z = sig(xz + hz), n = tanh(xn + r*hn), h' = (1-z)*n + z*hPrev.</summary>
    public static void Gru(Index1D e, ArrayView<float> xg, ArrayView<float> hg, ArrayView<float> hPrev, ArrayView<float> h, ArrayView<float> act, int H)
    {
        int b = e / H, j = e % H, r = b * 3 * H;
        float rg = Sig(xg[r + j] + hg[r + j]);
        float z = Sig(xg[r + H + j] + hg[r + H + j]);
        float n = XMath.Tanh(xg[r + 2 * H + j] + rg * hg[r + 2 * H + j]);
        h[e] = (1f - z) * n + z * hPrev[e];
        act[r + j] = rg; act[r + H + j] = z; act[r + 2 * H + j] = n;
    }

    /// <summary>dn = dh(1-z)(1-n^2); dz = dh(hPrev-n)z(1-z); dr = dn*hn*r(1-r); dhg = (dr, dz, dn*r); dhPrev = dh*z.</summary>
    public static void GruBackward(Index1D e, ArrayView<float> dh, ArrayView<float> act, ArrayView<float> hg, ArrayView<float> hPrev,
        ArrayView<float> dxg, ArrayView<float> dhg, ArrayView<float> dhPrev, int H)
    {
        int b = e / H, j = e % H, r = b * 3 * H;
        float rg = act[r + j], z = act[r + H + j], n = act[r + 2 * H + j], g = dh[e];
        float dn = g * (1f - z) * (1f - n * n);
        float dz = g * (hPrev[e] - n) * z * (1f - z);
        float dr = dn * hg[r + 2 * H + j] * rg * (1f - rg);
        dxg[r + j] = dr; dxg[r + H + j] = dz; dxg[r + 2 * H + j] = dn;
        dhg[r + j] = dr; dhg[r + H + j] = dz; dhg[r + 2 * H + j] = dn * rg;
        dhPrev[e] = g * z;
    }
}
