namespace Engine.Functions;

// y = slices of x along dim at the given indices        dx = zeros, with dy's slices added back at the indices
internal sealed class IndexSelect : Function
{
    private Shape _x;
    private int _dim;
    private Tensor _index = null!;

    public static Tensor Forward(Tensor x, int dim, Tensor index)
    {
        dim = x.Shape.Dim(dim, "index_select");
        Check.Index1D(index, "index_select");
        Check.SameDevice(x, index, "index_select");
        if (x.DType == DType.Int32) return SelectInts(x, dim, index);   // labels keep their dtype, as in PyTorch
        var y = x.Backend.IndexSelect(x, dim, index);
        if (!Autograd.Needed(x)) return y;
        var fn = new IndexSelect { _x = x.Shape, _dim = dim };
        fn._index = fn.Save(index);
        return Autograd.Record(fn, y, x);
    }

    // Int32 tensors (labels, token ids) have no gradient and are small: gathered on the host, exactly (a float
    // round trip would round ids above 2^24), and uploaded to x's device. y[o, i, r] = x[o, index[i], r].
    private static Tensor SelectInts(Tensor x, int dim, Tensor index)
    {
        var xs = x.ToIntArray();
        var idx = index.ToIntArray();
        int n = x.Shape[dim], outer = 1, inner = 1;
        for (int d = 0; d < dim; d++) outer *= x.Shape[d];
        for (int d = dim + 1; d < x.Shape.Rank; d++) inner *= x.Shape[d];
        foreach (var i in idx)
            if ((uint)i >= (uint)n) throw new IndexOutOfRangeException($"index_select: index {i} is out of range [0, {n - 1}] for dim {dim} of size {n}");
        var ys = new int[outer * idx.Length * inner];
        for (int o = 0; o < outer; o++)
            for (int i = 0; i < idx.Length; i++)
                Array.Copy(xs, (o * n + idx[i]) * inner, ys, (o * idx.Length + i) * inner, inner);
        var shape = x.Shape.ToArray(); shape[dim] = idx.Length;
        return Tensor.Create(x.Backend.Upload(ys), Layout.Contiguous(Shape.Wrap(shape)));
    }

    protected internal override Tensor?[] Backward(Tensor dy)
    {
        var dx = Tensor.Zeros(_x, dy.Device);
        dy.Backend.IndexAdd(dx, _dim, _index, dy);
        return [dx];
    }

    internal override bool AddsGradInto => true;

    protected internal override void AddGradInto(Tensor dy, Tensor target) => dy.Backend.IndexAdd(target, _dim, _index, dy);
}
