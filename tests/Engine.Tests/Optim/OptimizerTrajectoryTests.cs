using System.Text.Json;

namespace Engine.Tests.Optim;

/// <summary>
/// Each optimizer against PyTorch 1.13 on loss = mean((tanh(X Wᵀ + b) - Y)²) for six steps
/// (fixtures/optim/optimizers.json; AdaBound against a reference written from the paper in generate.py).
/// </summary>
public class OptimizerTrajectoryTests
{
    private static readonly JsonElement Root = OptimFixtures.Load("optimizers.json");

    public static IEnumerable<object[]> Cases() => OptimFixtures.CaseNames("optimizers.json");

    internal static Optimizer Make(string kind, IReadOnlyDictionary<string, double> o, IEnumerable<ParamGroup> groups)
    {
        double Get(string k, double d) => o.TryGetValue(k, out var v) ? v : d;
        return kind switch
        {
            "SGD" => new SGD(groups, o["lr"], Get("momentum", 0), Get("dampening", 0), Get("weight_decay", 0), Get("nesterov", 0) != 0),
            "Adam" => new Adam(groups, Get("lr", 1e-3), Get("beta1", 0.9), Get("beta2", 0.999), Get("eps", 1e-8), Get("weight_decay", 0), Get("amsgrad", 0) != 0),
            "AdamW" => new AdamW(groups, Get("lr", 1e-3), Get("beta1", 0.9), Get("beta2", 0.999), Get("eps", 1e-8), Get("weight_decay", 1e-2), Get("amsgrad", 0) != 0),
            "RMSprop" => new RMSprop(groups, Get("lr", 1e-2), Get("alpha", 0.99), Get("eps", 1e-8), Get("weight_decay", 0), Get("momentum", 0), Get("centered", 0) != 0),
            "AdaBound" => new AdaBound(groups, Get("lr", 1e-3), Get("beta1", 0.9), Get("beta2", 0.999), Get("final_lr", 0.1), Get("gamma", 1e-3), Get("eps", 1e-8), Get("weight_decay", 0)),
            "AMSBound" => new AMSBound(groups, Get("lr", 1e-3), Get("beta1", 0.9), Get("beta2", 0.999), Get("final_lr", 0.1), Get("gamma", 1e-3), Get("eps", 1e-8), Get("weight_decay", 0)),
            _ => throw new ArgumentException(kind),
        };
    }

    internal static Dictionary<string, double> Options(JsonElement e) =>
        e.EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetDouble());

    /// <summary>The fixture's problem: W [3,4], b [3] as leaves, and a loss closure.</summary>
    internal sealed class Problem
    {
        public readonly Tensor W, B;
        private readonly Tensor _x, _y;

        public Problem()
        {
            W = Tensor.FromArray(Root.GetProperty("W0").Floats(), 3, 4).RequiresGrad_().Keep();
            B = Tensor.FromArray(Root.GetProperty("B0").Floats(), 3).RequiresGrad_().Keep();
            _x = Tensor.FromArray(Root.GetProperty("X").Floats(), 5, 4).Keep();
            _y = Tensor.FromArray(Root.GetProperty("Y").Floats(), 5, 3).Keep();
        }

        /// <summary>Forward, backward; returns the loss.</summary>
        public float LossAndGrad()
        {
            using var _ = Tensor.Scope();
            var pred = (_x.Matmul(W.Transpose(0, 1)) + B).Tanh();
            var loss = (pred - _y).Square().Mean();
            loss.Backward();
            return loss.Item();
        }
    }

    internal static Optimizer Build(JsonElement c, Problem pb, Func<Dictionary<string, double>, Dictionary<string, double>>? tweak = null)
    {
        var options = Options(c.GetProperty("options"));
        if (tweak != null) options = tweak(options);
        IEnumerable<ParamGroup> groups = [new ParamGroup([pb.W, pb.B])];
        if (c.GetProperty("groups").ValueKind == JsonValueKind.Array)
        {
            var gs = c.GetProperty("groups").EnumerateArray().Select(Options).ToArray();
            var g0 = new ParamGroup([pb.W]);
            foreach (var (k, v) in gs[0]) g0[k] = v;
            var g1 = new ParamGroup([pb.B]);
            foreach (var (k, v) in gs[1]) g1[k] = v;
            groups = [g0, g1];
        }
        return Make(c.GetProperty("optimizer").GetString()!, options, groups);
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void MatchesPyTorch(string name)
    {
        var c = OptimFixtures.Case(Root, name);
        var pb = new Problem();
        var opt = Build(c, pb);
        int step = 0;
        foreach (var expected in c.GetProperty("trajectory").EnumerateArray())
        {
            opt.ZeroGrad();
            float loss = pb.LossAndGrad();
            opt.Step();
            step++;
            Assert.True(Math.Abs(loss - expected.GetProperty("loss").GetSingle()) < 1e-5, $"{name} step {step}: loss {loss} vs {expected.GetProperty("loss").GetSingle()}");
            OptimFixtures.Close(expected.GetProperty("w").Floats(), pb.W.ToArray(), 2e-5, 2e-6, $"{name} W after step {step}");
            OptimFixtures.Close(expected.GetProperty("b").Floats(), pb.B.ToArray(), 2e-5, 2e-6, $"{name} b after step {step}");
        }
        Assert.Equal(6, step);
    }

    /// <summary>The AMSGrad/AMSBound fixtures use a small β₂ so v shrinks and the running max matters: without it the path differs.</summary>
    [Theory]
    [InlineData("adam_amsgrad", "amsgrad")]
    [InlineData("adamw_wd_amsgrad", "amsgrad")]
    public void AmsgradPathIsExercised(string name, string flag)
    {
        var c = OptimFixtures.Case(Root, name);
        var pb = new Problem();
        var opt = Build(c, pb, o => { o[flag] = 0; return o; });
        for (int i = 0; i < 6; i++) { opt.ZeroGrad(); pb.LossAndGrad(); opt.Step(); }
        var expected = c.GetProperty("trajectory")[5].GetProperty("w").Floats();
        var actual = pb.W.ToArray();
        Assert.True(expected.Zip(actual).Max(p => Math.Abs(p.First - p.Second)) > 1e-4, $"{name}: turning {flag} off did not change the path, so the fixture does not test it");
    }
}
