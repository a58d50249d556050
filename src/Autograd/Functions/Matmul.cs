namespace Engine.Functions;

// y[..., M, N] = a[..., M, K] @ b[..., K, N], batch dims broadcast
// da = sum_to(dy @ b^T)        db = sum_to(a^T @ dy)
internal sealed class Matmul : Function
{
    private Tensor _a = null!, _b = null!;

    public static Tensor Forward(Tensor a, Tensor b)
    {
        Check.SameDevice(a, b, "matmul");
        if (a.Rank < 2 || b.Rank < 2) throw new ShapeException($"matmul: expects tensors of rank >= 2 here, got {a.Shape} x {b.Shape}");
        int M = a.Shape[^2], K = a.Shape[^1], K2 = b.Shape[^2], N = b.Shape[^1];
        if (K != K2)
            throw new ShapeException($"matmul: {a.Shape} x {b.Shape}: inner dimensions {K} and {K2} differ");
        var y = Product(a, b, M, K, N);
        if (!Autograd.Needed(a, b)) return y;
        var fn = new Matmul();
        fn._a = fn.Save(a); fn._b = fn.Save(b);
        return Autograd.Record(fn, y, a, b);
    }

    /// <summary>Broadcasts the batch dims, runs the backend's [B,M,K]x[B,K,N] kernel and restores the batch shape.</summary>
    internal static Tensor Product(Tensor a, Tensor b, int M, int K, int N)
    {
        var batch = Shape.Broadcast(Shape.Wrap(a.Shape.ToArray()[..^2]), Shape.Wrap(b.Shape.ToArray()[..^2]), "matmul (batch dims)");
        int B = batch.Numel;
        var a3 = As3D(a, batch, M, K, B);
        var b3 = As3D(b, batch, K, N, B);
        var y3 = a.Backend.Matmul(a3, b3);
        a3.Dispose(); b3.Dispose();
        var shape = batch.ToArray().Concat([M, N]).ToArray();
        var y = Tensor.Create(y3.Storage, Layout.Contiguous(Shape.Wrap(shape)));
        y3.Dispose();
        return y;
    }

    private static Tensor As3D(Tensor t, Shape batch, int r, int c, int B)
    {
        var full = Shape.Wrap(batch.ToArray().Concat([r, c]).ToArray());
        var ex = t.Layout.Expand(full, "matmul");
        var view = ex.TryView(Shape.Wrap([B, r, c]));
        if (view != null) return Tensor.Create(t.Storage, view);
        // Batch dims that cannot merge: materialize (only for exotic broadcasts).
        using var e = Tensor.Create(t.Storage, ex);
        var copy = Tensor.Create(t.Backend.Allocate(t.DType, full.Numel, false), Layout.Contiguous(full));
        t.Backend.Copy(e, copy);
        var v = Tensor.Create(copy.Storage, Layout.Contiguous(Shape.Wrap([B, r, c])));
        copy.Dispose();
        return v;
    }

    protected internal override Tensor?[] Backward(Tensor dy)
    {
        int M = _a.Shape[^2], K = _a.Shape[^1], N = _b.Shape[^1];
        Tensor? da = null, db = null;
        if (NeedsGrad(0))
            da = IsTransposed(_a) && dy.Rank == 2
                ? Product(_b, dy.Transpose(-1, -2), K, N, M).Transpose(-1, -2)
                : Reduction.SumTo(Product(dy, _b.Transpose(-1, -2), M, N, K), _a.Shape);
        if (NeedsGrad(1))
            db = IsTransposed(_b) && dy.Rank == 2
                ? Product(dy.Transpose(-1, -2), _a, N, M, K).Transpose(-1, -2)
                : Reduction.SumTo(Product(_a.Transpose(-1, -2), dy, K, M, N), _b.Shape);
        return [da, db];
    }

    /// <summary>
    /// A 2-D operand that is the transpose of a row-major matrix (x.T of a weight: y = h @ W^T). Its gradient is then
    /// computed transposed, (dy^T a)^T instead of a^T dy (PyTorch does the same): the transposed view handed back through
    /// x.T's backward is W's own row-major layout, so W.Grad sums contiguous rows instead of a transposed, strided view.
    /// </summary>
    private static bool IsTransposed(Tensor t) =>
        t.Rank == 2 && t.Shape[0] > 1 && t.Shape[1] > 1 && t.Layout.Strides[0] == 1 && t.Layout.Strides[1] == t.Shape[0];
}
