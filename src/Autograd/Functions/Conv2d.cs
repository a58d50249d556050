namespace Engine.Functions;

// y[N,K,P,Q] = conv(x[N,C,H,W], w[K,C/G,R,S]) + b[K]
// dx = conv_transpose(dy, w)    dw = correlate(x, dy)    db = sum of dy over N, P, Q
internal sealed class Conv2d : Function
{
    private Tensor _x = null!, _w = null!;
    private Conv2dArgs _args;

    public static Tensor Forward(Tensor x, Tensor w, Tensor? b, Conv2dArgs args)
    {
        Check.SameDevice(x, w, "conv2d");
        if (b != null) Check.SameDevice(x, b, "conv2d");
        ConvShape.Of(x.Shape, w.Shape, args, "conv2d", b?.Shape);
        var y = x.Backend.Conv2d(x, w, b, args);
        if (!Autograd.Needed(x, w, b)) return y;
        var fn = new Conv2d { _args = args };
        fn._x = fn.Save(x); fn._w = fn.Save(w);
        return b == null ? Autograd.Record(fn, y, x, w) : Autograd.Record(fn, y, x, w, b);
    }

    protected internal override Tensor?[] Backward(Tensor dy)
    {
        bool hasBias = Inputs.Length == 3;
        bool needDx = NeedsGrad(0), needDw = NeedsGrad(1), needDb = hasBias && NeedsGrad(2);
        // The backend's hand-written gradients where it has them (the CPU's depthwise kernel computes all three in one
        // pass over dy); otherwise the same gradients composed as convolutions.
        var (dx, dw, db) = dy.Backend is IFusedKernels k
            ? k.Conv2dBackward(dy, _x, _w, _args, needDx, needDw, needDb)
            : ComposedConvGradients.Of(dy, _x, _w, _args, needDx, needDw, needDb);
        return hasBias ? [dx, dw, db] : [dx, dw];
    }
}
