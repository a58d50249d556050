using System.Text.Json;

namespace Engine.Tests.Layers;

/// <summary>Every loss against PyTorch (fixtures/layers/losses.json), on normal logits and on logits of +-1e4.</summary>
public class LossFixtureTests
{
    public static IEnumerable<object[]> Cases => Fixtures.CaseNames("losses.json");

    private static Tensor? Opt(JsonElement opts, string key) => opts.TryGetProperty(key, out var e) ? Fixtures.Tensor(e) : null;

    private static Tensor Run(string name, Tensor x, Tensor t, JsonElement o)
    {
        var kind = name[..name.LastIndexOf('_')];
        var w = Opt(o, "weight");
        double smoothing = o.TryGetProperty("label_smoothing", out var ls) ? ls.GetDouble() : 0;
        var red = o.TryGetProperty("reduction", out var r) ? r.GetString() switch
        {
            "sum" => Reduction.Sum, "none" => Reduction.None, "batchmean" => Reduction.BatchMean, _ => Reduction.Mean,
        } : Reduction.Mean;
        return kind switch
        {
            "ce" or "ce_spatial" => F.CrossEntropy(x, t),
            "ce_weight_smooth_ignore" or "ce_smooth_sum" or "ce_smooth_none" or "ce_soft" => F.CrossEntropy(x, t, w, reduction: red, labelSmoothing: smoothing),
            "nll" => F.NllLoss(x.LogSoftmax(1), t, w),
            "bce" => F.BinaryCrossEntropyWithLogits(x, t),
            "bce_posweight" => F.BinaryCrossEntropyWithLogits(x, t, w, red, Opt(o, "pos_weight")),
            "sigmoid_focal" => F.SigmoidFocalLoss(x, t, o.GetProperty("alpha").GetDouble(), o.GetProperty("gamma").GetDouble(), red),
            "softmax_focal" => F.SoftmaxFocalLoss(x, t, Opt(o, "alpha"), o.GetProperty("gamma").GetDouble()),
            "mse" => F.MseLoss(x, t),
            "l1" => F.L1Loss(x, t, red),
            "smoothl1" => F.SmoothL1Loss(x, t, beta: o.GetProperty("beta").GetDouble()),
            "kldiv" => F.KlDiv(x.LogSoftmax(1), t, red),
            "distill" => F.KlDivWithTemperature(x, t, o.GetProperty("temperature").GetDouble()),
            _ => throw new ArgumentException($"no engine loss for fixture case '{name}'"),
        };
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void MatchesPyTorch(string name)
    {
        using var _ = Tensor.Scope();
        var c = Fixtures.Case("losses.json", name);
        var x = Fixtures.Tensor(c.GetProperty("input")).RequiresGrad_();
        var t = Fixtures.Tensor(c.GetProperty("target"));
        var loss = Run(name, x, t, c.GetProperty("opts"));
        var expected = Fixtures.Tensor(c.GetProperty("output"));
        Close.Assert(expected, loss, $"{name} loss", atol: 1e-4f, rtol: 2e-5f);
        loss.Mul(Fixtures.Tensor(c.GetProperty("gy"))).Sum().Backward();
        Assert.All(x.Grad!.ToArray(), v => Assert.True(float.IsFinite(v), $"{name}: non-finite gradient"));
        Close.Assert(Fixtures.Tensor(c.GetProperty("grad_input")), x.Grad!, $"{name} grad input", atol: 1e-5f, rtol: 1e-3f);
    }
}
