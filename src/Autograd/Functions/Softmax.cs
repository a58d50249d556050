namespace Engine.Functions;

// y = exp(x - max) / sum(exp(x - max)) along dim        dx = y * (dy - sum(dy * y, dim))
internal sealed class Softmax : Function
{
    private Tensor _y = null!;
    private int _dim;

    public static Tensor Forward(Tensor x, int dim)
    {
        dim = x.Shape.Dim(dim, "softmax");
        var y = x.Backend.Softmax(x, dim, log: false);
        if (!Autograd.Needed(x)) return y;
        var fn = new Softmax { _dim = dim }; fn._y = fn.Save(y);
        return Autograd.Record(fn, y, x);
    }

    protected internal override Tensor?[] Backward(Tensor dy) => [_y.Mul(dy.Sub(dy.Mul(_y).Sum(_dim, keepDim: true)))];
}
