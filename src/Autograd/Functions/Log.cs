using Engine.Kernels.Ops;

namespace Engine.Functions;

// y = ln(x)        dx = dy / x
internal sealed class Log : Function
{
    private Tensor _x = null!;

    public static Tensor Forward(Tensor x)
    {
        var y = x.Backend.Map(x, new LogOp());
        if (!Autograd.Needed(x)) return y;
        var fn = new Log(); fn._x = fn.Save(x);
        return Autograd.Record(fn, y, x);
    }

    protected internal override Tensor?[] Backward(Tensor dy) => [dy.Div(_x)];
}
