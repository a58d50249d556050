namespace Engine.Tests.Tensors;

/// <summary>cat/stack/split/chunk, index_select/gather/scatter_add/where, argmax/argmin.</summary>
public class JoinIndexTests
{
    private static Tensor Range(params int[] shape) => Tensor.Arange(Shape.Wrap(shape).Numel).Reshape(shape);

    [Fact]
    public void CatAndStack()
    {
        var a = Range(2, 2); var b = Range(1, 2).Add(10f);
        Assert.Equal([0f, 1, 2, 3, 10, 11], Tensor.Cat([a, b]).ToArray());
        Assert.Equal([3, 2], Tensor.Cat([a, b]).Shape.ToArray());
        Assert.Equal([0f, 1, 10, 11, 2, 3, 12, 13], Tensor.Cat([a, b.Expand(2, 2).Add(Range(2, 2).Mul(0f).Add(Tensor.FromArray([0f, 2], 2, 1)))], 1).ToArray());
        // strided inputs
        Assert.Equal([0f, 2, 1, 3, 0, 1, 2, 3], Tensor.Cat([a.T, a], 0).ToArray());
        var s = Tensor.Stack([a, a.Add(4f)], 1);
        Assert.Equal([2, 2, 2], s.Shape.ToArray());
        Assert.Equal([0f, 1, 4, 5, 2, 3, 6, 7], s.ToArray());
        Assert.Equal([2, 2, 2], Tensor.Stack([a, a], -1).Shape.ToArray());
        var e = Assert.Throws<ShapeException>(() => Tensor.Cat([Range(2, 3), Range(2, 4)], 0));
        Assert.Contains("[2,3]", e.Message.Replace(" ", ""));
        Assert.Contains("[2,4]", e.Message.Replace(" ", ""));
        Assert.Throws<ShapeException>(() => Tensor.Stack([Range(2), Range(3)]));
        Assert.ThrowsAny<ArgumentException>(() => Tensor.Cat([]));
    }

    [Fact]
    public void SplitAndChunkAreViews()
    {
        var x = Range(5, 2);
        var parts = x.Split(2);
        Assert.Equal([2, 2, 1], parts.Select(p => p.Shape[0]));
        Assert.All(parts, p => Assert.Same(x.Storage, p.Storage));
        Assert.Equal([8f, 9], parts[2].ToArray());
        var sized = x.Split([1, 4]);
        Assert.Equal([1, 4], sized.Select(p => p.Shape[0]));
        var e = Assert.Throws<ShapeException>(() => x.Split([1, 2]));
        Assert.Contains("sum to 3", e.Message);
        Assert.Equal([3, 3, 1], Range(7).Chunk(3).Select(p => p.Numel));
        Assert.Equal([2, 2, 1], Range(2, 5).Chunk(3, 1).Select(p => p.Shape[1]));
        Assert.Equal([0f, 1, 5, 6], Range(2, 5).Split(2, 1)[0].ToArray());
        Assert.Equal([2, 2, 1], Range(5).Chunk(4).Select(p => p.Numel));    // as torch.chunk: fewer chunks when they do not divide
        Assert.Single(Range(3).Chunk(1));
        var c0 = Assert.ThrowsAny<ArgumentException>(() => Range(3).Chunk(0));
        Assert.Contains("positive", c0.Message);
    }

    [Fact]
    public void IndexSelect()
    {
        var x = Range(4, 3);
        Assert.Equal([9f, 10, 11, 0, 1, 2, 9, 10, 11], x.IndexSelect(0, [3, 0, 3]).ToArray());
        Assert.Equal([2f, 0, 5, 3, 8, 6, 11, 9], x.IndexSelect(1, [2, 0]).ToArray());
        Assert.Equal([2f, 5, 8, 11], x.T.IndexSelect(0, [2]).ToArray());       // strided input
        var e = Assert.Throws<IndexOutOfRangeException>(() => x.IndexSelect(0, [4]));
        Assert.Contains("[0, 3]", e.Message);
        var e2 = Assert.ThrowsAny<ArgumentException>(() => x.IndexSelect(0, Tensor.FromArray([0f, 1])));
        Assert.Contains("Int32", e2.Message);
    }

    [Fact]
    public void GatherAndScatterAdd()
    {
        var x = Range(3, 4);
        var idx = Tensor.FromArray([0, 3, 1, 1, 2, 0], 3, 2);
        Assert.Equal([0f, 3, 5, 5, 10, 8], x.Gather(1, idx).ToArray());
        Assert.Equal([8f, 5, 2, 11], x.Gather(0, Tensor.FromArray([2, 1, 0, 2], 1, 4)).ToArray());
        var e = Assert.Throws<IndexOutOfRangeException>(() => x.Gather(1, Tensor.FromArray([4], 1, 1)));
        Assert.Contains("[0, 3]", e.Message);

        var z = Tensor.Zeros(2, 3);
        var y = z.ScatterAdd(1, Tensor.FromArray([0, 0, 2, 1, 1, 1], 2, 3), Range(2, 3).Add(1f));
        Assert.Equal([3f, 0, 3, 0, 15, 0], y.ToArray());          // duplicates add
        Assert.Equal([0f, 0, 0, 0, 0, 0], z.ToArray());           // out of place
    }

    [Fact]
    public void WhereAndComparisons()
    {
        var a = Tensor.FromArray([1f, 5, 3, float.NaN]);
        var b = Tensor.FromArray([2f, 5, 1, 0]);
        Assert.Equal([0f, 1, 0, 0], a.Eq(b).ToArray());
        Assert.Equal([1f, 0, 1, 1], a.Ne(b).ToArray());       // NaN != anything
        Assert.Equal([1f, 0, 0, 0], a.Lt(b).ToArray());
        Assert.Equal([1f, 1, 0, 0], a.Le(b).ToArray());
        Assert.Equal([0f, 0, 1, 0], a.Gt(b).ToArray());
        Assert.Equal([0f, 1, 1, 0], a.Ge(b).ToArray());
        Assert.Equal([0f, 1, 1, 0], a.Ge(3f).Add(a.Eq(5f)).Gt(0f).Mul(a.Ne(1f)).ToArray());
        Assert.Equal([2f, 5, 3, 0], Tensor.Where(a.Gt(b), a, b).ToArray() is var w ? [w[0], w[1], w[2], w[3]] : null);
        Assert.Equal([-1f, 7, 7, -1], Tensor.Where(Tensor.FromArray([0f, 1, 2, 0]), Tensor.Scalar(7), Tensor.Scalar(-1)).ToArray());
    }

    [Fact]
    public void ArgmaxArgmin()
    {
        var x = Tensor.FromArray([1f, 9, 9, -3, 4, 0, -3, 4], 2, 4);
        Assert.Equal([1, 0], x.Argmax(1).ToIntArray());              // first of the tied 9s; first of the tied 4s
        Assert.Equal([3, 2], x.Argmin(1).ToIntArray());
        Assert.Equal([1, 0, 0, 1], x.Argmax(0).ToIntArray());
        Assert.Equal([2, 1], x.Argmax(1, keepDim: true).Shape.ToArray());
        Assert.Equal(1, x.Argmax().ToIntArray()[0]);
        Assert.Equal(DType.Int32, x.Argmax(0).DType);
        Assert.Equal([1, 0], x.T.Argmax(0).ToIntArray());            // strided
        Assert.Equal(1, Tensor.FromArray([1f, float.NaN, 3]).Argmax(0).ToIntArray()[0]);   // NaN wins, as torch
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => x.Argmax(2));
        Assert.Contains("[-2, 1]", e.Message);
    }

    [Fact]
    public void ReductionsOverDims()
    {
        var x = Range(2, 3, 4);
        Assert.Equal(276f, x.Sum().Item());
        Assert.Equal([12, 14, 16, 18, 20, 22, 24, 26, 28, 30, 32, 34], x.Sum(0).ToArray().Select(v => (int)v));
        Assert.Equal([2, 1, 4], x.Sum(1, keepDim: true).Shape.ToArray());
        Assert.Equal([66f, 210], x.Sum([1, 2]).ToArray());
        Assert.Equal([3f, 7, 11, 15, 19, 23], x.Max(-1).ToArray());
        Assert.Equal([0f, 12], x.Min([1, 2]).ToArray());
        Assert.Equal(11.5f, x.Mean().Item());
        Assert.Equal(MathF.Sqrt(50f), x.Std().Item(), 4);               // var of 0..23 with Bessel = 50
        Assert.Equal([32f / 3, 32f / 3], x.Var([1], correction: 0).ToArray().Take(2));    // e.g. 0, 4, 8: squares 16 + 0 + 16
        // strided input
        Assert.Equal(x.Permute(2, 0, 1).Contiguous().Sum(1).ToArray(), x.Permute(2, 0, 1).Sum(1).ToArray());
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => x.Sum(3));
        Assert.Contains("[-3, 2]", e.Message);
        Assert.Contains("sum", e.Message);
    }
}
