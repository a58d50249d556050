namespace Engine.Functions;

// y = x - max - log(sum(exp(x - max))) along dim        dx = dy - exp(y) * sum(dy, dim)
internal sealed class LogSoftmax : Function
{
    private Tensor _y = null!;
    private int _dim;

    public static Tensor Forward(Tensor x, int dim)
    {
        dim = x.Shape.Dim(dim, "log_softmax");
        var y = x.Backend.Softmax(x, dim, log: true);
        if (!Autograd.Needed(x)) return y;
        var fn = new LogSoftmax { _dim = dim }; fn._y = fn.Save(y);
        return Autograd.Record(fn, y, x);
    }

    protected internal override Tensor?[] Backward(Tensor dy) => [dy.Sub(_y.Exp().Mul(dy.Sum(_dim, keepDim: true)))];
}
