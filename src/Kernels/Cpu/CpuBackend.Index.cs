namespace Engine.Kernels.Cpu;

// Index ops. index tensors are Int32; every index is range-checked with a message naming the valid range.
public sealed partial class CpuBackend
{
    public Tensor IndexSelect(Tensor x, int dim, Tensor index)
    {
        var xf = AsF32(x, "index_select");
        var idx = index.ToIntArray();
        int n = x.Shape[dim];
        foreach (var i in idx) CheckIndex(i, n, "index_select", dim);
        var shape = x.Shape.ToArray(); shape[dim] = idx.Length;
        var y = New(Shape.Wrap(shape));
        if (dim == 0 && xf.IsContiguous)
        {
            int row = x.Numel / Math.Max(n, 1);
            var xs = F(xf); var ys = F(y);
            for (int i = 0; i < idx.Length; i++)
                Array.Copy(xs, xf.Layout.Offset + idx[i] * row, ys, i * row, row);
        }
        else
        {
            for (int i = 0; i < idx.Length; i++)
            {
                using var src = Tensor.Create(xf.Storage, xf.Layout.Narrow(dim, idx[i], 1));
                using var dst = Tensor.Create(y.Storage, y.Layout.Narrow(dim, i, 1));
                Copy(src, dst);
            }
        }
        DisposeIfTemp(xf, x);
        return y;
    }

    public void IndexAdd(Tensor dst, int dim, Tensor index, Tensor src)
    {
        CheckWritable(dst, "index_add");
        var sf = AsF32(src, "index_add");
        var idx = index.ToIntArray();
        int n = dst.Shape[dim];
        foreach (var i in idx) CheckIndex(i, n, "index_add", dim);
        if (sf.Shape[dim] != idx.Length) throw new ShapeException($"index_add: source has {sf.Shape[dim]} slices on dim {dim} but {idx.Length} indices were given");
        for (int i = 0; i < idx.Length; i++)
        {
            using var d = Tensor.Create(dst.Storage, dst.Layout.Narrow(dim, idx[i], 1));
            using var s = Tensor.Create(sf.Storage, sf.Layout.Narrow(dim, i, 1));
            ZipInPlace(d, s, new Ops.AddOp());
        }
        DisposeIfTemp(sf, src);
    }

    public Tensor Gather(Tensor x, int dim, Tensor index)
    {
        var xf = AsF32(x, "gather");
        ShapeChecks.Gather(x.Shape, index.Shape, dim, "gather");
        var idx = index.ToIntArray();
        var y = New(index.Shape);
        var xs = F(xf); var ys = F(y);
        var pos = new int[index.Rank];
        int n = x.Shape[dim];
        for (int flat = 0; flat < idx.Length; flat++)
        {
            int off = xf.Layout.Offset;
            for (int d = 0; d < pos.Length; d++)
            {
                int p = d == dim ? idx[flat] : pos[d];
                if (d == dim) CheckIndex(p, n, "gather", dim);
                off += p * xf.Layout.Strides[d];
            }
            ys[flat] = xs[off];
            Increment(pos, index.Shape);
        }
        DisposeIfTemp(xf, x);
        return y;
    }

    public void ScatterAdd(Tensor dst, int dim, Tensor index, Tensor src)
    {
        CheckWritable(dst, "scatter_add");
        var sf = AsF32(src, "scatter_add");
        ShapeChecks.Gather(dst.Shape, index.Shape, dim, "scatter_add");
        ShapeChecks.ScatterSource(index.Shape, src.Shape);
        var idx = index.ToIntArray();
        var ds = F(dst); var ss = F(sf);
        var pos = new int[index.Rank];
        int n = dst.Shape[dim];
        for (int flat = 0; flat < idx.Length; flat++)
        {
            int doff = dst.Layout.Offset, soff = sf.Layout.Offset;
            for (int d = 0; d < pos.Length; d++)
            {
                int p = d == dim ? idx[flat] : pos[d];
                if (d == dim) CheckIndex(p, n, "scatter_add", dim);
                doff += p * dst.Layout.Strides[d];
                soff += pos[d] * sf.Layout.Strides[d];
            }
            ds[doff] += ss[soff];
            Increment(pos, index.Shape);
        }
        DisposeIfTemp(sf, src);
    }

    internal static void CheckIndex(int i, int n, string op, int dim)
    {
        if ((uint)i >= (uint)n) throw new IndexOutOfRangeException($"{op}: index {i} is out of range [0, {n - 1}] for dim {dim} of size {n}");
    }

    internal static void Increment(int[] pos, Shape shape)
    {
        for (int d = pos.Length - 1; d >= 0; d--)
        {
            if (++pos[d] < shape[d]) return;
            pos[d] = 0;
        }
    }
}
