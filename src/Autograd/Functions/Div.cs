using Engine.Kernels.Ops;

namespace Engine.Functions;

// y = a / b (broadcast)        da = sum_to(dy / b)   db = sum_to(-dy * a / b^2) = sum_to(-dy * y / b)
internal sealed class Div : Function
{
    private Tensor _b = null!, _y = null!;
    private Shape _a;

    public static Tensor Forward(Tensor a, Tensor b)
    {
        Check.SameDevice(a, b, "div");
        var y = a.Backend.Zip(a, b, new DivOp());
        if (!Autograd.Needed(a, b)) return y;
        var fn = new Div { _a = a.Shape };
        fn._b = fn.Save(b); fn._y = fn.Save(y);
        return Autograd.Record(fn, y, a, b);
    }

    protected internal override Tensor?[] Backward(Tensor dy)
    {
        var da = NeedsGrad(0) ? Reduction.SumTo(dy.Div(_b), _a) : null;
        var db = NeedsGrad(1) ? Reduction.SumTo(dy.Mul(_y).Div(_b).Neg(), _b.Shape) : null;
        return [da, db];
    }
}
