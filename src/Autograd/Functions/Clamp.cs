using Engine.Kernels.Ops;

namespace Engine.Functions;

// y = min(max(x, lo), hi)        dx = dy where lo <= x <= hi, else 0
internal sealed class Clamp : Function
{
    private Tensor _x = null!;
    private float _lo, _hi;

    public static Tensor Forward(Tensor x, float lo, float hi)
    {
        if (lo > hi) throw new ArgumentException($"clamp: min {lo} is greater than max {hi}");
        var y = x.Backend.Map(x, new ClampOp(lo, hi));
        if (!Autograd.Needed(x)) return y;
        var fn = new Clamp { _lo = lo, _hi = hi }; fn._x = fn.Save(x);
        return Autograd.Record(fn, y, x);
    }

    protected internal override Tensor?[] Backward(Tensor dy) => [dy.Backend.Zip(dy, _x, new ClampGradOp(_lo, _hi))];
}
