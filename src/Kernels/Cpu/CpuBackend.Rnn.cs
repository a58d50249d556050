using System.Runtime.CompilerServices;
using Engine.Kernels.Ops;

namespace Engine.Kernels.Cpu;

// Fused recurrent cells: every gate nonlinearity and the state update in one pass over [B,H], a vector of hidden units
// at a time at the width CpuSettings.Simd selects (the row functions are generic over ISimd; sigmoid and tanh from
// the op structs). The last, partial vector of a row goes through the same code on zero-padded lanes (Lanes), so a
// hidden unit's bits depend neither on H, nor on its position, nor on the width.
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

    private static T Sig<T>(T x) where T : struct, ISimd<T> => new SigmoidOp().Invoke(x);
    private static T Tanh<T>(T x) where T : struct, ISimd<T> => new TanhOp().Invoke(x);
    /// <summary>m (1..T.Count) floats of a from i, the lanes past m zero. A whole vector is one inlined load; only the
    /// partial tail of a row goes through Lanes (a call: its stackalloc keeps it out of line).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static T V<T>(float[] a, int i, int m) where T : struct, ISimd<T>
    {
        if (m != T.Count) return Lanes<T>.Load(a, i, 1, m);
        _ = a[i + T.Count - 1];
        return T.Load(in a[i], 0);
    }

    /// <summary>The first m lanes of v into a from i.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void St<T>(T v, float[] a, int i, int m) where T : struct, ISimd<T>
    {
        if (m != T.Count) { Lanes<T>.Store(v, a, i, 1, m); return; }
        _ = a[i + T.Count - 1];
        T.Store(v, ref a[i], 0);
    }

    /// <summary>
    /// dst[d0 + j] = op(src[s0 + j]) for j in [0, n), a vector at a time (the tail on zero-padded lanes). The cells run
    /// their nonlinearities through this small loop, one op per method: a cell row written as one loop with three
    /// sigmoids and two tanh exceeded the JIT's inlining budget, and every vector operation of it (Fma, *, Select, the
    /// loads) ran as a call (perf on lstm_s32_b32_i128_h256_fwdbwd: V256::Fma, V256::.ctor, TanhOp::Invoke as separate
    /// symbols, the cell ~10% of the samples on one core). Lanes are independent: the bits are those of the fused loop.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void MapRow<T, TOp>(TOp op, float[] src, int s0, float[] dst, int d0, int n) where T : struct, ISimd<T> where TOp : struct, IUnaryOp
    {
        for (int j = 0; j < n; j += T.Count)
        {
            int m = Math.Min(T.Count, n - j);
            St(op.Invoke(V<T>(src, s0 + j, m)), dst, d0 + j, m);
        }
    }

    public (Tensor h, Tensor c, Tensor act) LstmCell(Tensor gates, Tensor cPrev)
    {
        var gc = ContiguousF32(gates, "lstm cell"); var cc = ContiguousF32(cPrev, "lstm cell");
        int B = cPrev.Shape[0], H = cPrev.Shape[1];
        if (gates.Shape != Shape.Wrap([B, 4 * H])) throw new ShapeException($"lstm cell: gates {gates.Shape} must be [B,4H] = [{B},{4 * H}] for state {cPrev.Shape}");
        var h = New(cPrev.Shape); var c = New(cPrev.Shape); var act = New(gates.Shape);
        float[] g = F(gc), cp = F(cc), hs = F(h), cs = F(c), a = F(act); int go = gc.Layout.Offset, co = cc.Layout.Offset;
        var level = CpuSettings.Simd;
        Par.For(B, CellWork(B, H), (b0, b1) =>
        {
            switch (level)
            {
                case SimdLevel.Avx512: LstmRows<V512>(b0, b1, H, g, go, cp, co, cs, hs, a); break;
                case SimdLevel.Avx2: LstmRows<V256>(b0, b1, H, g, go, cp, co, cs, hs, a); break;
                default: LstmRows<S1>(b0, b1, H, g, go, cp, co, cs, hs, a); break;
            }
        });
        DisposeIfTemp(gc, gates); DisposeIfTemp(cc, cPrev);
        return (h, c, act);
    }

    // act = (sig(i), sig(f), tanh(g), sig(o)) row by row through MapRow, then c = f c_prev + i g, h = o tanh(c).
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void LstmRows<T>(int b0, int b1, int H, float[] g, int go, float[] cp, int co, float[] cs, float[] hs, float[] a) where T : struct, ISimd<T>
    {
        for (int b = b0; b < b1; b++)
        {
            int r = b * 4 * H;
            MapRow<T, SigmoidOp>(default, g, go + r, a, r, 2 * H);
            MapRow<T, TanhOp>(default, g, go + r + 2 * H, a, r + 2 * H, H);
            MapRow<T, SigmoidOp>(default, g, go + r + 3 * H, a, r + 3 * H, H);
            LstmStateRow<T>(H, a, r, cp, co + b * H, cs, hs, b * H);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void LstmStateRow<T>(int H, float[] a, int r, float[] cp, int cpo, float[] cs, float[] hs, int s) where T : struct, ISimd<T>
    {
        for (int j = 0; j < H; j += T.Count)
        {
            int m = Math.Min(T.Count, H - j);
            var cn = V<T>(a, r + H + j, m) * V<T>(cp, cpo + j, m) + V<T>(a, r + j, m) * V<T>(a, r + 2 * H + j, m);
            St(cn, cs, s + j, m); St(V<T>(a, r + 3 * H + j, m) * Tanh(cn), hs, s + j, m);
        }
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
        var level = CpuSettings.Simd;
        Par.For(B, CellWork(B, H), (b0, b1) =>
        {
            switch (level)
            {
                case SimdLevel.Avx512: LstmBackwardRows<V512>(b0, b1, H, dhs, dho, dcs, dco, a, ao, cp, cpo, cs, co, dgs, dcps); break;
                case SimdLevel.Avx2: LstmBackwardRows<V256>(b0, b1, H, dhs, dho, dcs, dco, a, ao, cp, cpo, cs, co, dgs, dcps); break;
                default: LstmBackwardRows<S1>(b0, b1, H, dhs, dho, dcs, dco, a, ao, cp, cpo, cs, co, dgs, dcps); break;
            }
        });
        DisposeIfTemp(dhc, dh); if (dcc != null) DisposeIfTemp(dcc, dc!); DisposeIfTemp(ac, act); DisposeIfTemp(cpc, cPrev); DisposeIfTemp(cc, c);
        return (dg, dcp);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void LstmBackwardRows<T>(int b0, int b1, int H, float[] dhs, int dho, float[]? dcs, int dco, float[] a, int ao,
        float[] cp, int cpo, float[] cs, int co, float[] dgs, float[] dcps) where T : struct, ISimd<T>
    {
        var one = T.One;
        for (int b = b0; b < b1; b++)
        {
            // tanh(c) first, parked in the row's g-gradient slot (MapRow: see there why the nonlinearity is a loop of
            // its own); each vector of it is read below just before the same lanes of that slot get dg.
            MapRow<T, TanhOp>(default, cs, co + b * H, dgs, b * 4 * H + 2 * H, H);
            for (int j = 0; j < H; j += T.Count)
            {
                int r = b * 4 * H, s = b * H + j, m = Math.Min(T.Count, H - j);
                var i = V<T>(a, ao + r + j, m); var f = V<T>(a, ao + r + H + j, m); var g = V<T>(a, ao + r + 2 * H + j, m); var o = V<T>(a, ao + r + 3 * H + j, m);
                var tc = V<T>(dgs, r + 2 * H + j, m); var d = V<T>(dhs, dho + s, m);
                var dct = (dcs == null ? T.Zero : V<T>(dcs, dco + s, m)) + d * o * (one - tc * tc);
                St(dct * g * i * (one - i), dgs, r + j, m);
                St(dct * V<T>(cp, cpo + s, m) * f * (one - f), dgs, r + H + j, m);
                St(dct * i * (one - g * g), dgs, r + 2 * H + j, m);
                St(d * tc * o * (one - o), dgs, r + 3 * H + j, m);
                St(dct * f, dcps, s, m);
            }
        }
    }

    public (Tensor h, Tensor act) GruCell(Tensor xg, Tensor hg, Tensor hPrev)
    {
        var xc = ContiguousF32(xg, "gru cell"); var hc = ContiguousF32(hg, "gru cell"); var pc = ContiguousF32(hPrev, "gru cell");
        int B = hPrev.Shape[0], H = hPrev.Shape[1];
        if (xg.Shape != Shape.Wrap([B, 3 * H]) || hg.Shape != xg.Shape) throw new ShapeException($"gru cell: xg {xg.Shape} and hg {hg.Shape} must be [B,3H] = [{B},{3 * H}] for state {hPrev.Shape}");
        var h = New(hPrev.Shape); var act = New(xg.Shape);
        float[] x = F(xc), hh = F(hc), p = F(pc), hs = F(h), a = F(act); int xo = xc.Layout.Offset, ho = hc.Layout.Offset, po = pc.Layout.Offset;
        var level = CpuSettings.Simd;
        Par.For(B, CellWork(B, H), (b0, b1) =>
        {
            switch (level)
            {
                case SimdLevel.Avx512: GruRows<V512>(b0, b1, H, x, xo, hh, ho, p, po, hs, a); break;
                case SimdLevel.Avx2: GruRows<V256>(b0, b1, H, x, xo, hh, ho, p, po, hs, a); break;
                default: GruRows<S1>(b0, b1, H, x, xo, hh, ho, p, po, hs, a); break;
            }
        });
        DisposeIfTemp(xc, xg); DisposeIfTemp(hc, hg); DisposeIfTemp(pc, hPrev);
        return (h, act);
    }

    // Per row: the pre-activations of r and z into act, sigmoid in place (MapRow); the pre-activation of n
    // (x_n + r h_n) into act, tanh in place; then h = (1 - z) n + z h_prev. Stored floats reload exactly: the bits
    // are those of one fused loop.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void GruRows<T>(int b0, int b1, int H, float[] x, int xo, float[] hh, int ho, float[] p, int po, float[] hs, float[] a) where T : struct, ISimd<T>
    {
        for (int b = b0; b < b1; b++)
        {
            int r = b * 3 * H;
            GruPreRow<T>(H, x, xo + r, hh, ho + r, a, r);
            MapRow<T, SigmoidOp>(default, a, r, a, r, 2 * H);
            GruCandidateRow<T>(H, x, xo + r, hh, ho + r, a, r);
            MapRow<T, TanhOp>(default, a, r + 2 * H, a, r + 2 * H, H);
            GruStateRow<T>(H, a, r, p, po + b * H, hs, b * H);
        }
    }

    /// <summary>a[r, r + 2H) = x + hh over the r and z gates of one row.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void GruPreRow<T>(int H, float[] x, int xr, float[] hh, int hr, float[] a, int r) where T : struct, ISimd<T>
    {
        for (int j = 0; j < 2 * H; j += T.Count)
        {
            int m = Math.Min(T.Count, 2 * H - j);
            St(V<T>(x, xr + j, m) + V<T>(hh, hr + j, m), a, r + j, m);
        }
    }

    /// <summary>a[r + 2H + j] = x_n + r * hh_n (r already the sigmoid in a[r + j]).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void GruCandidateRow<T>(int H, float[] x, int xr, float[] hh, int hr, float[] a, int r) where T : struct, ISimd<T>
    {
        for (int j = 0; j < H; j += T.Count)
        {
            int m = Math.Min(T.Count, H - j);
            St(V<T>(x, xr + 2 * H + j, m) + V<T>(a, r + j, m) * V<T>(hh, hr + 2 * H + j, m), a, r + 2 * H + j, m);
        }
    }

    /// <summary>h = (1 - z) n + z h_prev for one row.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void GruStateRow<T>(int H, float[] a, int r, float[] p, int pr, float[] hs, int s) where T : struct, ISimd<T>
    {
        var one = T.One;
        for (int j = 0; j < H; j += T.Count)
        {
            int m = Math.Min(T.Count, H - j);
            var z = V<T>(a, r + H + j, m);
            St((one - z) * V<T>(a, r + 2 * H + j, m) + z * V<T>(p, pr + j, m), hs, s + j, m);
        }
    }

    public (Tensor dxg, Tensor dhg, Tensor dhPrev) GruCellBackward(Tensor dh, Tensor act, Tensor hg, Tensor hPrev)
    {
        var dhc = ContiguousF32(dh, "gru cell backward"); var ac = ContiguousF32(act, "gru cell backward");
        var hc = ContiguousF32(hg, "gru cell backward"); var pc = ContiguousF32(hPrev, "gru cell backward");
        int B = hPrev.Shape[0], H = hPrev.Shape[1];
        var dxg = New(act.Shape); var dhg = New(act.Shape); var dhp = New(hPrev.Shape);
        float[] d = F(dhc), a = F(ac), hh = F(hc), p = F(pc), dx = F(dxg), dhh = F(dhg), dp = F(dhp);
        int dof = dhc.Layout.Offset, ao = ac.Layout.Offset, ho = hc.Layout.Offset, po = pc.Layout.Offset;
        var level = CpuSettings.Simd;
        Par.For(B, CellWork(B, H), (b0, b1) =>
        {
            switch (level)
            {
                case SimdLevel.Avx512: GruBackwardRows<V512>(b0, b1, H, d, dof, a, ao, hh, ho, p, po, dx, dhh, dp); break;
                case SimdLevel.Avx2: GruBackwardRows<V256>(b0, b1, H, d, dof, a, ao, hh, ho, p, po, dx, dhh, dp); break;
                default: GruBackwardRows<S1>(b0, b1, H, d, dof, a, ao, hh, ho, p, po, dx, dhh, dp); break;
            }
        });
        DisposeIfTemp(dhc, dh); DisposeIfTemp(ac, act); DisposeIfTemp(hc, hg); DisposeIfTemp(pc, hPrev);
        return (dxg, dhg, dhp);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void GruBackwardRows<T>(int b0, int b1, int H, float[] d, int dof, float[] a, int ao, float[] hh, int ho, float[] p, int po,
        float[] dx, float[] dhh, float[] dp) where T : struct, ISimd<T>
    {
        var one = T.One;
        for (int b = b0; b < b1; b++)
            for (int j = 0; j < H; j += T.Count)
            {
                int r = b * 3 * H, s = b * H + j, m = Math.Min(T.Count, H - j);
                var rg = V<T>(a, ao + r + j, m); var z = V<T>(a, ao + r + H + j, m); var n = V<T>(a, ao + r + 2 * H + j, m); var g = V<T>(d, dof + s, m);
                var dn = g * (one - z) * (one - n * n);
                var dz = g * (V<T>(p, po + s, m) - n) * z * (one - z);
                var dr = dn * V<T>(hh, ho + r + 2 * H + j, m) * rg * (one - rg);
                St(dr, dx, r + j, m); St(dz, dx, r + H + j, m); St(dn, dx, r + 2 * H + j, m);
                St(dr, dhh, r + j, m); St(dz, dhh, r + H + j, m); St(dn * rg, dhh, r + 2 * H + j, m);
                St(g * z, dp, s, m);
            }
    }
}
