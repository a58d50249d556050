namespace Engine.Functions;

// y = slices of x along dim at the given indices        dx = zeros, with dy's slices added back at the indices
internal sealed class IndexSelect : Function
{
    private Shape _x;
    private int _dim;
    private Tensor _index = null!;

    public static Tensor Forward(Tensor x, int dim, Tensor index)
    {
        dim = x.Shape.Dim(dim, "index_select");
        Check.Index1D(index, "index_select");
        Check.SameDevice(x, index, "index_select");
        var y = x.Backend.IndexSelect(x, dim, index);
        if (!Autograd.Needed(x)) return y;
        var fn = new IndexSelect { _x = x.Shape, _dim = dim };
        fn._index = fn.Save(index);
        return Autograd.Record(fn, y, x);
    }

    protected internal override Tensor?[] Backward(Tensor dy)
    {
        var dx = Tensor.Zeros(_x, dy.Device);
        dy.Backend.IndexAdd(dx, _dim, _index, dy);
        return [dx];
    }

    internal override bool AddsGradInto => true;

    protected internal override void AddGradInto(Tensor dy, Tensor target) => dy.Backend.IndexAdd(target, _dim, _index, dy);
}
