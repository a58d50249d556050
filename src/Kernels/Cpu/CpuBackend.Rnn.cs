using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using Engine.Kernels.Ops;

namespace Engine.Kernels.Cpu;

// Fused recurrent cells: every gate nonlinearity and the state update in one pass over [B,H], eight hidden units at a
// time (Vector256; sigmoid and tanh from the op structs). The last, partial vector of a row goes through the same
// vector code on zero-padded lanes (Lanes), so a hidden unit's bits do not depend on H or on its position.
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

    private static Vector256<float> Sig(Vector256<float> x) => new SigmoidOp().Invoke(x);
    private static Vector256<float> Tanh(Vector256<float> x) => new TanhOp().Invoke(x);
    /// <summary>m (1..8) floats of a from i, the lanes past m zero.</summary>
    private static Vector256<float> V(float[] a, int i, int m) => Lanes.Load(a, i, 1, m);
    /// <summary>The first m lanes of v into a from i.</summary>
    private static void St(Vector256<float> v, float[] a, int i, int m) => Lanes.Store(v, a, i, 1, m);

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
                for (int j = 0; j < H; j += 8)
                {
                    int r = b * 4 * H, m = Math.Min(8, H - j);
                    var i = Sig(V(g, go + r + j, m)); var f = Sig(V(g, go + r + H + j, m)); var gg = Tanh(V(g, go + r + 2 * H + j, m)); var o = Sig(V(g, go + r + 3 * H + j, m));
                    var cn = f * V(cp, co + b * H + j, m) + i * gg;
                    St(cn, cs, b * H + j, m); St(o * Tanh(cn), hs, b * H + j, m);
                    St(i, a, r + j, m); St(f, a, r + H + j, m); St(gg, a, r + 2 * H + j, m); St(o, a, r + 3 * H + j, m);
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
                for (int j = 0; j < H; j += 8)
                {
                    int r = b * 4 * H, s = b * H + j, m = Math.Min(8, H - j);
                    var i = V(a, ao + r + j, m); var f = V(a, ao + r + H + j, m); var g = V(a, ao + r + 2 * H + j, m); var o = V(a, ao + r + 3 * H + j, m);
                    var tc = Tanh(V(cs, co + s, m)); var d = V(dhs, dho + s, m);
                    var dct = (dcs == null ? Vector256<float>.Zero : V(dcs, dco + s, m)) + d * o * (one - tc * tc);
                    St(dct * g * i * (one - i), dgs, r + j, m);
                    St(dct * V(cp, cpo + s, m) * f * (one - f), dgs, r + H + j, m);
                    St(dct * i * (one - g * g), dgs, r + 2 * H + j, m);
                    St(d * tc * o * (one - o), dgs, r + 3 * H + j, m);
                    St(dct * f, dcps, s, m);
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
                for (int j = 0; j < H; j += 8)
                {
                    int r = b * 3 * H, m = Math.Min(8, H - j);
                    var rg = Sig(V(x, xo + r + j, m) + V(hh, ho + r + j, m));
                    var z = Sig(V(x, xo + r + H + j, m) + V(hh, ho + r + H + j, m));
                    var n = Tanh(V(x, xo + r + 2 * H + j, m) + rg * V(hh, ho + r + 2 * H + j, m));
                    St((one - z) * n + z * V(p, po + b * H + j, m), hs, b * H + j, m);
                    St(rg, a, r + j, m); St(z, a, r + H + j, m); St(n, a, r + 2 * H + j, m);
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
                for (int j = 0; j < H; j += 8)
                {
                    int r = b * 3 * H, s = b * H + j, m = Math.Min(8, H - j);
                    var rg = V(a, ao + r + j, m); var z = V(a, ao + r + H + j, m); var n = V(a, ao + r + 2 * H + j, m); var g = V(d, dof + s, m);
                    var dn = g * (one - z) * (one - n * n);
                    var dz = g * (V(p, po + s, m) - n) * z * (one - z);
                    var dr = dn * V(hh, ho + r + 2 * H + j, m) * rg * (one - rg);
                    St(dr, dx, r + j, m); St(dz, dx, r + H + j, m); St(dn, dx, r + 2 * H + j, m);
                    St(dr, dhh, r + j, m); St(dz, dhh, r + H + j, m); St(dn * rg, dhh, r + 2 * H + j, m);
                    St(g * z, dp, s, m);
                }
            }
        });
        DisposeIfTemp(dhc, dh); DisposeIfTemp(ac, act); DisposeIfTemp(hc, hg); DisposeIfTemp(pc, hPrev);
        return (dxg, dhg, dhp);
    }
}
