namespace Engine.Tests.Optim;

public class OptimizerBehaviourTests
{
    public static IEnumerable<object[]> All() =>
        [["SGD"], ["Adam"], ["AdamW"], ["RMSprop"], ["AdaBound"], ["AMSBound"]];

    private static Optimizer Make(string kind, IEnumerable<Tensor> ps) => kind switch
    {
        "SGD" => new SGD(ps, lr: 0.1, momentum: 0.9, weightDecay: 0.01),
        "Adam" => new Adam(ps, weightDecay: 0.01, amsgrad: true),
        "AdamW" => new AdamW(ps),
        "RMSprop" => new RMSprop(ps, momentum: 0.9, centered: true, weightDecay: 0.01),
        "AdaBound" => new AdaBound(ps, weightDecay: 0.01),
        _ => new AMSBound(ps),
    };

    /// <summary>Steps run inside the training loop's scope; state made there must survive it, temporaries must not leak into it.</summary>
    [Theory]
    [MemberData(nameof(All))]
    public void StateSurvivesTheLoopScopeAndNothingLeaks(string kind)
    {
        var w = Tensor.FromArray([0.5f, -1f, 2f, 0.1f], 2, 2).RequiresGrad_().Keep();
        var opt = Make(kind, [w]);
        var target = Tensor.FromArray([1f, 1f, 1f, 1f], 2, 2).Keep();
        float first = 0, last = 0;
        for (int i = 0; i < 30; i++)
        {
            using var scope = Tensor.Scope();
            var loss = (w - target).Square().Sum();
            opt.ZeroGrad();
            loss.Backward();
            int before = scope.Count;
            opt.Step();
            Assert.Equal(before, scope.Count);       // the step's temporaries died in its own scope
            if (i == 0) first = loss.Item();
            last = loss.Item();
        }
        Assert.All(opt.State(w).Buffers.Values, t => Assert.False(t.IsDisposed));
        Assert.Equal(30, opt.State(w).Step);
        Assert.True(last < first, $"{kind}: loss went from {first} to {last}");
    }

    [Theory]
    [MemberData(nameof(All))]
    public void ParametersWithoutGradientAreLeftAlone(string kind)
    {
        var a = Tensor.FromArray([1f, 2f], 2).RequiresGrad_().Keep();
        var b = Tensor.FromArray([3f, 4f], 2).RequiresGrad_().Keep();
        var opt = Make(kind, [a, b]);
        a.Grad = Tensor.FromArray([1f, 1f], 2);
        opt.Step();
        Assert.Equal([3f, 4f], b.ToArray());
        Assert.Empty(opt.State(b).Buffers);
        Assert.NotEqual([1f, 2f], a.ToArray());
    }

    [Fact]
    public void StepDoesNotChangeTheGradient()
    {
        // weight decay makes a new gradient; the stored one stays what backward produced (PyTorch too)
        var a = Tensor.FromArray([1f, 2f], 2).RequiresGrad_().Keep();
        var opt = new SGD([a], lr: 0.1, weightDecay: 0.5, momentum: 0.9, nesterov: true);
        a.Grad = Tensor.FromArray([0.25f, -0.5f], 2);
        opt.Step();
        Assert.Equal([0.25f, -0.5f], a.Grad!.ToArray());
        // θ - η (g + μ b) with g = ∇ + λθ and b = g on the first step: θ - η g (1 + μ)
        Assert.Equal(1f - 0.1f * (0.25f + 0.5f) * 1.9f, a.ToArray()[0], 6);
        Assert.Equal(2f - 0.1f * (-0.5f + 1f) * 1.9f, a.ToArray()[1], 6);
    }

    [Fact]
    public void ZeroGradClearsEveryGroup()
    {
        var a = Tensor.Zeros(2).RequiresGrad_().Keep();
        var b = Tensor.Zeros(2).RequiresGrad_().Keep();
        var opt = new Adam([new ParamGroup([a]), new ParamGroup([b], lr: 0.1)]);
        a.Grad = Tensor.Ones(2); b.Grad = Tensor.Ones(2);
        opt.ZeroGrad();
        Assert.Null(a.Grad);
        Assert.Null(b.Grad);
    }

    [Fact]
    public void AddParamGroupLaterTrainsTheNewParameters()
    {
        var a = Tensor.Zeros(1).RequiresGrad_().Keep();
        var b = Tensor.Zeros(1).RequiresGrad_().Keep();
        var opt = new SGD([a], lr: 0.1);
        opt.AddParamGroup(new ParamGroup([b], lr: 0.5));
        a.Grad = Tensor.Ones(1); b.Grad = Tensor.Ones(1);
        opt.Step();
        Assert.Equal(-0.1f, a.ToArray()[0], 6);
        Assert.Equal(-0.5f, b.ToArray()[0], 6);
        Assert.Throws<ArgumentException>(() => opt.AddParamGroup(new ParamGroup([a])));
    }

    [Fact]
    public void NonLeafParametersAreRefused()
    {
        var a = Tensor.Zeros(2).RequiresGrad_().Keep();
        var e = Assert.Throws<ArgumentException>(() => new Adam([a * 2f]));
        Assert.Contains("not a leaf", e.Message);
    }
}
