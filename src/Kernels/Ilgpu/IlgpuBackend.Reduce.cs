using ILGPU;
using ILGPU.Runtime;

namespace Engine.Kernels.Ilgpu;

// Reductions: the reduced dims are permuted last and the tensor made contiguous ([rows, n]),
// then one thread group reduces each row (ReduceKernels), or one thread each for short rows (RowKernels). Kept dims stay in their order, so the
// rows come out in the output's row-major order.
public sealed partial class IlgpuBackend
{
    public Tensor Reduce(ReduceKind kind, Tensor x, int[] dims, bool keepDim)
    {
        CheckDevice(x, "reduce");
        int rank = x.Rank;
        var reduced = new bool[rank];
        foreach (var d in dims) reduced[d] = true;
        var y = New(ShapeChecks.Reduced(x.Shape, dims, keepDim));
        int rows = y.Numel, n = rows == 0 ? 0 : x.Numel / rows;
        if (rows == 0) return y;
        if (n == 0) { Fill(y, kind == ReduceKind.Sum ? 0f : kind == ReduceKind.Max ? float.NegativeInfinity : float.PositiveInfinity); return y; }
        var perm = Enumerable.Range(0, rank).Where(d => !reduced[d]).Concat(Enumerable.Range(0, rank).Where(d => reduced[d])).ToArray();
        using var moved = Tensor.Create(x.Storage, x.Layout.Permute(perm));
        var xc = ContiguousF32(moved, "reduce");
        if (n <= RowKernels.MaxRow)
            Kernel("reduce.rows.thread", a => a.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, int, int>(RowKernels.Rows))(rows, Data(xc), F(y), n, (int)kind);
        else
            Kernel("reduce.rows", a => a.LoadStreamKernel<ArrayView<float>, ArrayView<float>, int, int>(ReduceKernels.Rows))(RowConfig(rows, n), Data(xc), F(y), n, (int)kind);
        DisposeIfTemp(xc, moved);
        return y;
    }

    public Tensor ArgReduce(bool max, Tensor x, int dim, bool keepDim)
    {
        CheckDevice(x, "argmax");
        var perm = Enumerable.Range(0, x.Rank).Where(d => d != dim).Append(dim).ToArray();
        using var moved = Tensor.Create(x.Storage, x.Layout.Permute(perm));
        var outShape = new List<int>();
        for (int d = 0; d < x.Rank; d++) if (d != dim) outShape.Add(x.Shape[d]); else if (keepDim) outShape.Add(1);
        var y = New(Shape.Wrap(outShape.ToArray()), dtype: DType.Int32);
        int n = x.Rank == 0 ? 1 : x.Shape[dim], rows = n == 0 ? 0 : x.Numel / n;
        if (rows == 0) return y;
        var xc = ContiguousF32(moved, "argmax");
        if (n <= RowKernels.MaxRow)
            Kernel("reduce.arg.thread", a => a.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<int>, int, int>(RowKernels.ArgRows))(rows, Data(xc), I(y), n, max ? 1 : 0);
        else
            Kernel("reduce.arg", a => a.LoadStreamKernel<ArrayView<float>, ArrayView<int>, int, int>(ReduceKernels.ArgRows))(RowConfig(rows, n), Data(xc), I(y), n, max ? 1 : 0);
        DisposeIfTemp(xc, moved);
        return y;
    }

    public Tensor Softmax(Tensor x, int dim, bool log)
    {
        CheckDevice(x, "softmax");
        var perm = Enumerable.Range(0, x.Rank).Where(d => d != dim).Append(dim).ToArray();
        using var moved = Tensor.Create(x.Storage, x.Layout.Permute(perm));
        int n = x.Rank == 0 ? 1 : x.Shape[dim], rows = n == 0 ? 0 : x.Numel / n;
        var y = New(moved.Shape);
        if (rows == 0) return y;
        var xc = ContiguousF32(moved, "softmax");
        if (n <= RowKernels.MaxRow)
            Kernel("softmax.thread", a => a.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, int, int>(RowKernels.Softmax))(rows, Data(xc), F(y), n, log ? 1 : 0);
        else
            Kernel("softmax", a => a.LoadStreamKernel<ArrayView<float>, ArrayView<float>, int, int>(ReduceKernels.Softmax))(RowConfig(rows, n), Data(xc), F(y), n, log ? 1 : 0);
        DisposeIfTemp(xc, moved);
        if (dim == x.Rank - 1 || x.Rank == 0) return y;
        var inv = new int[perm.Length];
        for (int i = 0; i < perm.Length; i++) inv[perm[i]] = i;
        using var back = Tensor.Create(y.Storage, y.Layout.Permute(inv));
        var o = New(x.Shape);
        Copy(back, o);
        y.Dispose();
        return o;
    }

    /// <summary>One group per row; the group is the smallest power of two covering the row, from 32 to the device's limit.</summary>
    internal KernelConfig RowConfig(int rows, int n)
    {
        int limit = Math.Min(ReduceKernels.MaxGroup, RowGroupLimit), g = Math.Min(32, limit);
        while (g < n && g < limit) g *= 2;
        return new KernelConfig(new Index1D(rows), new Index1D(Math.Min(g, limit)));
    }
}
