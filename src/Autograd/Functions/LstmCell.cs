namespace Engine.Functions;

// gates [B,4H] = (i, f, g, o) pre-activations; c = sig(f) cPrev + sig(i) tanh(g); h = sig(o) tanh(c)
// backward: the fused cell kernel gives dGates and dcPrev from dh and dc. A backend without IFusedKernels runs the
// same formula as tensor ops, and autograd differentiates those.
internal sealed class LstmCell : Function
{
    private Tensor _act = null!, _cPrev = null!, _c = null!;

    public override int OutputCount => 2;

    public static (Tensor h, Tensor c) Forward(Tensor gates, Tensor cPrev)
    {
        Check.SameDevice(gates, cPrev, "lstm_cell");
        if (cPrev.Rank != 2 || gates.Rank != 2 || gates.Shape[0] != cPrev.Shape[0] || gates.Shape[1] != 4 * cPrev.Shape[1])
            throw new ShapeException($"lstm_cell: gates {gates.Shape} must be [B,4H] for cell state {cPrev.Shape} [B,H]");
        if (gates.Backend is not IFusedKernels k) return Composed(gates, cPrev);
        var (h, c, act) = k.LstmCell(gates, cPrev);
        if (!Autograd.Needed(gates, cPrev)) { act.Dispose(); return (h, c); }
        var fn = new LstmCell();
        fn._act = fn.Save(act); fn._cPrev = fn.Save(cPrev); fn._c = fn.Save(c);
        Autograd.RecordMany(fn, [h, c], gates, cPrev);
        return (h, c);
    }

    private static (Tensor h, Tensor c) Composed(Tensor gates, Tensor cPrev)
    {
        int H = cPrev.Shape[1];
        var i = gates.Narrow(1, 0, H).Sigmoid(); var f = gates.Narrow(1, H, H).Sigmoid();
        var g = gates.Narrow(1, 2 * H, H).Tanh(); var o = gates.Narrow(1, 3 * H, H).Sigmoid();
        var c = f.Mul(cPrev).Add(i.Mul(g));
        return (o.Mul(c.Tanh()), c);
    }

    protected internal override Tensor?[] Backward(Tensor dy) => Backward([dy, null]);

    protected internal override Tensor?[] Backward(Tensor?[] dys)
    {
        var dh = dys[0] ?? Tensor.Zeros(_c.Shape, _c.Device);
        var (dGates, dcPrev) = ((IFusedKernels)_c.Backend).LstmCellBackward(dh, dys[1], _act, _cPrev, _c);
        return [dGates, dcPrev];
    }
}
