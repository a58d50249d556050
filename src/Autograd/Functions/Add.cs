using Engine.Kernels.Ops;

namespace Engine.Functions;

// y = a + b (broadcast)        da = sum_to(dy, a.shape)   db = sum_to(dy, b.shape)
internal sealed class Add : Function
{
    private Shape _a, _b;

    public static Tensor Forward(Tensor a, Tensor b)
    {
        Check.SameDevice(a, b, "add");
        var y = a.Backend.Zip(a, b, new AddOp());
        return Autograd.Record(new Add { _a = a.Shape, _b = b.Shape }, y, a, b);
    }

    protected internal override Tensor?[] Backward(Tensor dy) =>
        [NeedsGrad(0) ? Reduction.SumTo(dy, _a) : null, NeedsGrad(1) ? Reduction.SumTo(dy, _b) : null];
}
