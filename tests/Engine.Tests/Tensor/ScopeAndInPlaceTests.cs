namespace Engine.Tests.Tensors;

/// <summary>Tensor.Scope releases temporaries (views keep their storage alive until the last one goes); in-place ops.</summary>
public class ScopeAndInPlaceTests
{
    [Fact]
    public void ScopeDisposesWhatWasMadeInsideAndKeepSurvives()
    {
        var outside = Tensor.Ones(3);
        Tensor temp, kept, view;
        using (Tensor.Scope())
        {
            temp = outside.Add(outside);
            kept = temp.Mul(2f).Keep();
            view = outside.Narrow(0, 0, 2);
        }
        Assert.True(temp.IsDisposed);
        Assert.True(view.IsDisposed);
        Assert.False(outside.IsDisposed);                 // a view's end does not free its base
        Assert.Equal([1f, 1, 1], outside.ToArray());
        Assert.Equal([4f, 4, 4], kept.ToArray());
        var e = Assert.Throws<ObjectDisposedException>(() => temp.ToArray());
        Assert.Contains("Keep", e.Message);
    }

    [Fact]
    public void StorageLivesUntilItsLastViewIsDisposed()
    {
        var x = Tensor.Arange(6);
        var r = x.Reshape(2, 3);
        var v = r.T;
        x.Dispose(); r.Dispose();
        Assert.False(v.Storage.IsDisposed);
        Assert.Equal([0f, 3, 1, 4, 2, 5], v.ToArray());
        v.Dispose();
        Assert.True(v.Storage.IsDisposed);
    }

    [Fact]
    public void NestedScopesAndMoveToOuterScope()
    {
        Tensor moved, inner;
        using (Tensor.Scope())
        {
            using (Tensor.Scope())
            {
                inner = Tensor.Ones(2);
                moved = Tensor.Zeros(2).MoveToOuterScope();
            }
            Assert.True(inner.IsDisposed);
            Assert.False(moved.IsDisposed);
            using (TensorScope.Suspend())
                inner = Tensor.Ones(2);                     // untracked
        }
        Assert.True(moved.IsDisposed);
        Assert.False(inner.IsDisposed);
        var outer = Tensor.Scope();
        var nested = Tensor.Scope();
        Assert.Throws<InvalidOperationException>(() => outer.Dispose());
        nested.Dispose();
        outer.Dispose();
    }

    [Fact]
    public void InPlaceOpsAndVersions()
    {
        var x = Tensor.FromArray([1f, 2, 3, 4], 2, 2);
        int v0 = x.Storage.Version;
        x.Mul_(Tensor.FromArray([2f, 10], 2, 1));
        Assert.Equal([2f, 4, 30, 40], x.ToArray());
        x.Affine_(0.5f, 1f);
        Assert.Equal([2f, 3, 16, 21], x.ToArray());
        x.Lerp_(Tensor.Ones(2, 2), 0.5f, 2f);
        Assert.Equal([3f, 3.5f, 10, 12.5f], x.ToArray());
        x.T.Copy_(Tensor.FromArray([7f, 8]));             // broadcast into a strided destination
        Assert.Equal([7f, 7, 8, 8], x.ToArray());
        x.Zero_();
        Assert.Equal([0f, 0, 0, 0], x.ToArray());
        Assert.Equal(v0 + 5, x.Storage.Version);           // every in-place op bumps the version once
        var e = Assert.Throws<InvalidOperationException>(() => Tensor.Ones(2).ToDType(DType.Int32).Add_(Tensor.Ones(2)));
        Assert.Contains("Float32", e.Message);
    }
}
