using Engine.Kernels.Ops;

namespace Engine.Functions;

// y = x > 0 ? x : slope * x        dx = dy * (x > 0 ? 1 : slope)
internal sealed class LeakyRelu : Function
{
    private Tensor _x = null!;
    private float _slope;

    public static Tensor Forward(Tensor x, float slope)
    {
        var y = x.Backend.Map(x, new LeakyReluOp(slope));
        if (!Autograd.Needed(x)) return y;
        var fn = new LeakyRelu { _slope = slope }; fn._x = fn.Save(x);
        return Autograd.Record(fn, y, x);
    }

    protected internal override Tensor?[] Backward(Tensor dy) => [dy.Backend.Zip(dy, _x, new LeakyReluGradOp(_slope))];
}
