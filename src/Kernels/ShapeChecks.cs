namespace Engine.Kernels;

/// <summary>Shape rules every backend enforces the same way (one place for the messages).</summary>
internal static class ShapeChecks
{
    /// <summary>The shape of a reduction over dims: reduced dims dropped, or kept as 1 with keepDim.</summary>
    public static Shape Reduced(Shape x, int[] dims, bool keepDim)
    {
        var reduced = new bool[x.Rank];
        foreach (var d in dims) reduced[d] = true;
        var outShape = new List<int>();
        for (int d = 0; d < x.Rank; d++)
            if (!reduced[d]) outShape.Add(x[d]);
            else if (keepDim) outShape.Add(1);
        return Shape.Wrap(outShape.ToArray());
    }

    /// <summary>The batched-matmul kernel contract: [B,M,K] x [B,K,N].</summary>
    public static void BatchedMatmul(Tensor a, Tensor b)
    {
        if (a.Rank != 3 || b.Rank != 3 || a.Shape[0] != b.Shape[0] || a.Shape[2] != b.Shape[1])
            throw new ShapeException($"matmul kernel: expects [B,M,K] x [B,K,N], got {a.Shape} x {b.Shape}");
    }

    /// <summary>gather / scatter_add: the index has x's rank and fits inside x except along dim.</summary>
    public static void Gather(Shape x, Shape index, int dim, string op)
    {
        if (x.Rank != index.Rank) throw new ShapeException($"{op}: index of shape {index} must have the same rank as the input {x}");
        for (int d = 0; d < x.Rank; d++)
            if (d != dim && index[d] > x[d])
                throw new ShapeException($"{op}: index shape {index} exceeds input shape {x} at dim {d}");
    }

    /// <summary>scatter_add: the source covers the index.</summary>
    public static void ScatterSource(Shape index, Shape src)
    {
        for (int d = 0; d < index.Rank; d++)
            if (index[d] > src[d])
                throw new ShapeException($"scatter_add: index shape {index} is larger than source shape {src} at dim {d}");
    }
}
