using System.Numerics.Tensors;

namespace Engine.Kernels.Cpu;

// Reductions. The input is made contiguous and its dims grouped into alternating blocks of kept
// and reduced dims; the innermost block is either reduced over a contiguous span
// (TensorPrimitives.Sum/Max/Min) or kept, in which case whole rows are combined with Vector256.
public sealed partial class CpuBackend
{
    /// <summary>Columns per task when the leading dim of a [R, C] tensor is reduced (a multiple of every SIMD width).</summary>
    private const int ColumnSlice = 128;

    public Tensor Reduce(ReduceKind kind, Tensor x, int[] dims, bool keepDim)
    {
        var xc = ContiguousF32(x, "reduce");
        int rank = x.Rank;
        var reduced = new bool[rank];
        foreach (var d in dims) reduced[d] = true;
        var y = New(ShapeChecks.Reduced(x.Shape, dims, keepDim));
        float init = kind switch { ReduceKind.Sum => 0f, ReduceKind.Max => float.NegativeInfinity, _ => float.PositiveInfinity };
        var ys = F(y);
        Array.Fill(ys, init, 0, y.Numel);
        if (x.Numel == 0) { DisposeIfTemp(xc, x); return y; }

        // Blocks of (size, reduced?) over dims of size > 1.
        var bs = new List<(int size, bool red)>();
        for (int d = 0; d < rank; d++)
        {
            if (x.Shape[d] == 1) continue;
            if (bs.Count > 0 && bs[^1].red == reduced[d]) bs[^1] = (bs[^1].size * x.Shape[d], reduced[d]);
            else bs.Add((x.Shape[d], reduced[d]));
        }
        var xs = F(xc);
        int xo0 = xc.Layout.Offset;
        if (bs.Count == 0) { ys[0] = xs[xo0]; DisposeIfTemp(xc, x); return y; }

        int inner = bs[^1].size; bool innerRed = bs[^1].red;
        int outer = x.Numel / inner;
        // out stride of each outer block (kept blocks only), row-major over kept blocks.
        var outStride = new int[bs.Count];
        int acc = innerRed ? 1 : inner;
        for (int k = bs.Count - 2; k >= 0; k--) { if (!bs[k].red) { outStride[k] = acc; acc *= bs[k].size; } }

        void Rows(int r0, int r1)
        {
            for (int r = r0; r < r1; r++)
            {
                int rem = r, yo = 0;
                for (int k = bs.Count - 2; k >= 0; k--) { int i = rem % bs[k].size; rem /= bs[k].size; yo += i * outStride[k]; }
                var row = new ReadOnlySpan<float>(xs, xo0 + r * inner, inner);
                if (innerRed)
                {
                    float v = kind switch { ReduceKind.Sum => TensorPrimitives.Sum(row), ReduceKind.Max => TensorPrimitives.Max(row), _ => TensorPrimitives.Min(row) };
                    ys[yo] = kind switch { ReduceKind.Sum => ys[yo] + v, ReduceKind.Max => Math.Max(ys[yo], v), _ => Math.Min(ys[yo], v) };
                }
                else
                {
                    var dst = new Span<float>(ys, yo, inner);
                    switch (kind)
                    {
                        case ReduceKind.Sum: TensorPrimitives.Add(dst, row, dst); break;
                        case ReduceKind.Max: TensorPrimitives.Max(dst, row, dst); break;
                        default: TensorPrimitives.Min(dst, row, dst); break;
                    }
                }
            }
        }

        // Rows that write disjoint outputs can run in parallel: split on the first block when it is kept.
        if (!bs[0].red && bs.Count > 1 && (long)x.Numel >= Par.MinParallelElements)
        {
            int perFirst = outer / bs[0].size;
            Par.For(bs[0].size, x.Numel, (f0, f1) => Rows(f0 * perFirst, f1 * perFirst));
        }
        else if (innerRed && bs.Count == 2 && !bs[0].red)
            Par.For(outer, x.Numel, Rows);
        else if (!innerRed && bs.Count == 2 && bs[0].red && inner >= 2 * ColumnSlice && (long)x.Numel >= Par.MinParallelElements)
        {
            // [R, C] summed over R (a bias gradient: dy [N*L, C] to [C]): each task folds every row into its own slice of
            // columns, so every output element sees the rows in the same order as the serial loop (same bits).
            int slices = (inner + ColumnSlice - 1) / ColumnSlice;
            Par.For(slices, x.Numel, (s0, s1) =>
            {
                int c0 = s0 * ColumnSlice, c1 = Math.Min(inner, s1 * ColumnSlice);
                var dst = new Span<float>(ys, c0, c1 - c0);
                for (int r = 0; r < outer; r++)
                {
                    var row = new ReadOnlySpan<float>(xs, xo0 + r * inner + c0, c1 - c0);
                    switch (kind)
                    {
                        case ReduceKind.Sum: TensorPrimitives.Add(dst, row, dst); break;
                        case ReduceKind.Max: TensorPrimitives.Max(dst, row, dst); break;
                        default: TensorPrimitives.Min(dst, row, dst); break;
                    }
                }
            });
        }
        else Rows(0, outer);
        DisposeIfTemp(xc, x);
        return y;
    }

    public Tensor ArgReduce(bool max, Tensor x, int dim, bool keepDim)
    {
        // Move dim last, make contiguous, scan each row.
        var perm = Enumerable.Range(0, x.Rank).Where(d => d != dim).Append(dim).ToArray();
        using var moved = Tensor.Create(x.Storage, x.Layout.Permute(perm));
        var xc = ContiguousF32(moved, "argmax");
        int n = x.Shape[dim], rows = n == 0 ? 0 : x.Numel / n;
        var outShape = new List<int>();
        for (int d = 0; d < x.Rank; d++) if (d != dim) outShape.Add(x.Shape[d]); else if (keepDim) outShape.Add(1);
        var y = New(Shape.Wrap(outShape.ToArray()), dtype: DType.Int32);
        var xs = F(xc); var ys = I(y); int off = xc.Layout.Offset;
        for (int r = 0; r < rows; r++)
        {
            int best = 0; float bv = xs[off + r * n];
            for (int i = 1; i < n; i++)
            {
                float v = xs[off + r * n + i];
                if (max ? v > bv || (float.IsNaN(v) && !float.IsNaN(bv)) : v < bv || (float.IsNaN(v) && !float.IsNaN(bv))) { bv = v; best = i; }
            }
            ys[r] = best;
        }
        DisposeIfTemp(xc, moved);
        return y;
    }

    public Tensor Softmax(Tensor x, int dim, bool log)
    {
        bool last = dim == x.Rank - 1;
        var perm = Enumerable.Range(0, x.Rank).Where(d => d != dim).Append(dim).ToArray();
        using var moved = Tensor.Create(x.Storage, x.Layout.Permute(perm));
        var xc = ContiguousF32(moved, "softmax");
        int n = x.Shape[dim], rows = n == 0 ? 0 : x.Numel / n;
        var y = New(moved.Shape);
        var xs = F(xc); var ys = F(y); int off = xc.Layout.Offset;
        Par.For(rows, x.Numel * 4L, (r0, r1) =>
        {
            for (int r = r0; r < r1; r++)
            {
                var src = new ReadOnlySpan<float>(xs, off + r * n, n);
                var dst = new Span<float>(ys, r * n, n);
                float m = TensorPrimitives.Max(src);
                if (float.IsNegativeInfinity(m)) m = 0;           // an all -inf row: avoid inf - inf
                TensorPrimitives.Subtract(src, m, dst);
                if (log)
                {
                    // log_softmax = (x - m) - log(sum(exp(x - m))): exp into dst to sum it, then dst rewritten from x.
                    TensorPrimitives.Exp(dst, dst);
                    float s = TensorPrimitives.Sum(dst);
                    TensorPrimitives.Subtract(src, m, dst);
                    TensorPrimitives.Subtract(dst, MathF.Log(s), dst);
                }
                else
                {
                    TensorPrimitives.Exp(dst, dst);
                    float s = TensorPrimitives.Sum(dst);
                    TensorPrimitives.Divide(dst, s, dst);
                }
            }
        });
        DisposeIfTemp(xc, moved);
        if (last) return y;
        // Permute back to the original dim order.
        var inv = new int[perm.Length];
        for (int i = 0; i < perm.Length; i++) inv[perm[i]] = i;
        using var back = Tensor.Create(y.Storage, y.Layout.Permute(inv));
        var o = New(x.Shape);
        Copy(back, o);
        y.Dispose();
        return o;
    }
}
