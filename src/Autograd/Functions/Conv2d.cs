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
        if (x.Rank != 4) throw new ShapeException($"conv2d: input must be [N,C,H,W], got {x.Shape}");
        if (w.Rank != 4) throw new ShapeException($"conv2d: weight must be [K,C/groups,R,S], got {w.Shape}");
        int G = args.Groups, C = x.Shape[1], K = w.Shape[0];
        if (G < 1 || C % G != 0 || K % G != 0)
            throw new ShapeException($"conv2d: groups {G} must divide input channels {C} and output channels {K}");
        if (w.Shape[1] * G != C)
            throw new ShapeException($"conv2d: input {x.Shape} has {C} channels but weight {w.Shape} expects {w.Shape[1] * G} ({w.Shape[1]} per group x {G} groups)");
        if (b != null && (b.Rank != 1 || b.Shape[0] != K))
            throw new ShapeException($"conv2d: bias {b.Shape} must be [{K}]");
        if (args.StrideH < 1 || args.StrideW < 1 || args.DilationH < 1 || args.DilationW < 1 || args.PadH < 0 || args.PadW < 0)
            throw new ArgumentException($"conv2d: invalid geometry {args}");
        int P = args.OutH(x.Shape[2], w.Shape[2]), Q = args.OutW(x.Shape[3], w.Shape[3]);
        if (P <= 0 || Q <= 0)
            throw new ShapeException($"conv2d: input {x.Shape} is too small for kernel {w.Shape[2]}x{w.Shape[3]} with {args}: output would be {P}x{Q}");
        var y = x.Backend.Conv2d(x, w, b, args);
        if (!Autograd.Needed(x, w, b)) return y;
        var fn = new Conv2d { _args = args };
        fn._x = fn.Save(x); fn._w = fn.Save(w);
        return b == null ? Autograd.Record(fn, y, x, w) : Autograd.Record(fn, y, x, w, b);
    }

    protected internal override Tensor?[] Backward(Tensor dy)
    {
        bool hasBias = Inputs.Length == 3;
        // One backend call: the CPU's depthwise kernel computes all three from a single pass over dy.
        var (dx, dw, db) = dy.Backend.Conv2dBackward(dy, _x, _w, _args, NeedsGrad(0), NeedsGrad(1), hasBias && NeedsGrad(2));
        return hasBias ? [dx, dw, db] : [dx, dw];
    }
}
