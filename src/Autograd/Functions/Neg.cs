using Engine.Kernels.Ops;

namespace Engine.Functions;

// y = -x        dx = -dy
internal sealed class Neg : Function
{
    public static Tensor Forward(Tensor x) => Autograd.Record(new Neg(), x.Backend.Map(x, new NegOp()), x);

    protected internal override Tensor?[] Backward(Tensor dy) => [dy.Backend.Map(dy, new NegOp())];
}
