using Engine.Kernels.Ops;

namespace Engine.Functions;

// y = f(x) elementwise        dx = g(dy, x)
// One Function for the activations whose backward needs only dy and the input (hardtanh/relu6, hardsigmoid,
// hardswish, silu): TOp computes f, TGrad computes g (see Kernels/Ops/HardActivationOps.cs for the formulas).
internal sealed class PointwiseActivation<TOp, TGrad> : Function
    where TOp : struct, IUnaryOp where TGrad : struct, IBinaryOp
{
    private Tensor _x = null!;
    private TGrad _grad;
    private string _name = "";

    public override string Name => _name;

    public static Tensor Forward(string name, Tensor x, TOp op, TGrad grad)
    {
        var y = x.Backend.Map(x, op);
        if (!Autograd.Needed(x)) return y;
        var fn = new PointwiseActivation<TOp, TGrad> { _grad = grad, _name = name }; fn._x = fn.Save(x);
        return Autograd.Record(fn, y, x);
    }

    protected internal override Tensor?[] Backward(Tensor dy) => [dy.Backend.Zip(dy, _x, _grad)];
}
