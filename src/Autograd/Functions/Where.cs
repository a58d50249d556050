namespace Engine.Functions;

// y = cond ? a : b (broadcast)        da = sum_to(cond ? dy : 0)   db = sum_to(cond ? 0 : dy)
internal sealed class Where : Function
{
    private Tensor _cond = null!;
    private Shape _a, _b;

    public static Tensor Forward(Tensor cond, Tensor a, Tensor b)
    {
        Check.SameDevice(a, b, "where"); Check.SameDevice(cond, a, "where");
        var y = a.Backend.Where(cond, a, b);
        if (!Autograd.Needed(a, b)) return y;
        var fn = new Where { _a = a.Shape, _b = b.Shape };
        fn._cond = fn.Save(cond);
        return Autograd.Record(fn, y, a, b);
    }

    protected internal override Tensor?[] Backward(Tensor dy)
    {
        var zero = Tensor.Zeros(Shape.Scalar, dy.Device);
        return [NeedsGrad(0) ? Reduction.SumTo(dy.Backend.Where(_cond, dy, zero), _a) : null,
                NeedsGrad(1) ? Reduction.SumTo(dy.Backend.Where(_cond, zero, dy), _b) : null];
    }
}
