using Engine.Tests.TestUtil;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;

namespace Engine.Tests.Tensors;

/// <summary>
/// FsCheck properties over random shapes (rank 0-4, sizes 1-4), permutations, slices and broadcasts.
/// Each property builds its case from FsCheck's inputs, so failures shrink toward small shapes.
/// </summary>
public class PropertyTests
{
    /// <summary>Sizes 1..4 from arbitrary ints, at most 4 dims.</summary>
    private static int[] Dims(int[] raw) => raw.Take(4).Select(d => 1 + (int)((uint)d % 4)).ToArray();

    private static Tensor Range(int[] shape) => Tensor.Arange(Shape.Wrap(shape).Numel).Add(1f).Reshape(shape);

    private static int[] Permutation(int n, int seed) => new Generator(seed).Permutation(n);

    [Property(MaxTest = 200)]
    public bool ViewOfPermuteEqualsMaterializedPermute(int[] raw, int seed)
    {
        using var _ = Tensor.Scope();
        var shape = Dims(raw);
        var x = Range(shape);
        var p = x.Permute(Permutation(shape.Length, seed));
        var materialized = p.Contiguous();
        // every element by naive index arithmetic, and any view that the strides allow reads the same values
        if (!Naive.Read(p).SequenceEqual(materialized.ToArray())) return false;
        var flat = p.Layout.TryView(Shape.Wrap([p.Numel]));
        if (flat != null && !Tensor.Create(p.Storage, flat).ToArray().SequenceEqual(materialized.ToArray())) return false;
        return p.Reshape(-1).ToArray().SequenceEqual(materialized.ToArray())
            && Shape.Wrap(materialized.Shape.ToArray()) == p.Shape;
    }

    [Property(MaxTest = 200)]
    public bool ReshapeRoundTrips(int[] raw, int seed)
    {
        using var _ = Tensor.Scope();
        var shape = Dims(raw);
        var x = Range(shape);
        var p = x.Permute(Permutation(shape.Length, seed));
        // a second shape with the same element count
        int n = p.Numel;
        int[] other = n % 2 == 0 ? [2, -1] : [1, n];
        var r = p.Reshape(other);
        var back = r.Reshape(p.Shape.ToArray());
        bool viewWhenPossible = p.Layout.TryView(r.Shape) == null || ReferenceEquals(r.Storage, p.Storage);
        return back.ToArray().SequenceEqual(p.ToArray()) && back.Shape == p.Shape && viewWhenPossible;
    }

    [Property(MaxTest = 200)]
    public bool BroadcastingAgreesWithExplicitExpansion(int[] raw, int mask, int drop)
    {
        using var _ = Tensor.Scope();
        var shape = Dims(raw);
        // b: a's shape with some dims set to 1 and some leading dims dropped
        var bShape = shape.Select((d, i) => ((mask >> i) & 1) == 1 ? 1 : d).Skip((int)((uint)drop % (shape.Length + 1))).ToArray();
        var a = Range(shape);
        var b = Range(bShape).Mul(0.5f).Sub(1f);
        var expanded = b.Expand(shape).Contiguous();
        return a.Mul(b).ToArray().SequenceEqual(a.Mul(expanded).ToArray())
            && b.Sub(a).ToArray().SequenceEqual(expanded.Sub(a).ToArray())
            && a.Add(b).Shape == a.Shape;
    }

    [Property(MaxTest = 200)]
    public bool CoalescedStridedCopiesEqualNaiveIndexArithmetic(int[] raw, int seed, int step, int start)
    {
        using var _ = Tensor.Scope();
        var shape = Dims(raw).Select(d => d + 2).ToArray();             // sizes 3..6 so that slices are non-trivial
        var x = Range(shape);
        if (shape.Length == 0) return x.Contiguous().ToArray().SequenceEqual(Naive.Read(x));
        var g = new Generator(seed);
        int dim = g.NextInt(shape.Length);
        var v = x.Slice(dim, (int)((uint)start % 2), shape[dim], 1 + (int)((uint)step % 3))
                 .Permute(Permutation(shape.Length, seed))
                 .Unsqueeze(g.NextInt(shape.Length + 1));
        var expandShape = v.Shape.ToArray();
        int one = Array.IndexOf(expandShape, 1);
        if (one >= 0) expandShape[one] = 2;
        v = v.Expand(expandShape);
        var naive = Naive.Read(v);
        // Download (ToArray), Copy (Contiguous), and an elementwise op over the strided operand
        var strided = Tensor.Zeros(Shape.Wrap(expandShape)).T_Like();   // a destination strided in every dim
        strided.Copy_(v);
        return v.ToArray().SequenceEqual(naive)
            && v.Contiguous().ToArray().SequenceEqual(naive)
            && v.Add(0f).ToArray().SequenceEqual(naive)
            && strided.ToArray().SequenceEqual(naive);
    }
}

internal static class StridedDestination
{
    /// <summary>A view with t's shape whose storage is laid out in reverse dim order (every dim strided).</summary>
    public static Tensor T_Like(this Tensor t)
    {
        var rev = t.Shape.ToArray().Reverse().ToArray();
        var perm = Enumerable.Range(0, t.Rank).Reverse().ToArray();
        return Tensor.Zeros(rev).Permute(perm);
    }
}
