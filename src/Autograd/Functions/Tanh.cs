using Engine.Kernels.Ops;

namespace Engine.Functions;

// y = tanh(x)        dx = dy * (1 - y^2)
internal sealed class Tanh : Function
{
    private Tensor _y = null!;

    public static Tensor Forward(Tensor x)
    {
        var y = x.Backend.Map(x, new TanhOp());
        if (!Autograd.Needed(x)) return y;
        var fn = new Tanh(); fn._y = fn.Save(y);
        return Autograd.Record(fn, y, x);
    }

    protected internal override Tensor?[] Backward(Tensor dy) => [dy.Backend.Zip(dy, _y, new TanhGradOp())];
}
