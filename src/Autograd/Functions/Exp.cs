using Engine.Kernels.Ops;

namespace Engine.Functions;

// y = exp(x)        dx = dy * y
internal sealed class Exp : Function
{
    private Tensor _y = null!;

    public static Tensor Forward(Tensor x)
    {
        var y = x.Backend.Map(x, new ExpOp());
        if (!Autograd.Needed(x)) return y;
        var fn = new Exp(); fn._y = fn.Save(y);
        return Autograd.Record(fn, y, x);
    }

    protected internal override Tensor?[] Backward(Tensor dy) => [dy.Mul(_y)];
}
