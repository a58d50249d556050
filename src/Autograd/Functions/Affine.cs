using Engine.Kernels.Ops;

namespace Engine.Functions;

// y = x * scale + shift (scalars)        dx = dy * scale
internal sealed class Affine : Function
{
    private float _scale;

    public static Tensor Forward(Tensor x, float scale, float shift)
    {
        var y = x.Backend.Map(x, new AffineOp(scale, shift));
        return Autograd.Record(new Affine { _scale = scale }, y, x);
    }

    protected internal override Tensor?[] Backward(Tensor dy) => [_scale == 1f ? dy : dy.Backend.Map(dy, new AffineOp(_scale, 0f))];
}
