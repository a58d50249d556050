namespace Engine.Functions;

// y = x broadcast to a larger shape (stride 0, no copy)        dx = dy summed over the broadcast dims
internal sealed class Expand : Function
{
    private Shape _x;

    public static Tensor Forward(Tensor x, Shape target)
    {
        var y = Tensor.Create(x.Storage, x.Layout.Expand(target));
        return Autograd.Record(new Expand { _x = x.Shape }, y, x);
    }

    protected internal override Tensor?[] Backward(Tensor dy) => [Reduction.SumTo(dy, _x)];
}
