using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using Engine.Kernels.Ops;

namespace Engine.Kernels.Cpu;

// Fused recurrent cells: every gate nonlinearity and the state update in one pass over [B,H],
// eight hidden units at a time (Vector256; sigmoid and tanh from the op structs), a scalar loop for the rest.
public sealed partial class CpuBackend
{
    /// <summary>
    /// Cells (B*H) below which a cell kernel stays on the calling thread. A [32,256] LSTM cell (8K cells, five
    /// exponentials each) took ~85 us on one core and ~76 us split over two quiet cores (the fork and join eat the
    /// gain), 130-190 us when the other core was busy, and twice the CPU time either way; its backward ~36 us on one
    /// core, no faster on two. A recurrent net runs this once per step, so the fork would be paid 2 x steps times.
    /// </summary>
    internal const int MinParallelCells = 1 << 16;

    /// <summary>The Par.For work argument for a cell kernel over B x H cells: all or nothing around MinParallelCells.</summary>
    private static long CellWork(int B, int H) => (long)B * H >= MinParallelCells ? long.MaxValue : 0;

    private static float Sig(float x) => 1f / (1f + MathF.Exp(-x));
    private static Vector256<float> Sig(Vector256<float> x) => new SigmoidOp().Invoke(x);
    private static Vector256<float> Tanh(Vector256<float> x) => new TanhOp().Invoke(x);
    private static Vector256<float> V(float[] a, int i) => Vector256.Create<float>(a.AsSpan(i, 8));

    public (Tensor h, Tensor c, Tensor act) LstmCell(Tensor gates, Tensor cPrev)
    {
        var gc = ContiguousF32(gates, "lstm cell"); var cc = ContiguousF32(cPrev, "lstm cell");
        int B = cPrev.Shape[0], H = cPrev.Shape[1];
        if (gates.Shape != Shape.Wrap([B, 4 * H])) throw new ShapeException($"lstm cell: gates {gates.Shape} must be [B,4H] = [{B},{4 * H}] for state {cPrev.Shape}");
        var h = New(cPrev.Shape); var c = New(cPrev.Shape); var act = New(gates.Shape);
        float[] g = F(gc), cp = F(cc), hs = F(h), cs = F(c), a = F(act); int go = gc.Layout.Offset, co = cc.Layout.Offset;
        Par.For(B, CellWork(B, H), [MethodImpl(MethodImplOptions.AggressiveOptimization)] (b0, b1) =>
        {
            for (int b = b0; b < b1; b++)
            {
                int j = 0;
                for (; j <= H - 8; j += 8)
                {
                    int r = b * 4 * H;
                    var i = Sig(V(g, go + r + j)); var f = Sig(V(g, go + r + H + j)); var gg = Tanh(V(g, go + r + 2 * H + j)); var o = Sig(V(g, go + r + 3 * H + j));
                    var cn = f * V(cp, co + b * H + j) + i * gg;
                    cn.CopyTo(cs, b * H + j); (o * Tanh(cn)).CopyTo(hs, b * H + j);
                    i.CopyTo(a, r + j); f.CopyTo(a, r + H + j); gg.CopyTo(a, r + 2 * H + j); o.CopyTo(a, r + 3 * H + j);
                }
                for (; j < H; j++)
                {
                    int r = b * 4 * H;
                    float i = Sig(g[go + r + j]), f = Sig(g[go + r + H + j]), gg = MathF.Tanh(g[go + r + 2 * H + j]), o = Sig(g[go + r + 3 * H + j]);
                    float cn = f * cp[co + b * H + j] + i * gg;
                    cs[b * H + j] = cn; hs[b * H + j] = o * MathF.Tanh(cn);
                    a[r + j] = i; a[r + H + j] = f; a[r + 2 * H + j] = gg; a[r + 3 * H + j] = o;
                }
            }
        });
        DisposeIfTemp(gc, gates); DisposeIfTemp(cc, cPrev);
        return (h, c, act);
    }

    public (Tensor dGates, Tensor dcPrev) LstmCellBackward(Tensor dh, Tensor? dc, Tensor act, Tensor cPrev, Tensor c)
    {
        var dhc = ContiguousF32(dh, "lstm cell backward"); var dcc = dc == null ? null : ContiguousF32(dc, "lstm cell backward");
        var ac = ContiguousF32(act, "lstm cell backward"); var cpc = ContiguousF32(cPrev, "lstm cell backward"); var cc = ContiguousF32(c, "lstm cell backward");
        int B = cPrev.Shape[0], H = cPrev.Shape[1];
        var dg = New(act.Shape); var dcp = New(cPrev.Shape);
        float[] dhs = F(dhc), a = F(ac), cp = F(cpc), cs = F(cc), dgs = F(dg), dcps = F(dcp);
        float[]? dcs = dcc == null ? null : F(dcc);
        int dho = dhc.Layout.Offset, dco = dcc?.Layout.Offset ?? 0, ao = ac.Layout.Offset, cpo = cpc.Layout.Offset, co = cc.Layout.Offset;
        Par.For(B, CellWork(B, H), [MethodImpl(MethodImplOptions.AggressiveOptimization)] (b0, b1) =>
        {
            var one = Vector256<float>.One;
            for (int b = b0; b < b1; b++)
            {
                int j = 0;
                for (; j <= H - 8; j += 8)
                {
                    int r = b * 4 * H, s = b * H + j;
                    var i = V(a, ao + r + j); var f = V(a, ao + r + H + j); var g = V(a, ao + r + 2 * H + j); var o = V(a, ao + r + 3 * H + j);
                    var tc = Tanh(V(cs, co + s)); var d = V(dhs, dho + s);
                    var dct = (dcs == null ? Vector256<float>.Zero : V(dcs, dco + s)) + d * o * (one - tc * tc);
                    (dct * g * i * (one - i)).CopyTo(dgs, r + j);
                    (dct * V(cp, cpo + s) * f * (one - f)).CopyTo(dgs, r + H + j);
                    (dct * i * (one - g * g)).CopyTo(dgs, r + 2 * H + j);
                    (d * tc * o * (one - o)).CopyTo(dgs, r + 3 * H + j);
                    (dct * f).CopyTo(dcps, s);
                }
                for (; j < H; j++)
                {
                    int r = b * 4 * H, s = b * H + j;
                    float i = a[ao + r + j], f = a[ao + r + H + j], g = a[ao + r + 2 * H + j], o = a[ao + r + 3 * H + j];
                    float tc = MathF.Tanh(cs[co + s]), d = dhs[dho + s];
                    float dct = (dcs == null ? 0f : dcs[dco + s]) + d * o * (1f - tc * tc);
                    dgs[r + j] = dct * g * i * (1f - i);
                    dgs[r + H + j] = dct * cp[cpo + s] * f * (1f - f);
                    dgs[r + 2 * H + j] = dct * i * (1f - g * g);
                    dgs[r + 3 * H + j] = d * tc * o * (1f - o);
                    dcps[s] = dct * f;
                }
            }
        });
        DisposeIfTemp(dhc, dh); if (dcc != null) DisposeIfTemp(dcc, dc!); DisposeIfTemp(ac, act); DisposeIfTemp(cpc, cPrev); DisposeIfTemp(cc, c);
        return (dg, dcp);
    }

    public (Tensor h, Tensor act) GruCell(Tensor xg, Tensor hg, Tensor hPrev)
    {
        var xc = ContiguousF32(xg, "gru cell"); var hc = ContiguousF32(hg, "gru cell"); var pc = ContiguousF32(hPrev, "gru cell");
        int B = hPrev.Shape[0], H = hPrev.Shape[1];
        if (xg.Shape != Shape.Wrap([B, 3 * H]) || hg.Shape != xg.Shape) throw new ShapeException($"gru cell: xg {xg.Shape} and hg {hg.Shape} must be [B,3H] = [{B},{3 * H}] for state {hPrev.Shape}");
        var h = New(hPrev.Shape); var act = New(xg.Shape);
        float[] x = F(xc), hh = F(hc), p = F(pc), hs = F(h), a = F(act); int xo = xc.Layout.Offset, ho = hc.Layout.Offset, po = pc.Layout.Offset;
        Par.For(B, CellWork(B, H), [MethodImpl(MethodImplOptions.AggressiveOptimization)] (b0, b1) =>
        {
            var one = Vector256<float>.One;
            for (int b = b0; b < b1; b++)
            {
                int j = 0;
                for (; j <= H - 8; j += 8)
                {
                    int r = b * 3 * H;
                    var rg = Sig(V(x, xo + r + j) + V(hh, ho + r + j));
                    var z = Sig(V(x, xo + r + H + j) + V(hh, ho + r + H + j));
                    var n = Tanh(V(x, xo + r + 2 * H + j) + rg * V(hh, ho + r + 2 * H + j));
                    ((one - z) * n + z * V(p, po + b * H + j)).CopyTo(hs, b * H + j);
                    rg.CopyTo(a, r + j); z.CopyTo(a, r + H + j); n.CopyTo(a, r + 2 * H + j);
                }
                for (; j < H; j++)
                {
                    int r = b * 3 * H;
                    float rg = Sig(x[xo + r + j] + hh[ho + r + j]);
                    float z = Sig(x[xo + r + H + j] + hh[ho + r + H + j]);
                    float n = MathF.Tanh(x[xo + r + 2 * H + j] + rg * hh[ho + r + 2 * H + j]);
                    hs[b * H + j] = (1f - z) * n + z * p[po + b * H + j];
                    a[r + j] = rg; a[r + H + j] = z; a[r + 2 * H + j] = n;
                }
            }
        });
        DisposeIfTemp(xc, xg); DisposeIfTemp(hc, hg); DisposeIfTemp(pc, hPrev);
        return (h, act);
    }

    public (Tensor dxg, Tensor dhg, Tensor dhPrev) GruCellBackward(Tensor dh, Tensor act, Tensor hg, Tensor hPrev)
    {
        var dhc = ContiguousF32(dh, "gru cell backward"); var ac = ContiguousF32(act, "gru cell backward");
        var hc = ContiguousF32(hg, "gru cell backward"); var pc = ContiguousF32(hPrev, "gru cell backward");
        int B = hPrev.Shape[0], H = hPrev.Shape[1];
        var dxg = New(act.Shape); var dhg = New(act.Shape); var dhp = New(hPrev.Shape);
        float[] d = F(dhc), a = F(ac), hh = F(hc), p = F(pc), dx = F(dxg), dhh = F(dhg), dp = F(dhp);
        int dof = dhc.Layout.Offset, ao = ac.Layout.Offset, ho = hc.Layout.Offset, po = pc.Layout.Offset;
        Par.For(B, CellWork(B, H), [MethodImpl(MethodImplOptions.AggressiveOptimization)] (b0, b1) =>
        {
            var one = Vector256<float>.One;
            for (int b = b0; b < b1; b++)
            {
                int j = 0;
                for (; j <= H - 8; j += 8)
                {
                    int r = b * 3 * H, s = b * H + j;
                    var rg = V(a, ao + r + j); var z = V(a, ao + r + H + j); var n = V(a, ao + r + 2 * H + j); var g = V(d, dof + s);
                    var dn = g * (one - z) * (one - n * n);
                    var dz = g * (V(p, po + s) - n) * z * (one - z);
                    var dr = dn * V(hh, ho + r + 2 * H + j) * rg * (one - rg);
                    dr.CopyTo(dx, r + j); dz.CopyTo(dx, r + H + j); dn.CopyTo(dx, r + 2 * H + j);
                    dr.CopyTo(dhh, r + j); dz.CopyTo(dhh, r + H + j); (dn * rg).CopyTo(dhh, r + 2 * H + j);
                    (g * z).CopyTo(dp, s);
                }
                for (; j < H; j++)
                {
                    int r = b * 3 * H, s = b * H + j;
                    float rg = a[ao + r + j], z = a[ao + r + H + j], n = a[ao + r + 2 * H + j], g = d[dof + s];
                    float dn = g * (1f - z) * (1f - n * n);
                    float dz = g * (p[po + s] - n) * z * (1f - z);
                    float dr = dn * hh[ho + r + 2 * H + j] * rg * (1f - rg);
                    dx[r + j] = dr; dx[r + H + j] = dz; dx[r + 2 * H + j] = dn;
                    dhh[r + j] = dr; dhh[r + H + j] = dz; dhh[r + 2 * H + j] = dn * rg;
                    dp[s] = g * z;
                }
            }
        });
        DisposeIfTemp(dhc, dh); DisposeIfTemp(ac, act); DisposeIfTemp(hc, hg); DisposeIfTemp(pc, hPrev);
        return (dxg, dhg, dhp);
    }
}
