namespace Engine.Functions;

// y = x with src added at index along dim (out of place)        dx = dy    dsrc = gather(dy, dim, index)
internal sealed class ScatterAdd : Function
{
    private int _dim;
    private Tensor _index = null!;
    private Shape _src;

    public static Tensor Forward(Tensor x, int dim, Tensor index, Tensor src)
    {
        dim = x.Shape.Dim(dim, "scatter_add");
        Check.IntIndex(index, "scatter_add");
        Check.SameDevice(x, src, "scatter_add");
        Check.SameDevice(x, index, "scatter_add");
        var y = Tensor.Create(x.Backend.Allocate(DType.Float32, x.Numel, false), Layout.Contiguous(x.Shape));
        x.Backend.Copy(x, y);
        y.Backend.ScatterAdd(y, dim, index, src);
        if (!Autograd.Needed(x, src)) return y;
        var fn = new ScatterAdd { _dim = dim, _src = src.Shape };
        fn._index = fn.Save(index);
        return Autograd.Record(fn, y, x, src);
    }

    protected internal override Tensor?[] Backward(Tensor dy)
    {
        Tensor? dsrc = null;
        if (NeedsGrad(1))
        {
            var g = dy.Backend.Gather(dy, _dim, _index);
            dsrc = g.Shape == _src ? g : Tensor.Zeros(_src, dy.Device).ScatterPad(g);
        }
        return [NeedsGrad(0) ? dy : null, dsrc];
    }
}

internal static class ScatterPadExt
{
    /// <summary>Copies g into the leading corner of z (src may be larger than index in PyTorch's scatter_add).</summary>
    public static Tensor ScatterPad(this Tensor z, Tensor g)
    {
        var layout = z.Layout;
        for (int d = 0; d < g.Rank; d++) layout = layout.Narrow(d, 0, g.Shape[d]);
        using var part = Tensor.Create(z.Storage, layout);
        z.Backend.Copy(g, part);
        return z;
    }
}
