namespace Engine.Functions;

// y = sum of x over dims        dx = dy broadcast back over the reduced dims
internal sealed class Sum : Function
{
    private Shape _x;
    private int[] _dims = [];
    private bool _keep;

    public static Tensor Forward(Tensor x, int[] dims, bool keepDim)
    {
        var y = x.Backend.Reduce(ReduceKind.Sum, x, dims, keepDim);
        return Autograd.Record(new Sum { _x = x.Shape, _dims = dims, _keep = keepDim }, y, x);
    }

    protected internal override Tensor?[] Backward(Tensor dy) => [Reduction.Unreduce(dy, _x, _dims, _keep).Expand(_x.ToArray())];
}
