namespace Engine.Functions;

// y = x converted to another dtype (values rounded as that type)        dx = dy converted back
internal sealed class Cast : Function
{
    private DType _from;

    public static Tensor Forward(Tensor x, DType to)
    {
        var y = Tensor.Create(x.Backend.Allocate(to, x.Numel, false), Layout.Contiguous(x.Shape));
        x.Backend.Copy(x, y);
        if (to == DType.Int32) return y;
        return Autograd.Record(new Cast { _from = x.DType }, y, x);
    }

    protected internal override Tensor?[] Backward(Tensor dy) => [dy.DType == _from ? dy : dy.ToDType(_from)];
}
