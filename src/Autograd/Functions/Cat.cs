namespace Engine.Functions;

// y = the inputs joined along dim        dx_i = dy narrowed to input i's slice
internal sealed class Cat : Function
{
    private int[] _sizes = [];
    private int _dim;

    public static Tensor Forward(IReadOnlyList<Tensor> xs, int dim)
    {
        if (xs.Count == 0) throw new ArgumentException("cat: needs at least one tensor");
        var first = xs[0];
        dim = first.Shape.Dim(dim, "cat");
        var shape = first.Shape.ToArray();
        int total = 0;
        foreach (var x in xs)
        {
            Check.SameDevice(first, x, "cat");
            if (x.Rank != first.Rank)
                throw new ShapeException($"cat: all tensors need the same rank; got {first.Shape} and {x.Shape}");
            for (int d = 0; d < x.Rank; d++)
                if (d != dim && x.Shape[d] != first.Shape[d])
                    throw new ShapeException($"cat: sizes must match except on dim {dim}; got {first.Shape} and {x.Shape} (dim {d} differs)");
            total += x.Shape[dim];
        }
        shape[dim] = total;
        var y = Tensor.Create(first.Backend.Allocate(first.DType, Shape.Wrap(shape).Numel, false), Layout.Contiguous(Shape.Wrap(shape)));
        int at = 0;
        foreach (var x in xs)
        {
            using var part = Tensor.Create(y.Storage, y.Layout.Narrow(dim, at, x.Shape[dim]));
            first.Backend.Copy(x, part);
            at += x.Shape[dim];
        }
        if (!Autograd.Needed(xs)) return y;
        return Autograd.Record(new Cat { _sizes = xs.Select(x => x.Shape[dim]).ToArray(), _dim = dim }, y, xs.ToArray());
    }

    protected internal override Tensor?[] Backward(Tensor dy)
    {
        var grads = new Tensor?[_sizes.Length];
        int at = 0;
        for (int i = 0; i < _sizes.Length; i++)
        {
            if (NeedsGrad(i)) grads[i] = dy.Narrow(_dim, at, _sizes[i]);
            at += _sizes[i];
        }
        return grads;
    }
}
