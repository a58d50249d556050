using Engine.Kernels.Ops;

namespace Engine.Functions;

// y = a - b (broadcast)        da = sum_to(dy)   db = -sum_to(dy)
internal sealed class Sub : Function
{
    private Shape _a, _b;

    public static Tensor Forward(Tensor a, Tensor b)
    {
        Check.SameDevice(a, b, "sub");
        var y = a.Backend.Zip(a, b, new SubOp());
        return Autograd.Record(new Sub { _a = a.Shape, _b = b.Shape }, y, a, b);
    }

    protected internal override Tensor?[] Backward(Tensor dy) =>
        [NeedsGrad(0) ? Reduction.SumTo(dy, _a) : null, NeedsGrad(1) ? Reduction.SumTo(dy.Neg(), _b) : null];
}
