namespace Engine.Functions;

// y[N,C,P,Q] = mean over each window of x[N,C,H,W]        dx = dy / divisor spread over each window
internal sealed class AvgPool2d : Function
{
    private Shape _x;
    private Pool2dArgs _args;

    public static Tensor Forward(Tensor x, Pool2dArgs args)
    {
        Pooling.Validate(x, args, "avg_pool2d");
        var y = x.Backend.AvgPool2d(x, args);
        return Autograd.Record(new AvgPool2d { _x = x.Shape, _args = args }, y, x);
    }

    protected internal override Tensor?[] Backward(Tensor dy) =>
        [dy.Backend is IFusedKernels k ? k.AvgPool2dBackward(dy, _x, _args) : ComposedPoolGradients.Avg(dy, _x, _args)];
}
