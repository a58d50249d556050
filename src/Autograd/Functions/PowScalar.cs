using Engine.Kernels.Ops;

namespace Engine.Functions;

// y = x^p (constant p)        dx = dy * p * x^(p-1)
internal sealed class PowScalar : Function
{
    private Tensor _x = null!;
    private float _p;

    public static Tensor Forward(Tensor x, float p)
    {
        var y = x.Backend.Map(x, new PowScalarOp(p));
        if (!Autograd.Needed(x)) return y;
        var fn = new PowScalar { _p = p };
        fn._x = fn.Save(x);
        return Autograd.Record(fn, y, x);
    }

    protected internal override Tensor?[] Backward(Tensor dy)
    {
        if (_p == 0f) return [dy.Backend.Map(dy, new AffineOp(0f, 0f))];
        var d = _x.Backend.Map(_x, new PowScalarOp(_p - 1f));
        return [dy.Mul(d).Mul(_p)];
    }
}
