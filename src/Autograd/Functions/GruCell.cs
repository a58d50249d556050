namespace Engine.Functions;

// xg, hg [B,3H] = (r, z, n) projections of input and hidden state (biases included)
// r = sig(xr + hr), z = sig(xz + hz), n = tanh(xn + r hn), h = (1 - z) n + z hPrev
// backward: the fused cell kernel; a backend without IFusedKernels runs the formula as tensor ops instead.
internal sealed class GruCell : Function
{
    private Tensor _act = null!, _hg = null!, _hPrev = null!;

    public static Tensor Forward(Tensor xg, Tensor hg, Tensor hPrev)
    {
        Check.SameDevice(xg, hg, "gru_cell"); Check.SameDevice(xg, hPrev, "gru_cell");
        if (hPrev.Rank != 2 || xg.Shape != hg.Shape || xg.Rank != 2 || xg.Shape[0] != hPrev.Shape[0] || xg.Shape[1] != 3 * hPrev.Shape[1])
            throw new ShapeException($"gru_cell: xg {xg.Shape} and hg {hg.Shape} must both be [B,3H] for hidden state {hPrev.Shape} [B,H]");
        if (xg.Backend is not IFusedKernels k) return Composed(xg, hg, hPrev);
        var (h, act) = k.GruCell(xg, hg, hPrev);
        if (!Autograd.Needed(xg, hg, hPrev)) { act.Dispose(); return h; }
        var fn = new GruCell();
        fn._act = fn.Save(act); fn._hg = fn.Save(hg); fn._hPrev = fn.Save(hPrev);
        return Autograd.Record(fn, h, xg, hg, hPrev);
    }

    private static Tensor Composed(Tensor xg, Tensor hg, Tensor hPrev)
    {
        int H = hPrev.Shape[1];
        var r = xg.Narrow(1, 0, H).Add(hg.Narrow(1, 0, H)).Sigmoid();
        var z = xg.Narrow(1, H, H).Add(hg.Narrow(1, H, H)).Sigmoid();
        var n = xg.Narrow(1, 2 * H, H).Add(r.Mul(hg.Narrow(1, 2 * H, H))).Tanh();
        return n.Sub(z.Mul(n)).Add(z.Mul(hPrev));          // (1 - z) n + z hPrev
    }

    protected internal override Tensor?[] Backward(Tensor dy)
    {
        var (dxg, dhg, dhPrev) = ((IFusedKernels)dy.Backend).GruCellBackward(dy, _act, _hg, _hPrev);
        return [dxg, dhg, dhPrev];
    }
}
