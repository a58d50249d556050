using Engine.Kernels.Ops;

namespace Engine.Functions;

// y = |x|        dx = dy * sign(x)   (0 at x = 0, as PyTorch)
internal sealed class Abs : Function
{
    private Tensor _x = null!;

    public static Tensor Forward(Tensor x)
    {
        var y = x.Backend.Map(x, new AbsOp());
        if (!Autograd.Needed(x)) return y;
        var fn = new Abs(); fn._x = fn.Save(x);
        return Autograd.Record(fn, y, x);
    }

    protected internal override Tensor?[] Backward(Tensor dy) => [dy.Mul(_x.Backend.Map(_x, new SignOp()))];
}
