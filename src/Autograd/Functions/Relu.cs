using Engine.Kernels.Ops;

namespace Engine.Functions;

// y = max(x, 0)        dx = dy * (y > 0)
internal sealed class Relu : Function
{
    private Tensor _y = null!;

    public static Tensor Forward(Tensor x)
    {
        var y = x.Backend.Map(x, new ReluOp());
        if (!Autograd.Needed(x)) return y;
        var fn = new Relu(); fn._y = fn.Save(y);
        return Autograd.Record(fn, y, x);
    }

    protected internal override Tensor?[] Backward(Tensor dy) => [dy.Backend.Zip(dy, _y, new ReluGradOp())];
}
