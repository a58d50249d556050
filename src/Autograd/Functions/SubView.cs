using Engine.Kernels.Ops;

namespace Engine.Functions;

// y = a region of x (narrow, slice with step, select)        dx = zeros(x.shape) with dy written into the same region
// Backprop prefers AddGradInto: the region of x's gradient sum += dy (no full-size zeros per slice).
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

    internal override bool AddsGradInto => true;

    protected internal override void AddGradInto(Tensor dy, Tensor target)
    {
        using var part = Tensor.Create(target.Storage, _region(target.Layout));
        target.Backend.ZipInPlace(part, dy, new AddOp());
    }
}
