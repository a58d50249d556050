namespace Engine.Functions;

// y[..i..] = x[..index[..i..]..] along dim        dx = zeros with dy scatter-added at the indices
internal sealed class Gather : Function
{
    private Shape _x;
    private int _dim;
    private Tensor _index = null!;

    public static Tensor Forward(Tensor x, int dim, Tensor index)
    {
        dim = x.Shape.Dim(dim, "gather");
        Check.IntIndex(index, "gather");
        Check.SameDevice(x, index, "gather");
        var y = x.Backend.Gather(x, dim, index);
        if (!Autograd.Needed(x)) return y;
        var fn = new Gather { _x = x.Shape, _dim = dim };
        fn._index = fn.Save(index);
        return Autograd.Record(fn, y, x);
    }

    protected internal override Tensor?[] Backward(Tensor dy)
    {
        var dx = Tensor.Zeros(_x, dy.Device);
        dy.Backend.ScatterAdd(dx, _dim, _index, dy);
        return [dx];
    }

    internal override bool AddsGradInto => true;

    protected internal override void AddGradInto(Tensor dy, Tensor target) => dy.Backend.ScatterAdd(target, _dim, _index, dy);
}
