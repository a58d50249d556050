namespace Engine.Functions;

/// <summary>Helpers shared by the reduction ops and by broadcasting backward passes.</summary>
internal static class Reduction
{
    /// <summary>
    /// Sums a broadcast gradient back to the shape of the input it came from: over the leading
    /// dims the input did not have and over dims where the input had size 1.
    /// </summary>
    public static Tensor SumTo(Tensor g, Shape shape)
    {
        if (g.Shape == shape) return g;
        int lead = g.Rank - shape.Rank;
        var dims = new List<int>();
        for (int d = 0; d < g.Rank; d++)
            if (d < lead || (shape[d - lead] == 1 && g.Shape[d] != 1)) dims.Add(d);
        var s = dims.Count == 0 ? g : Sum.Forward(g, dims.ToArray(), keepDim: true);
        return s.Shape == shape ? s : s.Reshape(shape.ToArray());
    }

    /// <summary>Normalizes and de-duplicates dims; empty means all dims.</summary>
    public static int[] Dims(Tensor x, int[]? dims, string op)
    {
        if (dims == null || dims.Length == 0) return Enumerable.Range(0, x.Rank).ToArray();
        var set = new SortedSet<int>();
        foreach (var d in dims)
            if (!set.Add(x.Shape.Dim(d, op))) throw new ArgumentException($"{op}: dim {d} appears twice in the list of dims");
        return set.ToArray();
    }

    /// <summary>dy of a reduction, reshaped to keep the reduced dims as size 1 so it broadcasts over x.</summary>
    public static Tensor Unreduce(Tensor dy, Shape xShape, int[] dims, bool keepDim)
    {
        if (keepDim) return dy;
        var shape = xShape.ToArray();
        foreach (var d in dims) shape[d] = 1;
        return dy.Reshape(shape);
    }
}
