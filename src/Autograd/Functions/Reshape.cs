namespace Engine.Functions;

// y = x viewed with a new shape (view, reshape, flatten, squeeze, unsqueeze)        dx = dy reshaped to x's shape
internal sealed class Reshape : Function
{
    private Shape _x;
    private string _name = "Reshape";
    public override string Name => _name;

    /// <summary>A view of x with the given layout (same storage, no copy).</summary>
    public static Tensor Forward(Tensor x, Layout view, string name)
    {
        var y = Tensor.Create(x.Storage, view);
        return Autograd.Record(new Reshape { _x = x.Shape, _name = name }, y, x);
    }

    protected internal override Tensor?[] Backward(Tensor dy) => [dy.Reshape(_x.ToArray())];
}
