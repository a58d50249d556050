namespace Engine.Tests.Autograd;

/// <summary>Accumulation, retained and freed graphs, Detach, NoGrad, explicit upstream gradients, in-place checks, scopes.</summary>
public class SemanticsTests
{
    private static Tensor Leaf(params float[] v) => Tensor.FromArray(v).RequiresGrad_();

    [Fact]
    public void TensorUsedTwiceAccumulatesBothPaths()
    {
        var x = Leaf(1, -2, 3);
        x.Mul(x).Add(x).Sum().Backward();                 // d/dx (x^2 + x) = 2x + 1
        Assert.Equal([3f, -3, 7], x.Grad!.ToArray());
        var y = Leaf(2);
        y.Add(y).Add(y).Sum().Backward();
        Assert.Equal([3f], y.Grad!.ToArray());
    }

    [Fact]
    public void GradientsAccumulateAcrossBackwardCallsUntilZeroGrad()
    {
        var x = Leaf(1, 2);
        x.Mul(3f).Sum().Backward();
        x.Mul(x).Sum().Backward();
        Assert.Equal([5f, 7], x.Grad!.ToArray());         // 3 + 2x
        x.ZeroGrad();
        Assert.Null(x.Grad);
        x.Mul(3f).Sum().Backward();
        Assert.Equal([3f, 3], x.Grad!.ToArray());
    }

    [Fact]
    public void LeavesNeverShareGradientMemory()
    {
        // Add's backward hands the same dy to both inputs; accumulating into one must not change the other.
        var x = Leaf(1, 1); var z = Leaf(1, 1);
        x.Add(z).Sum().Backward();
        Assert.NotSame(x.Grad!.Storage, z.Grad!.Storage);
        x.Mul(2f).Sum().Backward();
        Assert.Equal([3f, 3], x.Grad.ToArray());
        Assert.Equal([1f, 1], z.Grad.ToArray());

        // a user-given gradient is copied, not adopted
        var w = Leaf(0, 0, 0, 0);
        var g = Tensor.FromArray([1f, 2, 3, 4], 2, 2);
        w.Reshape(2, 2).Backward(g);
        g.Fill_(9f);
        Assert.Equal([1f, 2, 3, 4], w.Grad!.ToArray());
        var leafRoot = Leaf(5, 5);
        var g2 = Tensor.FromArray([1f, 1]);
        leafRoot.Backward(g2);
        g2.Fill_(7f);
        Assert.Equal([1f, 1], leafRoot.Grad!.ToArray());
    }

    [Fact]
    public void BackwardWithExplicitGradient()
    {
        var x = Tensor.FromArray([1f, 2, 3, 4], 2, 2).RequiresGrad_();
        var y = x.Mul(x);
        y.Backward(Tensor.FromArray([1f, 0, -1, 0.5f], 2, 2));
        Assert.Equal([2f, 0, -6, 4], x.Grad!.ToArray());
        var e = Assert.Throws<ShapeException>(() => x.Mul(2f).Backward(Tensor.Ones(4)));
        Assert.Contains("[4]", e.Message);
        Assert.Contains("[2,2]", e.Message);
        var e2 = Assert.Throws<ShapeException>(() => x.Mul(2f).Backward());
        Assert.Contains("one-element", e2.Message);
    }

    [Fact]
    public void SecondBackwardThroughAFreedGraphIsAClearError()
    {
        var x = Leaf(1, 2, 3);
        var loss = x.Exp().Sum();
        loss.Backward();
        var e = Assert.Throws<InvalidOperationException>(() => loss.Backward());
        Assert.Contains("already freed", e.Message);
        Assert.Contains("retainGraph", e.Message);
        Assert.Equal(x.Detach().Exp().ToArray(), x.Grad!.ToArray());   // d/dx sum(e^x) = e^x, unchanged by the failed call
    }

    [Fact]
    public void RetainGraphAllowsASecondBackward()
    {
        var x = Leaf(1, 2, 3);
        var loss = x.Exp().Mul(x).Sum();                  // d/dx = e^x (1 + x)
        loss.Backward(retainGraph: true);
        loss.Backward(retainGraph: true);
        var expected = new[] { 1f, 2, 3 }.Select(v => 2 * MathF.Exp(v) * (1 + v)).ToArray();
        TestUtil.Approx.Equal(expected, x.Grad!.ToArray(), 1e-6, 0, "two backwards");
        loss.Backward();                                  // frees
        Assert.Throws<InvalidOperationException>(() => loss.Backward());
    }

    [Fact]
    public void DetachCutsTheGraphButSharesData()
    {
        var x = Leaf(1, 2, 3);
        var d = x.Detach();
        Assert.Same(x.Storage, d.Storage);
        Assert.False(d.RequiresGrad);
        Assert.Null(d.GradFn);
        x.Mul(d).Sum().Backward();                       // d is a constant: grad = d, not 2x
        Assert.Equal([1f, 2, 3], x.Grad!.ToArray());
        var e = Assert.Throws<InvalidOperationException>(() => d.Exp().Sum().Backward());
        Assert.Contains("does not require grad", e.Message);
    }

    [Fact]
    public void NoGradRecordsNothing()
    {
        var x = Leaf(1, 2);
        Tensor y;
        using (Tensor.NoGrad())
        {
            using (Tensor.NoGrad()) { }
            Assert.False(Engine.Autograd.IsEnabled);     // the inner scope's end does not re-enable
            y = x.Mul(2f).Exp();
        }
        Assert.True(Engine.Autograd.IsEnabled);
        Assert.Null(y.GradFn);
        Assert.False(y.RequiresGrad);
        Assert.Throws<InvalidOperationException>(() => y.Sum().Backward());
        Assert.NotNull(x.Mul(2f).GradFn);               // recording resumes
        Assert.Null(x.Grad);
    }

    [Fact]
    public void OnlyLeavesKeepGradients()
    {
        var x = Leaf(1, 2);
        var h = x.Mul(2f);
        h.Sum().Backward();
        Assert.Null(h.Grad);
        Assert.False(h.IsLeaf);
        Assert.Throws<InvalidOperationException>(() => h.RequiresGrad = false);
        var c = Tensor.FromArray([1f, 1]);               // a constant input gets no gradient
        x.Mul(c).Sum().Backward();
        Assert.Null(c.Grad);
    }

    [Fact]
    public void InPlaceChangeOfASavedTensorIsDetected()
    {
        var x = Leaf(0.5f, -1);
        var s = x.Sigmoid();                              // sigmoid saves its output
        var loss = s.Mul(s).Sum();
        using (Tensor.NoGrad()) s.Add_(Tensor.Ones(2));
        var e = Assert.Throws<InvalidOperationException>(() => loss.Backward());
        Assert.Contains("modified in place", e.Message);

        // a constant saved by mul, changed where that is allowed (it takes no part in autograd)
        var w = Tensor.FromArray([2f, 3]);
        var y = x.Mul(w).Sum();
        w.Add_(Tensor.Ones(2));
        var e2 = Assert.Throws<InvalidOperationException>(() => y.Backward());
        Assert.Contains("Mul", e2.Message);
        Assert.Contains("modified in place", e2.Message);
    }

    [Fact]
    public void InPlaceOnATrackedTensorIsRefusedOutsideNoGrad()
    {
        var x = Leaf(1, 2);
        var e = Assert.Throws<InvalidOperationException>(() => x.Add_(Tensor.Ones(2)));
        Assert.Contains("add_", e.Message);
        Assert.Contains("NoGrad", e.Message);
        Assert.Throws<InvalidOperationException>(() => x.Mul(2f).Fill_(0));
        using (Tensor.NoGrad()) x.Add_(Tensor.Ones(2), alpha: 0.5f);
        Assert.Equal([1.5f, 2.5f], x.ToArray());
    }

    [Fact]
    public void BackwardAfterTheScopeFreedSavedTensorsIsAClearError()
    {
        var x = Leaf(1, 2);
        Tensor loss;
        using (Tensor.Scope())
        {
            loss = x.Exp().Mul(2f).Sum().Keep();          // the loss survives, exp's saved output does not
        }
        var e = Assert.Throws<InvalidOperationException>(() => loss.Backward());
        Assert.Contains("freed", e.Message);
        Assert.Contains("Scope", e.Message);

        Tensor gone;
        using (Tensor.Scope()) gone = x.Exp().Sum();
        var e2 = Assert.Throws<ObjectDisposedException>(() => gone.Backward());
        Assert.Contains("backward", e2.Message);
    }

    [Fact]
    public void GradientsOutliveTheStepScope()
    {
        var x = Leaf(1, 2);
        using (Tensor.Scope()) x.Exp().Sum().Backward();
        Assert.False(x.Grad!.IsDisposed);
        Assert.Equal(x.Detach().Exp().ToArray(), x.Grad.ToArray());
        Assert.False(x.IsDisposed);                       // made outside the scope
    }

    [Fact]
    public void DeepGraphsDoNotOverflowTheStack()
    {
        var x = Leaf(0);
        var y = x;
        for (int i = 0; i < 20000; i++) y = y.Add(1f);
        y.Sum().Backward();
        Assert.Equal([1f], x.Grad!.ToArray());
    }

    [Fact]
    public void GradientFlowsThroughViewsIntoTheBase()
    {
        var x = Tensor.Zeros(3, 4).RequiresGrad_();
        x.T.Narrow(0, 1, 2).Mul(Tensor.FromArray([1f, 2, 3], 1, 3)).Sum().Backward();
        Assert.Equal([0f, 1, 1, 0, 0, 2, 2, 0, 0, 3, 3, 0], x.Grad!.ToArray());
        var g = Tensor.Zeros(2, 3).RequiresGrad_();
        g.Unsqueeze(0).Expand(4, 2, 3).Sum().Backward();
        Assert.All(g.Grad!.ToArray(), v => Assert.Equal(4f, v));
    }
}
