namespace Engine.Tests.Optim;

/// <summary>
/// Saving optimizer and scheduler state mid-run and loading it into fresh objects (over a copy of the
/// parameters) continues exactly as the uninterrupted run does.
/// </summary>
// Seed.Everything reseeds the process-wide generator: run apart from tests that draw from it.
[Collection("Data.GlobalGenerator")]
public class ResumeTests
{
    private static Net Model(int seed) { Seed.Everything(seed); return new Net(); }

    private static void TrainStep(Net net, Optimizer opt, ILrScheduler sched, int i)
    {
        using var _ = Tensor.Scope();
        var gen = new Generator(100 + i);
        var x = Tensor.Randn(new Shape([8, 4]), gen);
        var loss = (net.Forward(x) - 0.5f).Square().Mean();
        opt.ZeroGrad();
        loss.Backward();
        GradClip.ClipGradNorm(net.Parameters(), 1.0);
        opt.Step();
        ((LrScheduler)sched).Step();
    }

    public static IEnumerable<object[]> Setups() =>
    [
        ["adamw+warmup_cosine"], ["adam_amsgrad+onecycle"], ["sgd_nesterov+multistep"], ["rmsprop_centered+warm_restarts"], ["amsbound+step"],
    ];

    private static (Optimizer, ILrScheduler) Build(string setup, Net net) => setup switch
    {
        "adamw+warmup_cosine" => Pair(new AdamW(ParamGroups.NoDecayOnBiasAndNorm(net, 0.1), lr: 3e-3), o => new WarmupCosine(o, 3, 12)),
        "adam_amsgrad+onecycle" => Pair(new Adam(net.Parameters(), amsgrad: true), o => new OneCycleLR(o, 0.01, 12)),
        "sgd_nesterov+multistep" => Pair(new SGD(ParamGroups.Backbone(net.Backbone, lr: 0.01).Rest(net, lr: 0.05), lr: 0.05, momentum: 0.9, nesterov: true, weightDecay: 1e-3), o => new MultiStepLR(o, [3, 7], 0.5)),
        "rmsprop_centered+warm_restarts" => Pair(new RMSprop(net.Parameters(), lr: 1e-3, momentum: 0.5, centered: true), o => new CosineAnnealingWarmRestarts(o, 2, 2)),
        "amsbound+step" => Pair(new AMSBound(net.Parameters(), lr: 1e-2), o => new StepLR(o, 2, 0.7)),
        _ => throw new ArgumentException(setup),
    };

    private static (Optimizer, ILrScheduler) Pair(Optimizer o, Func<Optimizer, ILrScheduler> s) => (o, s(o));

    [Theory]
    [MemberData(nameof(Setups))]
    public void ResumedRunContinuesExactly(string setup)
    {
        // uninterrupted: 10 steps
        var a = Model(7);
        var (optA, schedA) = Build(setup, a);
        for (int i = 0; i < 10; i++) TrainStep(a, optA, schedA, i);

        // interrupted after 5: save model, optimizer and scheduler, then load them into new objects
        var b = Model(7);
        var (optB, schedB) = Build(setup, b);
        for (int i = 0; i < 5; i++) TrainStep(b, optB, schedB, i);
        var modelState = b.StateDict().ToDictionary(kv => kv.Key, kv => kv.Value.Clone().Keep());   // Module.StateDict shares storage: copy
        var optState = optB.StateDict();
        var schedState = schedB.StateDict();
        for (int i = 5; i < 7; i++) TrainStep(b, optB, schedB, i);   // the saved state is a snapshot: later steps do not change it

        var c = Model(99);                                              // different initial weights, overwritten by the load
        var (optC, schedC) = Build(setup, c);
        c.LoadStateDict(modelState);
        optC.LoadStateDict(optState);
        schedC.LoadStateDict(schedState);
        for (int i = 5; i < 10; i++) TrainStep(c, optC, schedC, i);

        foreach (var ((name, pa), (_, pc)) in a.NamedParameters().Zip(c.NamedParameters()))
            Assert.True(pa.ToArray().SequenceEqual(pc.ToArray()), $"{setup}: parameter {name} differs after resuming");
        Assert.Equal(optA.ParamGroups.Select(g => g.Lr), optC.ParamGroups.Select(g => g.Lr));
        Assert.Equal(schedA.GetLastLr(), schedC.GetLastLr());

        // the optimizer's state matters: resuming without it ends elsewhere (so the check above has teeth)
        var d = Model(99);
        var (optD, schedD) = Build(setup, d);
        d.LoadStateDict(modelState);
        schedD.LoadStateDict(schedState);
        foreach (var (k, v) in optState.Values) if (k.StartsWith("param_groups.", StringComparison.Ordinal) && !k.EndsWith(".num_params", StringComparison.Ordinal)) optD.ParamGroups[int.Parse(k.Split('.')[1])][k.Split('.')[2]] = v;
        for (int i = 5; i < 10; i++) TrainStep(d, optD, schedD, i);
        Assert.False(a.Parameters().Zip(d.Parameters()).All(p => p.First.ToArray().SequenceEqual(p.Second.ToArray())), $"{setup}: resuming without optimizer state gave the same weights");
    }

    [Fact]
    public void StateDictHoldsStepsBuffersAndGroupOptions()
    {
        var net = Model(3);
        var opt = new Adam(net.Parameters(), lr: 0.01, amsgrad: true);
        var sched = new StepLR(opt, 1, 0.5);
        TrainStep(net, opt, sched, 0);
        TrainStep(net, opt, sched, 1);
        var sd = opt.StateDict();
        var ps = net.Parameters().ToList();
        int n = ps.Count;
        Assert.Equal(n, sd.Values["param_groups.0.num_params"]);
        Assert.Equal(0.0025, sd.Values["param_groups.0.lr"], 12);
        Assert.Equal(0.01, sd.Values["param_groups.0.initial_lr"], 12);
        Assert.Null(net.Backbone.Bn.Weight.Grad);     // unused by the forward pass: no state, as in PyTorch
        Assert.False(sd.Values.ContainsKey($"state.{ps.IndexOf(net.Backbone.Bn.Weight)}.step"));
        for (int i = 0; i < n; i++)
        {
            if (ReferenceEquals(ps[i], net.Backbone.Bn.Weight)) continue;
            Assert.Equal(2, sd.Values[$"state.{i}.step"]);
            foreach (var buf in new[] { "exp_avg", "exp_avg_sq", "max_exp_avg_sq" })
                Assert.True(sd.Tensors.ContainsKey($"state.{i}.{buf}"), $"missing state.{i}.{buf}");
        }
        var s = sched.StateDict();
        Assert.Equal(2, s.Values["last_epoch"]);
        Assert.Equal(0.01, s.Values["base_lrs.0"], 12);
    }

    [Fact]
    public void LoadingMismatchedStateListsEveryProblem()
    {
        var net = Model(4);
        var opt = new Adam(net.Parameters());
        var sched = new StepLR(opt, 1);
        TrainStep(net, opt, sched, 0);
        var sd = opt.StateDict();
        sd.Tensors["state.0.exp_avg"] = Tensor.Zeros(9, 9).Keep();
        sd.Tensors["state.99.exp_avg"] = Tensor.Zeros(1).Keep();
        var e = Assert.Throws<ArgumentException>(() => new Adam(Model(4).Parameters()).LoadStateDict(sd));
        Assert.Contains("2 problem(s)", e.Message);
        Assert.Contains($"'state.0.exp_avg' has shape {new Shape([9, 9])}", e.Message);
        Assert.Contains("state.99.exp_avg", e.Message);

        var e2 = Assert.Throws<ArgumentException>(() => new Adam(ParamGroups.NoDecayOnBiasAndNorm(Model(4), 0.1)).LoadStateDict(opt.StateDict()));
        Assert.Contains("1 param groups", e2.Message);
    }
}
