namespace Engine.Functions;

// y = max (or min) of x over dims
// dx = dy * (x == y) / count(x == y): ties share the gradient evenly (PyTorch's amax/amin and full max()).
internal sealed class Extremum : Function
{
    private Tensor _x = null!, _y = null!;
    private int[] _dims = [];
    private bool _keep;
    private ReduceKind _kind;

    public override string Name => _kind == ReduceKind.Max ? "Max" : "Min";

    public static Tensor Forward(Tensor x, ReduceKind kind, int[] dims, bool keepDim)
    {
        if (x.Numel == 0) throw new ShapeException($"{kind.ToString().ToLowerInvariant()}: cannot reduce an empty tensor of shape {x.Shape}");
        var y = x.Backend.Reduce(kind, x, dims, keepDim);
        if (!Autograd.Needed(x)) return y;
        var fn = new Extremum { _dims = dims, _keep = keepDim, _kind = kind };
        fn._x = fn.Save(x); fn._y = fn.Save(y);
        return Autograd.Record(fn, y, x);
    }

    protected internal override Tensor?[] Backward(Tensor dy)
    {
        var yk = Reduction.Unreduce(_y, _x.Shape, _dims, _keep);
        var mask = _x.Eq(yk);
        var count = mask.Sum(_dims, keepDim: true);
        return [mask.Mul(Reduction.Unreduce(dy, _x.Shape, _dims, _keep)).Div(count)];
    }
}
