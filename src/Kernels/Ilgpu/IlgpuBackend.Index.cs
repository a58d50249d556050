using ILGPU;
using ILGPU.Runtime;

namespace Engine.Kernels.Ilgpu;

// Index ops. Indices are validated on the host first (a small download: labels and token ids), so
// a bad index is an exception naming the valid range rather than a silent out-of-bounds read.
public sealed partial class IlgpuBackend
{
    public Tensor IndexSelect(Tensor x, int dim, Tensor index)
    {
        var xc = ContiguousF32(x, "index_select");
        var ic = ContiguousI32(index, "index_select");
        int n = x.Shape[dim], m = index.Numel;
        CheckIndices(ic, n, "index_select", dim);
        var shape = x.Shape.ToArray(); shape[dim] = m;
        var y = New(Shape.Wrap(shape));
        int inner = 1; for (int d = dim + 1; d < x.Rank; d++) inner *= x.Shape[d];
        var k = Kernel("index.select", a => a.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<int>, ArrayView<float>, int, int, int>(IndexKernels.Select));
        if (y.Numel > 0) k(y.Numel, Data(xc), Ints(ic), F(y), n, m, inner);
        DisposeIfTemp(xc, x); DisposeIfTemp(ic, index);
        return y;
    }

    public void IndexAdd(Tensor dst, int dim, Tensor index, Tensor src)
    {
        CheckWritable(dst, "index_add");
        var ic = ContiguousI32(index, "index_add");
        int n = dst.Shape[dim], m = index.Numel;
        if (src.Shape[dim] != m) throw new ShapeException($"index_add: source has {src.Shape[dim]} slices on dim {dim} but {m} indices were given");
        CheckIndices(ic, n, "index_add", dim);
        var sc = ContiguousF32(src, "index_add");
        var target = dst.IsContiguous ? dst : Convert(dst, DType.Float32);
        int inner = 1; for (int d = dim + 1; d < dst.Rank; d++) inner *= dst.Shape[d];
        var k = Kernel("index.add", a => a.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<int>, ArrayView<float>, int, int, int>(IndexKernels.AddAt));
        if (src.Numel > 0) k(src.Numel, Data(sc), Ints(ic), Data(target), n, m, inner);
        if (!ReferenceEquals(target, dst)) { Copy(target, dst); target.Dispose(); }
        dst.Storage.BumpVersion();
        DisposeIfTemp(sc, src); DisposeIfTemp(ic, index);
    }

    public Tensor Gather(Tensor x, int dim, Tensor index)
    {
        var xf = AsF32(x, "gather");
        ShapeChecks.Gather(x.Shape, index.Shape, dim, "gather");
        var ic = ContiguousI32(index, "gather");
        CheckIndices(ic, x.Shape[dim], "gather", dim);
        var y = New(index.Shape);
        var k = Kernel("index.gather", a => a.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<int>, ArrayView<float>, Geo, Operand, int>(IndexKernels.Gather));
        var xs = (int[])xf.Layout.Strides.Clone(); int sdim = xs[dim]; xs[dim] = 0;
        if (y.Numel > 0) k(y.Numel, F(xf), Ints(ic), F(y), Geo.Of(index.Shape.AsSpan()), Operand.Of(xf.Layout.Offset, xs), sdim);
        DisposeIfTemp(xf, x); DisposeIfTemp(ic, index);
        return y;
    }

    public void ScatterAdd(Tensor dst, int dim, Tensor index, Tensor src)
    {
        CheckWritable(dst, "scatter_add");
        var sf = AsF32(src, "scatter_add");
        ShapeChecks.Gather(dst.Shape, index.Shape, dim, "scatter_add");
        ShapeChecks.ScatterSource(index.Shape, src.Shape);
        var ic = ContiguousI32(index, "scatter_add");
        CheckIndices(ic, dst.Shape[dim], "scatter_add", dim);
        var k = Kernel("index.scatter_add", a => a.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<int>, ArrayView<float>, Geo, Operand, Operand, int>(IndexKernels.ScatterAdd));
        var ds = (int[])dst.Layout.Strides.Clone(); int sdim = ds[dim]; ds[dim] = 0;
        if (index.Numel > 0)
            k(index.Numel, F(sf), Ints(ic), F(dst), Geo.Of(index.Shape.AsSpan()), Operand.Of(sf.Layout.Offset, sf.Layout.Strides), Operand.Of(dst.Layout.Offset, ds), sdim);
        dst.Storage.BumpVersion();
        DisposeIfTemp(sf, src); DisposeIfTemp(ic, index);
    }

    private static ArrayView<int> Ints(Tensor contiguous) => I(contiguous).SubView(contiguous.Layout.Offset, contiguous.Numel);

    /// <summary>Every index in [0, n): downloads the (small) index tensor and checks it on the host.</summary>
    private void CheckIndices(Tensor index, int n, string op, int dim)
    {
        if (index.Numel == 0) return;
        var v = new int[index.Numel];
        Download(index, v);
        foreach (var i in v)
            if ((uint)i >= (uint)n) throw new IndexOutOfRangeException($"{op}: index {i} is out of range [0, {n - 1}] for dim {dim} of size {n}");
    }
}
