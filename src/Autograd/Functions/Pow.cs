namespace Engine.Functions;

// y = a^b (tensors, broadcast)    da = dy * b * a^(b-1)    db = dy * y * log(a)   (PyTorch: 0 where a == 0 and b >= 0)
internal sealed class Pow : Function
{
    private Tensor _a = null!, _b = null!, _y = null!;

    public static Tensor Forward(Tensor a, Tensor b)
    {
        Check.SameDevice(a, b, "pow");
        var y = a.Backend.Zip(a, b, new Kernels.Ops.PowOp());
        if (!Autograd.Needed(a, b)) return y;
        var fn = new Pow();
        fn._a = fn.Save(a); fn._b = fn.Save(b); fn._y = fn.Save(y);
        return Autograd.Record(fn, y, a, b);
    }

    protected internal override Tensor?[] Backward(Tensor dy)
    {
        Tensor? da = null, db = null;
        if (NeedsGrad(0)) da = Reduction.SumTo(dy.Mul(_b).Mul(_a.Pow(_b.Sub(1f))), _a.Shape);
        if (NeedsGrad(1))
        {
            var logA = Tensor.Where(_a.Eq(0f), Tensor.ZerosLike(_a), _a.Log());
            db = Reduction.SumTo(dy.Mul(_y).Mul(logA), _b.Shape);
        }
        return [da, db];
    }
}
