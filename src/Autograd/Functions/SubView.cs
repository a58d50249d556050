namespace Engine.Functions;

// y = a region of x (narrow, slice with step, select)        dx = zeros(x.shape) with dy written into the same region
internal sealed class SubView : Function
{
    private Shape _x;
    private Func<Layout, Layout> _region = null!;
    private string _name = "Slice";
    public override string Name => _name;

    public static Tensor Forward(Tensor x, Func<Layout, Layout> region, string name)
    {
        var y = Tensor.Create(x.Storage, region(x.Layout));
        return Autograd.Record(new SubView { _x = x.Shape, _region = region, _name = name }, y, x);
    }

    protected internal override Tensor?[] Backward(Tensor dy)
    {
        var dx = Tensor.Zeros(_x, dy.Device);
        using var part = Tensor.Create(dx.Storage, _region(dx.Layout));
        dy.Backend.Copy(dy, part);
        return [dx];
    }
}
