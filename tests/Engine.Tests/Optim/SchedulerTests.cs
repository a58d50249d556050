using System.Text.Json;

namespace Engine.Tests.Optim;

/// <summary>
/// Learning-rate (and momentum) sequences against PyTorch 1.13 (fixtures/optim/schedulers.json):
/// two param groups at lr 0.1 and 0.01, the value after construction and after every step.
/// </summary>
public class SchedulerTests
{
    private static readonly JsonElement Root = OptimFixtures.Load("schedulers.json");

    public static IEnumerable<object[]> Cases() => OptimFixtures.CaseNames("schedulers.json");

    internal static Optimizer TwoGroups(string kind)
    {
        var p1 = Tensor.Zeros(2).RequiresGrad_().Keep();
        var p2 = Tensor.Zeros(2).RequiresGrad_().Keep();
        ParamGroup[] groups = [new ParamGroup([p1], lr: 0.1), new ParamGroup([p2], lr: 0.01)];
        return kind == "Adam" ? new Adam(groups, lr: 0.1) : new SGD(groups, lr: 0.1, momentum: 0.9);
    }

    internal static ILrScheduler Make(Optimizer opt, JsonElement cfg)
    {
        double D(string k) => cfg.GetProperty(k).GetDouble();
        int I(string k) => cfg.GetProperty(k).GetInt32();
        string S(string k) => cfg.GetProperty(k).GetString()!;
        bool Has(string k) => cfg.TryGetProperty(k, out _);
        return S("type") switch
        {
            "StepLR" => new StepLR(opt, I("step_size"), D("gamma")),
            "MultiStepLR" => new MultiStepLR(opt, cfg.GetProperty("milestones").EnumerateArray().Select(x => x.GetInt32()), D("gamma")),
            "ExponentialLR" => new ExponentialLR(opt, D("gamma")),
            "CosineAnnealingLR" => new CosineAnnealingLR(opt, I("T_max"), D("eta_min")),
            "CosineAnnealingWarmRestarts" => new CosineAnnealingWarmRestarts(opt, I("T_0"), I("T_mult"), D("eta_min")),
            "OneCycleLR" => new OneCycleLR(opt, cfg.GetProperty("max_lr").Doubles(), I("total_steps"),
                pctStart: Has("pct_start") ? D("pct_start") : 0.3, anneal: Has("anneal") ? S("anneal") : "cos",
                divFactor: Has("div_factor") ? D("div_factor") : 25, finalDivFactor: Has("final_div_factor") ? D("final_div_factor") : 1e4,
                threePhase: Has("three_phase") && cfg.GetProperty("three_phase").GetBoolean()),
            "LinearWarmup" => new LinearWarmup(opt, I("warmup"), startFactor: D("start_factor"), after: S("after") switch
            {
                "cosine" => new CosineAnnealingLR(opt, I("T_max"), D("eta_min")),
                "step" => new StepLR(opt, I("step_size"), D("gamma")),
                var a => throw new ArgumentException(a),
            }),
            "ReduceLROnPlateau" => new ReduceLROnPlateau(opt, S("mode"), D("factor"), I("patience"), D("threshold"), S("threshold_mode"),
                I("cooldown"), minLrs: cfg.GetProperty("min_lr").Doubles()),
            var t => throw new ArgumentException(t),
        };
    }

    internal static void Advance(ILrScheduler s, JsonElement c, int i)
    {
        if (s is ReduceLROnPlateau p) p.Step(c.GetProperty("metrics")[i].GetDouble());
        else ((LrScheduler)s).Step();
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void MatchesPyTorch(string name)
    {
        var c = OptimFixtures.Case(Root, name);
        var opt = TwoGroups(c.GetProperty("optimizer").GetString()!);
        var sched = Make(opt, c.GetProperty("config"));
        var lrs = c.GetProperty("lrs").EnumerateArray().Select(x => x.Doubles()).ToArray();
        string? mkey = c.GetProperty("momentum_key").ValueKind == JsonValueKind.String ? c.GetProperty("momentum_key").GetString() : null;
        var moms = mkey != null ? c.GetProperty("momentums").EnumerateArray().Select(x => x.Doubles()).ToArray() : null;
        int steps = c.GetProperty("steps").GetInt32();
        Assert.Equal(steps + 1, lrs.Length);

        for (int i = 0; i <= steps; i++)
        {
            if (i > 0) Advance(sched, c, i - 1);
            var now = opt.ParamGroups.Select(g => g.Lr).ToArray();
            OptimFixtures.Close(lrs[i], now, 1e-9, 1e-12, $"{name}: lr after {i} steps");
            if (sched is not ReduceLROnPlateau || i > 0) OptimFixtures.Close(lrs[i], sched.GetLastLr().ToArray(), 1e-9, 1e-12, $"{name}: GetLastLr after {i} steps");
            if (moms != null) OptimFixtures.Close(moms[i], opt.ParamGroups.Select(g => g[mkey!]).ToArray(), 1e-9, 1e-12, $"{name}: {mkey} after {i} steps");
        }
    }

    [Fact]
    public void WarmupCosineIsWarmupThenCosineToZero()
    {
        var opt = TwoGroups("SGD");
        var s = new WarmupCosine(opt, warmupSteps: 4, totalSteps: 12);
        var seen = new List<double> { opt.ParamGroups[0].Lr };
        for (int i = 0; i < 12; i++) { s.Step(); seen.Add(opt.ParamGroups[0].Lr); }
        // warmup: 0.1 (1/4 + 3/4 · t/4), t = 0..3
        OptimFixtures.Close([0.025, 0.04375, 0.0625, 0.08125], seen.Take(4).ToArray(), 1e-12, 1e-15, "warmup");
        // then 0.1 (1 + cos(π k / 8)) / 2, k = 0..8
        var cosine = Enumerable.Range(0, 9).Select(k => 0.1 * (1 + Math.Cos(Math.PI * k / 8)) / 2).ToArray();
        OptimFixtures.Close(cosine, seen.Skip(4).ToArray(), 1e-9, 1e-15, "cosine");
        Assert.Equal(12, s.TotalSteps);
        Assert.Throws<ArgumentOutOfRangeException>(() => new WarmupCosine(TwoGroups("SGD"), warmupSteps: 10, totalSteps: 10));
    }

    [Fact]
    public void LinearWarmupAloneHoldsTheBaseRateAfterwards()
    {
        var opt = TwoGroups("SGD");
        var s = new LinearWarmup(opt, warmupSteps: 4);
        var seen = new List<double> { opt.ParamGroups[1].Lr };
        for (int i = 0; i < 7; i++) { s.Step(); seen.Add(opt.ParamGroups[1].Lr); }
        // s = 1/W = 0.25: 0.01 (0.25 + 0.75 t / 4), then 0.01
        OptimFixtures.Close([0.0025, 0.004375, 0.00625, 0.008125, 0.01, 0.01, 0.01, 0.01], seen, 1e-12, 1e-15, "warmup alone");
    }

    [Fact]
    public void TiedParametersAreKeptOnce()
    {
        var p = Tensor.Zeros(2).RequiresGrad_().Keep();
        var opt = new SGD([p, p], lr: 0.5);
        Assert.Single(opt.ParamGroups[0].Params);
        p.Grad = Tensor.Ones(2);
        opt.Step();
        Assert.Equal([-0.5f, -0.5f], p.ToArray());   // one update, not two
    }

    [Fact]
    public void WarmRestartsFractionalEpochsFollowTheFormula()
    {
        var opt = TwoGroups("SGD");
        var s = new CosineAnnealingWarmRestarts(opt, t0: 2, tMult: 2, etaMin: 0.001);
        // epoch 2.5 is 0.5 into the second period (length 4)
        s.Step(2.5);
        Assert.Equal(0.001 + (0.1 - 0.001) * (1 + Math.Cos(Math.PI * 0.5 / 4)) / 2, opt.ParamGroups[0].Lr, 12);
        s.Step(1.0);
        Assert.Equal(0.001 + (0.1 - 0.001) * (1 + Math.Cos(Math.PI * 1 / 2)) / 2, opt.ParamGroups[0].Lr, 12);
    }

    [Fact]
    public void OneCycleRefusesToStepPastTheEnd()
    {
        var s = new OneCycleLR(TwoGroups("SGD"), maxLr: 1.0, totalSteps: 5);
        for (int i = 0; i < 5; i++) s.Step();
        var e = Assert.Throws<InvalidOperationException>(() => s.Step());
        Assert.Contains("totalSteps = 5", e.Message);
    }

    [Fact]
    public void OneCycleWithAOneStepWarmPhaseStartsAtThePeak()
    {
        var opt = TwoGroups("SGD");
        new OneCycleLR(opt, maxLr: 1.0, totalSteps: 10, pctStart: 0.1);   // warm phase ends at step 0
        Assert.Equal(1.0, opt.ParamGroups[0].Lr, 12);
        Assert.Equal(0.85, opt.ParamGroups[0]["momentum"], 12);
    }

    [Fact]
    public void OneCycleNeedsSomethingToCycle()
    {
        var p = Tensor.Zeros(2).RequiresGrad_().Keep();
        var opt = new SGD([new ParamGroup([p])], lr: 0.1);
        // SGD always has a momentum option (0 by default): PyTorch cycles it, and so do we
        new OneCycleLR(opt, 0.5, 10);
        Assert.Equal(0.95, opt.ParamGroups[0]["momentum"], 12);
        new OneCycleLR(new SGD([new ParamGroup([p])], lr: 0.1), 0.5, 10, cycleMomentum: false);
    }

    [Fact]
    public void LinearScalingRule()
    {
        Assert.Equal(0.4, LinearScaling.Lr(baseLr: 0.1, baseBatch: 256, batch: 1024), 12);
        Assert.Equal(0.025, LinearScaling.Lr(baseLr: 0.1, baseBatch: 256, batch: 64), 12);
        Assert.Equal(0.2, LinearScaling.SqrtLr(baseLr: 0.1, baseBatch: 256, batch: 1024), 12);
        Assert.Throws<ArgumentOutOfRangeException>(() => LinearScaling.Lr(0.1, 0, 64));
    }

    [Fact]
    public void SchedulersCheckTheirArguments()
    {
        var opt = TwoGroups("SGD");
        Assert.Throws<ArgumentOutOfRangeException>(() => new StepLR(opt, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => new CosineAnnealingLR(opt, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => new ReduceLROnPlateau(opt, factor: 1.0));
        Assert.Throws<ArgumentException>(() => new ReduceLROnPlateau(opt, mode: "minimum"));
        Assert.Throws<ArgumentException>(() => new OneCycleLR(opt, [1.0], 10));
        Assert.Throws<ArgumentException>(() => new LinearWarmup(opt, 3, after: new StepLR(TwoGroups("SGD"), 2)));
    }
}
