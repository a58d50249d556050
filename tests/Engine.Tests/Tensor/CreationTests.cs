// Namespace Engine.Tests.Tensors (not .Tensor, which would hide the Engine.Tensor type in every test namespace).
namespace Engine.Tests.Tensors;

// Seed.Everything reseeds the process-wide generator: run apart from tests that draw from it.
[Collection("Data.GlobalGenerator")]
public class CreationTests
{
    [Fact]
    public void ZerosOnesFull()
    {
        var z = Tensor.Zeros(2, 3);
        Assert.Equal([2, 3], z.Shape.ToArray());
        Assert.All(z.ToArray(), v => Assert.Equal(0f, v));
        Assert.All(Tensor.Ones(4).ToArray(), v => Assert.Equal(1f, v));
        var f = Tensor.Full(Shape.Wrap([3, 1, 2]), -2.5f);
        Assert.Equal(6, f.Numel);
        Assert.All(f.ToArray(), v => Assert.Equal(-2.5f, v));
        Assert.Equal(7f, Tensor.Scalar(7f).Item());
        Assert.Equal(0, Tensor.Scalar(7f).Rank);
        Assert.Equal(0, Tensor.Zeros(0, 3).Numel);
    }

    [Fact]
    public void ZerosReuseOfPooledMemoryIsStillZero()
    {
        // A pooled array handed back dirty must be cleared when zeros are asked for.
        var shape = Shape.Wrap([7, 13]);
        var dirty = Tensor.Full(shape, 3f);
        dirty.Dispose();
        Assert.All(Tensor.Zeros(shape).ToArray(), v => Assert.Equal(0f, v));
    }

    [Fact]
    public void Arange()
    {
        Assert.Equal([0f, 1, 2, 3, 4], Tensor.Arange(5).ToArray());
        Assert.Equal([2f, 2.5f, 3, 3.5f], Tensor.Arange(2, 4, 0.5f).ToArray());
        Assert.Equal([5f, 3, 1], Tensor.Arange(5, 0, -2).ToArray());
        Assert.Equal(10, Tensor.Arange(0, 1, 0.1f).Numel);   // as torch.arange(0, 1, 0.1)
        Assert.Equal(0, Tensor.Arange(3, 3).Numel);
        var e = Assert.ThrowsAny<ArgumentException>(() => Tensor.Arange(0, 5, -1));
        Assert.Contains("arange", e.Message);
    }

    [Fact]
    public void FromArrays()
    {
        var t = Tensor.FromArray([1f, 2, 3, 4, 5, 6], 2, 3);
        Assert.Equal([2, 3], t.Shape.ToArray());
        Assert.True(t.IsContiguous);
        Assert.Equal([1f, 2, 3, 4, 5, 6], t.ToArray());
        var m = Tensor.FromArray(new float[,] { { 1, 2 }, { 3, 4 }, { 5, 6 } });
        Assert.Equal([3, 2], m.Shape.ToArray());
        Assert.Equal([1f, 2, 3, 4, 5, 6], m.ToArray());
        Assert.Equal([3], Tensor.FromArray([1f, 2, 3]).Shape.ToArray());

        // the tensor holds a copy: changing the array afterwards does not change it
        var src = new[] { 1f, 2 };
        var c = Tensor.FromArray(src);
        src[0] = 9;
        Assert.Equal(1f, c.ToArray()[0]);

        var e = Assert.Throws<ShapeException>(() => Tensor.FromArray([1f, 2, 3], 2, 2));
        Assert.Contains("3 values", e.Message);
        Assert.Contains("[2,2]", e.Message.Replace(" ", ""));
    }

    [Fact]
    public void Int32Tensors()
    {
        var i = Tensor.FromArray([3, -1, 7, 0], 2, 2);
        Assert.Equal(DType.Int32, i.DType);
        Assert.Equal([3, -1, 7, 0], i.ToIntArray());
        Assert.Equal([3f, -1, 7, 0], i.ToArray());
        Assert.Equal([7, 0, 3, -1], i.Transpose(0, 1).Contiguous().ToIntArray() is var tc ? new[] { tc[1], tc[3], tc[0], tc[2] } : null);
        Assert.Equal([3, 7, -1, 0], i.Transpose(0, 1).ToIntArray());
        var f = i.ToDType(DType.Float32);
        Assert.Equal(DType.Float32, f.DType);
        Assert.Equal([3f, -1, 7, 0], f.ToArray());
        Assert.Equal([2, 0, 3], Tensor.FromArray([2.7f, -0.5f, 3.2f]).ToDType(DType.Int32).ToIntArray());   // truncation toward 0, as torch
        var e = Assert.Throws<InvalidOperationException>(() => i.RequiresGrad_());
        Assert.Contains("Int32", e.Message);
    }

    [Fact]
    public void RandomDrawsAreReproducibleUnderSeedEverything()
    {
        Seed.Everything(42);
        var a = (Tensor.Rand(3, 4).ToArray(), Tensor.Randn(5).ToArray(), Tensor.Randint(0, 10, Shape.Wrap([6])).ToIntArray());
        Seed.Everything(42);
        var b = (Tensor.Rand(3, 4).ToArray(), Tensor.Randn(5).ToArray(), Tensor.Randint(0, 10, Shape.Wrap([6])).ToIntArray());
        Assert.Equal(a.Item1, b.Item1);
        Assert.Equal(a.Item2, b.Item2);
        Assert.Equal(a.Item3, b.Item3);
        Seed.Everything(43);
        Assert.NotEqual(a.Item1, Tensor.Rand(3, 4).ToArray());
    }

    [Fact]
    public void RandomDistributions()
    {
        var g = new Generator(5);
        var u = Tensor.Rand(Shape.Wrap([20000]), g).ToArray();
        Assert.All(u, v => Assert.InRange(v, 0f, 0.99999994f));
        Assert.InRange(u.Average(), 0.49, 0.51);
        var n = Tensor.Randn(Shape.Wrap([20000]), g).ToArray();
        double mean = n.Average(), var = n.Select(v => (v - mean) * (v - mean)).Average();
        Assert.InRange(mean, -0.03, 0.03);
        Assert.InRange(var, 0.95, 1.05);
        var r = Tensor.Randint(-2, 3, Shape.Wrap([5000]), g).ToIntArray();
        Assert.All(r, v => Assert.InRange(v, -2, 2));
        Assert.Equal(5, r.Distinct().Count());
        Assert.ThrowsAny<ArgumentException>(() => Tensor.Randint(3, 3, Shape.Wrap([1])));
    }

    [Fact]
    public void ExplicitGeneratorDoesNotTouchTheDefault()
    {
        Seed.Everything(1);
        var expected = Tensor.Rand(4).ToArray();
        Seed.Everything(1);
        Tensor.Rand(Shape.Wrap([10]), new Generator(99));
        Assert.Equal(expected, Tensor.Rand(4).ToArray());
    }
}
