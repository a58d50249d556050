using Engine.Kernels.Ops;

namespace Engine.Functions;

// y = sqrt(x)        dx = dy / (2 y)
internal sealed class Sqrt : Function
{
    private Tensor _y = null!;

    public static Tensor Forward(Tensor x)
    {
        var y = x.Backend.Map(x, new SqrtOp());
        if (!Autograd.Needed(x)) return y;
        var fn = new Sqrt(); fn._y = fn.Save(y);
        return Autograd.Record(fn, y, x);
    }

    protected internal override Tensor?[] Backward(Tensor dy) => [dy.Div(_y).Mul(0.5f)];
}
