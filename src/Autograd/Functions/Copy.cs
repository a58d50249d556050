namespace Engine.Functions;

// y = a contiguous copy of x (contiguous, clone)        dx = dy
internal sealed class Copy : Function
{
    public static Tensor Forward(Tensor x)
    {
        var y = Tensor.Create(x.Backend.Allocate(x.DType, x.Numel, false), Layout.Contiguous(x.Shape));
        x.Backend.Copy(x, y);
        return Autograd.Record(new Copy(), y, x);
    }

    protected internal override Tensor?[] Backward(Tensor dy) => [dy];
}
