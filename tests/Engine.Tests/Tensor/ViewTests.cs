using Engine.Tests.TestUtil;

namespace Engine.Tests.Tensors;

/// <summary>View ops never copy (same Storage object), follow PyTorch's stride rules, and read the right elements.</summary>
public class ViewTests
{
    private static Tensor Range(params int[] shape) => Tensor.Arange(Shape.Wrap(shape).Numel).Reshape(shape);

    private static void SharesStorage(Tensor a, Tensor b) => Assert.Same(a.Storage, b.Storage);

    [Fact]
    public void ViewOfContiguousShares()
    {
        var x = Range(2, 3, 4);
        var v = x.View(6, -1);
        SharesStorage(x, v);
        Assert.Equal([6, 4], v.Shape.ToArray());
        Assert.Equal(x.ToArray(), v.ToArray());
        Assert.Same(x, x.Reshape(2, 3, 4));          // same shape: the tensor itself
    }

    [Fact]
    public void ViewOfTransposeIsRefusedAndReshapeCopies()
    {
        var x = Range(3, 4);
        var t = x.T;                                     // [4,3] strides [1,4]
        SharesStorage(x, t);
        Assert.False(t.IsContiguous);
        var e = Assert.Throws<ShapeException>(() => t.View(12));
        Assert.Contains("view", e.Message);
        Assert.Contains("Reshape", e.Message);
        var r = t.Reshape(12);
        Assert.NotSame(x.Storage, r.Storage);
        Assert.Equal([0f, 4, 8, 1, 5, 9, 2, 6, 10, 3, 7, 11], r.ToArray());
    }

    [Fact]
    public void TryViewFollowsPyTorchStrideRules()
    {
        // permute(1,0,2) of [2,3,4]: shape [3,2,4], strides [4,12,1]. Dims 0,1 cannot merge; dim 2 can split.
        var p = Range(2, 3, 4).Permute(1, 0, 2);
        Assert.Equal([4, 12, 1], p.Layout.Strides);
        Assert.Null(p.Layout.TryView(Shape.Wrap([6, 4])));
        var split = p.View(3, 2, 2, 2);
        SharesStorage(p, split);
        Assert.Equal([4, 12, 2, 1], split.Layout.Strides);
        Assert.Equal(p.Contiguous().ToArray(), split.ToArray());
        var merged = p.View(3, 2, 4, 1);                 // adding a size-1 dim is always fine
        SharesStorage(p, merged);

        // narrow(1, 0, 3) of [4,6]: shape [4,3], strides [6,1]: rows cannot merge, but dim 0 can split.
        var n = Range(4, 6).Narrow(1, 0, 3);
        Assert.Null(n.Layout.TryView(Shape.Wrap([12])));
        var n2 = n.View(2, 2, 3);
        Assert.Equal([12, 6, 1], n2.Layout.Strides);
        Assert.Equal(n.Contiguous().ToArray(), n2.ToArray());

        // expanded [3,1] -> [3,4] (strides [1,0]): can split the broadcast dim, not merge it.
        var ex = Range(3, 1).Expand(3, 4);
        Assert.Null(ex.Layout.TryView(Shape.Wrap([12])));
        var ex2 = ex.View(3, 2, 2);
        Assert.Equal([1, 0, 0], ex2.Layout.Strides);
        Assert.Equal(ex.Contiguous().ToArray(), ex2.ToArray());
    }

    [Fact]
    public void ContiguousCopiesOnlyWhenNeeded()
    {
        var x = Range(4, 5);
        Assert.Same(x, x.Contiguous());
        var rows = x.Narrow(0, 1, 2);                    // whole rows: contiguous at an offset
        Assert.True(rows.IsContiguous);
        Assert.Same(rows, rows.Contiguous());
        Assert.Equal(5, rows.Layout.Offset);
        var cols = x.Narrow(1, 1, 2);
        Assert.False(cols.IsContiguous);
        var c = cols.Contiguous();
        Assert.NotSame(x.Storage, c.Storage);
        Assert.True(c.IsContiguous);
        Assert.Equal([1f, 2, 6, 7, 11, 12, 16, 17], c.ToArray());
        Assert.NotSame(x.Storage, x.Clone().Storage);   // Clone always copies
    }

    [Fact]
    public void PermuteAndTranspose()
    {
        var x = Range(2, 3, 4);
        var p = x.Permute(2, 0, 1);
        SharesStorage(x, p);
        Assert.Equal([4, 2, 3], p.Shape.ToArray());
        var v = p.ToArray();
        // p[k,i,j] = x[i,j,k] = 12 i + 4 j + k
        for (int k = 0; k < 4; k++) for (int i = 0; i < 2; i++) for (int j = 0; j < 3; j++)
            Assert.Equal(12 * i + 4 * j + k, v[k * 6 + i * 3 + j]);
        Assert.Equal(x.Transpose(0, 2).ToArray(), x.Permute(2, 1, 0).ToArray());
        Assert.Equal(x.Transpose(-1, 0).ToArray(), x.Transpose(0, 2).ToArray());
        var e = Assert.Throws<ShapeException>(() => x.Permute(0, 0, 1));
        Assert.Contains("repeated", e.Message);
        Assert.Throws<ShapeException>(() => x.Permute(0, 1));
    }

    [Fact]
    public void NarrowSliceSelect()
    {
        var x = Range(10);
        Assert.Equal([3f, 4, 5], x.Narrow(0, 3, 3).ToArray());
        Assert.Equal([7f, 8, 9], x.Narrow(0, -3, 3).ToArray());
        Assert.Equal([1f, 4, 7], x.Slice(0, 1, 8, 3).ToArray());
        Assert.Equal([1f, 4, 7], x.Slice(0, 1, 9, 3).ToArray());
        Assert.Equal([7f, 8, 9], x.Slice(0, -3, 100).ToArray());   // clamped like Python
        Assert.Equal(0, x.Slice(0, 5, 2).Numel);
        var s = x.Slice(0, 0, 10, 4);
        SharesStorage(x, s);
        Assert.Equal([4], s.Layout.Strides);

        var m = Range(3, 4);
        Assert.Equal([4f, 5, 6, 7], m.Select(0, 1).ToArray());
        Assert.Equal([3f, 7, 11], m.Select(1, -1).ToArray());
        Assert.Equal([3], m.Select(1, 0).Shape.ToArray());
        SharesStorage(m, m.Select(1, 2));
        Assert.Equal([2f, 10], m.Slice(0, 0, 3, 2).Select(1, 2).ToArray());
    }

    [Fact]
    public void ExpandSqueezeUnsqueezeFlatten()
    {
        var c = Range(3, 1);
        var e = c.Expand(2, 3, 4);
        SharesStorage(c, e);
        Assert.Equal([0, 1, 0], e.Layout.Strides);
        Assert.Equal([0f, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2], e.Select(0, 1).Contiguous().ToArray());
        Assert.Equal([3, 5], c.Expand(-1, 5).Shape.ToArray());
        Assert.Same(c, c.Expand(3, 1));

        var x = Range(2, 1, 3, 1);
        Assert.Equal([2, 3], x.Squeeze().Shape.ToArray());
        Assert.Equal([2, 3, 1], x.Squeeze(1).Shape.ToArray());
        Assert.Equal([2, 1, 3, 1], x.Squeeze(0).Shape.ToArray());    // size 2: left alone, as PyTorch
        Assert.Equal([2, 1, 3], x.Squeeze(-1).Shape.ToArray());
        Assert.Equal([1, 2, 1, 3, 1], x.Unsqueeze(0).Shape.ToArray());
        Assert.Equal([2, 1, 3, 1, 1], x.Unsqueeze(-1).Shape.ToArray());
        Assert.Equal([2, 1, 1, 3, 1], x.Unsqueeze(2).Shape.ToArray());
        SharesStorage(x, x.Squeeze());
        SharesStorage(x, x.Unsqueeze(1));

        // unsqueeze of a non-contiguous tensor keeps it a view with the right elements
        var t = Range(3, 4).T.Unsqueeze(1);
        Assert.Equal([4, 1, 3], t.Shape.ToArray());
        Assert.Equal(Range(3, 4).T.Contiguous().ToArray(), t.ToArray());

        var f = Range(2, 3, 4, 5);
        Assert.Equal([120], f.Flatten().Shape.ToArray());
        Assert.Equal([2, 12, 5], f.Flatten(1, 2).Shape.ToArray());
        Assert.Equal([2, 60], f.Flatten(1).Shape.ToArray());
        Assert.Equal([1], Tensor.Scalar(3).Flatten().Shape.ToArray());
        SharesStorage(f, f.Flatten(1, 2));
        Assert.Equal(f.Permute(0, 2, 1, 3).Contiguous().ToArray(), f.Permute(0, 2, 1, 3).Flatten(1, 2).ToArray());
    }

    [Fact]
    public void ViewsSeeWritesThroughTheSharedStorage()
    {
        var x = Tensor.Zeros(3, 4);
        var col = x.Select(1, 2);
        col.Fill_(5f);
        Assert.Equal([0f, 0, 5, 0, 0, 0, 5, 0, 0, 0, 5, 0], x.ToArray());
        x.T.Narrow(0, 0, 1).Add_(Tensor.Ones(1, 3));
        Assert.Equal([1f, 0, 5, 0, 1, 0, 5, 0, 1, 0, 5, 0], x.ToArray());
    }

    [Fact]
    public void ReadingAStridedViewMatchesNaiveIndexArithmetic()
    {
        var x = Range(4, 5, 6);
        foreach (var v in new[] { x.Permute(2, 0, 1), x.Slice(2, 1, 6, 2).Transpose(0, 1), x.Select(1, 3).Unsqueeze(0).Expand(2, 4, 6),
                     x.Narrow(0, 1, 2).Slice(1, 0, 5, 3).Permute(1, 2, 0) })
        {
            Approx.Equal(Naive.Read(v), v.ToArray(), 0, 0, $"ToArray of {v.Layout}");
            Approx.Equal(Naive.Read(v), v.Contiguous().ToArray(), 0, 0, $"Contiguous of {v.Layout}");
        }
    }
}
