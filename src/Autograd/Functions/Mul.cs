using Engine.Kernels.Ops;

namespace Engine.Functions;

// y = a * b (broadcast)        da = sum_to(dy * b)   db = sum_to(dy * a)
internal sealed class Mul : Function
{
    private Tensor _a = null!, _b = null!;

    public static Tensor Forward(Tensor a, Tensor b)
    {
        Check.SameDevice(a, b, "mul");
        var y = a.Backend.Zip(a, b, new MulOp());
        if (!Autograd.Needed(a, b)) return y;
        var fn = new Mul();
        fn._a = fn.Save(a); fn._b = fn.Save(b);
        return Autograd.Record(fn, y, a, b);
    }

    protected internal override Tensor?[] Backward(Tensor dy) =>
        [NeedsGrad(0) ? Reduction.SumTo(dy.Mul(_b), _a.Shape) : null, NeedsGrad(1) ? Reduction.SumTo(dy.Mul(_a), _b.Shape) : null];
}
