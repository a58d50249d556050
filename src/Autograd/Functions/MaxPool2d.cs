namespace Engine.Functions;

// y[N,C,P,Q] = max over each window of x[N,C,H,W]        dx = dy routed to the argmax of each window
internal sealed class MaxPool2d : Function
{
    private Tensor _indices = null!;
    private Shape _x;

    public static Tensor Forward(Tensor x, Pool2dArgs args)
    {
        Pooling.Validate(x, args, "max_pool2d");
        var y = x.Backend.MaxPool2d(x, args, out var indices);
        if (!Autograd.Needed(x)) { indices.Dispose(); return y; }
        var fn = new MaxPool2d { _x = x.Shape };
        fn._indices = fn.Save(indices);
        return Autograd.Record(fn, y, x);
    }

    protected internal override Tensor?[] Backward(Tensor dy) =>
        [dy.Backend is IFusedKernels k ? k.MaxPool2dBackward(dy, _indices, _x) : ComposedPoolGradients.Max(dy, _indices, _x)];
}

internal static class Pooling
{
    public static void Validate(Tensor x, Pool2dArgs a, string op) => a.OutputOf(x.Shape, op);
}
