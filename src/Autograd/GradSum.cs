using Engine.Kernels.Ops;

namespace Engine;

/// <summary>
/// The elementwise pieces of gradient summation, done in the memory order of the buffers. Gradients are often
/// transposed views (the gradient of W^T handed back to W, or the other way round); the elementwise kernels walk
/// dims in logical order, so a transposed operand would be read element by element with a large stride. Permuting
/// every operand the same way (a view, no copy) so that the destination's strides decrease makes its runs unit-stride
/// and, when the source has the same layout, the source's too. Addition is elementwise, so the order changes nothing.
/// </summary>
internal static class GradSum
{
    /// <summary>dst += src (same shape; dst Float32 and writable), walked in dst's memory order.</summary>
    public static void AddInto(Tensor dst, Tensor src)
    {
        var order = MemoryOrder(dst.Layout);
        if (order == null) { dst.Backend.ZipInPlace(dst, src, new AddOp()); return; }
        using var d = Tensor.Create(dst.Storage, dst.Layout.Permute(order));
        using var s = Tensor.Create(src.Storage, src.Layout.Permute(order));
        dst.Backend.ZipInPlace(d, s, new AddOp());
    }

    /// <summary>
    /// A new Float32 tensor with t's values that nothing else shares. It keeps t's memory layout when t is dense
    /// (a permutation of a row-major layout, e.g. a transposed matrix) so that later sums into it stay unit-stride
    /// against gradients shaped like t; otherwise it is row-major.
    /// </summary>
    public static Tensor Copy(Tensor t)
    {
        var order = MemoryOrder(t.Layout);
        if (order == null || !t.Layout.Permute(order).IsContiguous || t.DType != DType.Float32) return t.Clone();   // Clone: row-major
        var inverse = new int[order.Length];
        for (int i = 0; i < order.Length; i++) inverse[order[i]] = i;
        var permuted = Layout.Contiguous(t.Layout.Permute(order).Shape);
        var copy = Tensor.Create(t.Backend.Allocate(DType.Float32, t.Numel, false), permuted.Permute(inverse));
        using var src = Tensor.Create(t.Storage, t.Layout.Permute(order));
        using var dst = Tensor.Create(copy.Storage, permuted);
        t.Backend.Copy(src, dst);
        return copy;
    }

    /// <summary>Whether t's elements fill a block of memory without gaps or overlaps, in some order of its dims.</summary>
    public static bool IsDense(Tensor t) => MemoryOrder(t.Layout) is int[] order ? t.Layout.Permute(order).IsContiguous : t.IsContiguous;

    /// <summary>
    /// The dims of l ordered by decreasing stride (size-1 dims, whose strides mean nothing, stay in place), or null
    /// when they already are in that order.
    /// </summary>
    private static int[]? MemoryOrder(Layout l)
    {
        int rank = l.Rank, prev = int.MaxValue;
        bool sorted = true;
        for (int d = 0; d < rank && sorted; d++)
        {
            if (l.Shape[d] == 1) continue;
            sorted = l.Strides[d] <= prev;
            prev = l.Strides[d];
        }
        if (sorted) return null;
        var big = new List<int>(rank);
        for (int d = 0; d < rank; d++) if (l.Shape[d] != 1) big.Add(d);
        var byStride = big.OrderByDescending(d => l.Strides[d]).ToArray();   // stable: ties keep logical order
        var order = new int[rank];
        for (int d = 0, k = 0; d < rank; d++) order[d] = l.Shape[d] == 1 ? d : byStride[k++];
        return order;
    }
}
