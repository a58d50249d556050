using Engine.Kernels.Ops;

namespace Engine.Functions;

// y = 1 / (1 + exp(-x))        dx = dy * y * (1 - y)
internal sealed class Sigmoid : Function
{
    private Tensor _y = null!;

    public static Tensor Forward(Tensor x)
    {
        var y = x.Backend.Map(x, new SigmoidOp());
        if (!Autograd.Needed(x)) return y;
        var fn = new Sigmoid(); fn._y = fn.Save(y);
        return Autograd.Record(fn, y, x);
    }

    protected internal override Tensor?[] Backward(Tensor dy) => [dy.Backend.Zip(dy, _y, new SigmoidGradOp())];
}
