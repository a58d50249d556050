using Engine.Kernels.Ops;

namespace Engine.Functions;

// y = 0.5 x (1 + erf(x / sqrt 2))        dx = dy * (Phi(x) + x * phi(x))
internal sealed class Gelu : Function
{
    private Tensor _x = null!;

    public static Tensor Forward(Tensor x)
    {
        var y = x.Backend.Map(x, new GeluOp());
        if (!Autograd.Needed(x)) return y;
        var fn = new Gelu(); fn._x = fn.Save(x);
        return Autograd.Record(fn, y, x);
    }

    protected internal override Tensor?[] Backward(Tensor dy) => [dy.Backend.Zip(dy, _x, new GeluGradOp())];
}
