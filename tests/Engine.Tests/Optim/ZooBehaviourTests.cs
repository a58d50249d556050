namespace Engine.Tests.Optim;

/// <summary>What the zoo's optimizers do beyond their formulas: closures, train/eval swaps, groups, bad input.</summary>
public class ZooBehaviourTests
{
    private static Tensor Param(params float[] v) => Tensor.FromArray(v, v.Length).RequiresGrad_().Keep();

    private static float[] RunCase(string name, Func<Optimizer, Optimizer>? change = null, Action<ZooFixtures.Problem, Optimizer>? step = null)
    {
        var c = ZooFixtures.Case(name);
        var pb = new ZooFixtures.Problem();
        var opt = ZooFixtures.Build(c, pb);
        if (change != null) opt = change(opt);
        for (int i = 0; i < 20; i++)
        {
            if (step != null) step(pb, opt);
            else pb.Step(opt);
        }
        return pb.W.ToArray();
    }

    private static float[] Expected(string name) => ZooFixtures.Case(name).GetProperty("trajectory")[19].GetProperty("w").Floats();

    private static double MaxDiff(float[] a, float[] b) => a.Zip(b).Max(p => Math.Abs(p.First - p.Second));

    [Fact]
    public void OptimizersThatReevaluateTheLossRefuseAPlainStep()
    {
        var p = Param(1, 2);
        foreach (var opt in new Optimizer[] { new LBFGS([p]), new SAM(new SGD([p], 0.1)), new Lookahead(new ASAM(new Adam([p]))) })
        {
            Assert.Equal(ClosureKind.Loss, opt.ClosureKind);
            var e = Assert.Throws<InvalidOperationException>(() => opt.Step());
            Assert.Contains("Step(closure)", e.Message);
        }
    }

    [Fact]
    public void AClosureUnderNoGradIsAClearError()
    {
        var p = Param(1, 2);
        var opt = new LBFGS([p]);
        using var _ = Tensor.NoGrad();
        var e = Assert.Throws<InvalidOperationException>(() => opt.Step(() => 0f));
        Assert.Contains("outside Tensor.NoGrad()", e.Message);
    }

    [Fact]
    public void ClosureStepOfAPlainOptimizerEvaluatesOnceThenSteps()
    {
        var p = Param(3f);
        var opt = new SGD([p], 0.1);
        int calls = 0;
        float loss = opt.Step(() => { calls++; var l = p.Square().Sum(); l.Backward(); return l.Item(); });
        Assert.Equal(1, calls);
        Assert.Equal(9f, loss);
        Assert.Equal(3f - 0.1f * 6f, p.ToArray()[0], 6);
    }

    [Fact]
    public void SophiasHessianEstimateChangesThePath()
    {
        // plain Step() never estimates the Hessian (h stays 0: sign descent); the fixture's path needs the closure
        var noHessian = RunCase("sophia", step: (pb, opt) => { opt.ZeroGrad(); pb.LossAndGrad(); opt.Step(); });
        Assert.True(MaxDiff(Expected("sophia"), noHessian) > 1e-3, "the Hessian closure did not change Sophia's path");
    }

    [Fact]
    public void SampledLabelsFollowTheModelsDistribution()
    {
        // logits whose softmax is (0.6, 0.3, 0.1) in every row: the drawn labels' frequencies match
        const int n = 20000;
        var row = new[] { MathF.Log(0.6f), MathF.Log(0.3f), MathF.Log(0.1f) };
        var logits = Tensor.FromArray(Enumerable.Range(0, n).SelectMany(_ => row).ToArray(), n, 3).RequiresGrad_();
        var loss = Sophia.SampledLoss(logits, new Generator(7));
        // d loss / d logits = (softmax - onehot(ŷ)) / n: summed over rows it is p - freq
        loss.Backward();
        var g = logits.Grad!.Sum(0).ToArray();
        var freq = new[] { 0.6f - g[0], 0.3f - g[1], 0.1f - g[2] };
        Assert.Equal(0.6, freq[0], 0.015);
        Assert.Equal(0.3, freq[1], 0.015);
        Assert.Equal(0.1, freq[2], 0.015);
        Assert.Contains("[N, C]", Assert.Throws<ShapeException>(() => Sophia.SampledLoss(Tensor.Zeros(2, 3, 4))).Message);
    }

    [Fact]
    public void LookaheadAndSamChangeTheirInnerOptimizersPath()
    {
        var sgdOnly = RunCase("lookahead_sgd", opt => ((Lookahead)opt).Inner);
        Assert.True(MaxDiff(Expected("lookahead_sgd"), sgdOnly) > 1e-3, "Lookahead's synchronization did not change the path");
        var baseOnly = RunCase("sam_sgd", opt => ((SAM)opt).BaseOptimizer);
        Assert.True(MaxDiff(Expected("sam_sgd"), baseOnly) > 1e-3, "SAM's perturbation did not change the path");
    }

    [Fact]
    public void ScheduleFreeSwapsBetweenTheAverageAndTheGradientPoint()
    {
        var pb = new ZooFixtures.Problem();
        var opt = new ScheduleFreeAdamW([pb.W, pb.B], lr: 0.05);
        for (int i = 0; i < 5; i++) pb.Step(opt);
        var y = pb.W.ToArray();
        opt.Eval();
        var x = pb.W.ToArray();
        Assert.True(MaxDiff(x, y) > 1e-4, "Eval() did not move the weights to the average");
        opt.Eval();                                             // idempotent
        Assert.Equal(x, pb.W.ToArray());
        var e = Assert.Throws<InvalidOperationException>(() => pb.Step(opt));
        Assert.Contains("Train()", e.Message);
        opt.Train();
        Assert.True(MaxDiff(y, pb.W.ToArray()) < 1e-6, "Train() did not bring back y");
    }

    [Fact]
    public void MuonSplitsMatricesFromTheRest()
    {
        var w = Tensor.Zeros(4, 3).RequiresGrad_();
        var conv = Tensor.Zeros(2, 1, 3, 3).RequiresGrad_();
        var b = Tensor.Zeros(4).RequiresGrad_();
        var opt = new Muon([w, conv, b], lr: 0.01, adamLr: 1e-3);
        Assert.Equal(["muon", "adam"], opt.ParamGroups.Select(g => g.Name));
        Assert.Equal(2, opt.ParamGroups[0].Params.Count);
        Assert.Equal(0.01, opt.ParamGroups[0].Lr);
        Assert.Equal(1e-3, opt.ParamGroups[1].Lr);

        // a named group keeps its options in both halves, and its AdamW half takes adam_lr
        var named = new Muon([new ParamGroup([w, b], weightDecay: 0.1, name: "body").With("adam_lr", 5e-4)]);
        Assert.Equal(["body.muon", "body.adam"], named.ParamGroups.Select(g => g.Name));
        Assert.All(named.ParamGroups, g => Assert.Equal(0.1, g.WeightDecay));
        Assert.Equal(5e-4, named.ParamGroups[1].Lr);

        var e = Assert.Throws<ArgumentException>(() => new Muon([new ParamGroup([b]).With("use_muon", 1)]));
        Assert.Contains("rank 1", e.Message);
    }

    [Fact]
    public void NewtonSchulzGivesSingularValuesNearOne()
    {
        foreach (var (rows, cols) in new[] { (8, 16), (16, 8), (5, 5) })
        {
            var g = Tensor.Randn(new Shape(rows, cols), new Generator(rows * 31 + cols));
            var o = NewtonSchulz.Orthogonalize(g);
            Assert.Equal(new Shape(rows, cols), o.Shape);
            // the eigenvalues of O Oᵀ (or Oᵀ O) are the squared singular values: the quintic puts them in about [0.5, 1.5]²
            var small = rows <= cols ? o.Matmul(o.Transpose(0, 1)) : o.Transpose(0, 1).Matmul(o);
            int n = Math.Min(rows, cols);
            var (values, _) = Engine.Optim.Linalg.SymmetricEigen.Decompose(small.ToArray().Select(v => (double)v).ToArray(), n);
            Assert.All(values, v => Assert.InRange(Math.Sqrt(v), 0.5, 1.5));
        }
    }

    [Fact]
    public void LbfgsTakesOneGroupAndKnownLineSearches()
    {
        var p = Param(1);
        var q = Param(2);
        Assert.Contains("one parameter group", Assert.Throws<ArgumentException>(() => new LBFGS([p]).AddParamGroup(new ParamGroup([q]))).Message);
        Assert.Contains("strong_wolfe", Assert.Throws<ArgumentException>(() => new LBFGS([p], lineSearchFn: "armijo")).Message);
    }

    [Fact]
    public void LbfgsMinimizesAQuadraticInOneStep()
    {
        // f = Σ cᵢ (xᵢ - 1)²: L-BFGS with the strong-Wolfe search reaches the minimum within one step of 20 iterations
        var x = Param(4, -3, 0.5f);
        var c = Tensor.FromArray([1f, 10f, 0.1f], 3);
        var opt = new LBFGS([x], lineSearchFn: "strong_wolfe");
        opt.Step(() => { var l = (x - 1f).Square().Mul(c).Sum(); l.Backward(); return l.Item(); });
        Assert.All(x.ToArray(), v => Assert.Equal(1f, v, 4));
    }

    [Fact]
    public void BadOptionsNameTheOptionAndTheGroup()
    {
        var p = Param(1);
        Assert.Contains("beta1", Assert.Throws<ArgumentOutOfRangeException>(() => new Lion([p], beta1: 1.5)).Message);
        Assert.Contains("eta_plus", Assert.Throws<ArgumentOutOfRangeException>(() => new Rprop([p], etaPlus: 0.9)).Message);
        Assert.Contains("lookahead_k", Assert.Throws<ArgumentOutOfRangeException>(() => new Lookahead(new SGD([p], 0.1), k: 0)).Message);
        Assert.Contains("rho", Assert.Throws<ArgumentOutOfRangeException>(() => new SAM(new SGD([p], 0.1), rho: -1)).Message);
        Assert.Contains("precondition_frequency", Assert.Throws<ArgumentOutOfRangeException>(() => new SOAP([p], preconditionFrequency: 0)).Message);
        Assert.Contains("d0", Assert.Throws<ArgumentOutOfRangeException>(() => new Prodigy([p], d0: 0)).Message);
        Assert.Contains("β", Assert.Throws<ArgumentOutOfRangeException>(() => new ScheduleFreeSGD([p], momentum: 1)).Message);
        Assert.Contains("hessianInterval", Assert.Throws<ArgumentOutOfRangeException>(() => new Sophia([p], hessianInterval: 0)).Message);
        Assert.Contains("weight_decay", Assert.Throws<ArgumentOutOfRangeException>(() => new Rprop([new ParamGroup([p], weightDecay: 0.1)])).Message);
        var q = Param(2);
        var prodigy = new Prodigy([new ParamGroup([p], lr: 1), new ParamGroup([q], lr: 0.5)]);
        p.Grad = Tensor.Ones(1); q.Grad = Tensor.Ones(1);
        Assert.Contains("share one learning rate", Assert.Throws<InvalidOperationException>(() => prodigy.Step()).Message);
    }

    [Fact]
    public void WrappersShareTheirInnerGroups()
    {
        var p = Param(1, 2);
        var inner = new Adam([p], lr: 0.01);
        var la = new Lookahead(inner);
        Assert.Same(inner.ParamGroups[0], la.ParamGroups[0]);
        la.ParamGroups[0].Lr = 0.5;                               // a scheduler on the wrapper reaches the inner optimizer
        Assert.Equal(0.5, inner.ParamGroups[0].Lr);
        var q = Param(3);
        la.AddParamGroup(new ParamGroup([q]));
        Assert.Equal(2, inner.ParamGroups.Count);
    }
}
