using Engine.Training;

namespace Engine.Tests.Tricks;

public class OverfitOneBatchTests
{
    private static (Tensor x, Tensor y) Batch(Generator g) =>
        (Tensor.Randn(new Shape(16, 20), g).Keep(), Tensor.Randint(0, 5, new Shape(16), g).Keep());

    [Fact]
    public void WorkingSetupReachesNearZeroAndIsHealthy()
    {
        var g = new Generator(1);
        var (x, y) = Batch(g);
        var net = new TinyNet(20, 64, 5, g);
        var (d, curve) = OverfitOneBatch.Run(_ =>
        {
            var loss = TinyNet.CrossEntropy(net.Forward(x), y);
            loss.Backward(); net.Sgd(0.5f);
            return loss.Item();
        }, steps: 300);
        Assert.Equal(CurveVerdict.Healthy, d.Verdict);
        Assert.True(curve[^1] < 0.05f, $"final loss {curve[^1]}");
    }

    [Fact]
    public void NegatedLossIsASignError()
    {
        var g = new Generator(2);
        var (x, y) = Batch(g);
        var net = new TinyNet(20, 64, 5, g);
        var (d, _) = OverfitOneBatch.Run(_ =>
        {
            var loss = TinyNet.CrossEntropy(net.Forward(x), y).Neg();   // the bug: minimizing -CE
            loss.Backward(); net.Sgd(0.1f);
            return loss.Item();
        }, steps: 100);
        Assert.Equal(CurveVerdict.Rising, d.Verdict);
        Assert.Contains("sign error", d.Message);
    }

    [Fact]
    public void HugeLearningRateExplodes()
    {
        var g = new Generator(3);
        var (x, y) = Batch(g);
        var net = new TinyNet(20, 64, 5, g);
        var (d, _) = OverfitOneBatch.Run(_ =>
        {
            var loss = TinyNet.CrossEntropy(net.Forward(x), y);
            loss.Backward(); net.Sgd(100f);
            return loss.Item();
        }, steps: 100);
        Assert.Equal(CurveVerdict.Exploding, d.Verdict);
        Assert.Contains("learning rate is too high", d.Message);
    }

    [Fact]
    public void LabelsShuffledEveryStepDoNotConverge()
    {
        var g = new Generator(4);
        var (x, y) = Batch(g);
        var labels = y.ToIntArray();
        var net = new TinyNet(20, 64, 5, g);
        var (d, _) = OverfitOneBatch.Run(_ =>
        {
            // The bug: labels no longer belong to their inputs (a shuffle applied to labels only).
            var perm = g.Permutation(labels.Length);
            var shuffled = Tensor.FromArray(perm.Select(i => labels[i]).ToArray());
            var loss = TinyNet.CrossEntropy(net.Forward(x), shuffled);
            loss.Backward(); net.Sgd(0.5f);
            return loss.Item();
        }, steps: 200);
        Assert.Contains(d.Verdict, new[] { CurveVerdict.Oscillating, CurveVerdict.Plateau });
        Assert.False(d.IsHealthy);
    }

    [Fact]
    public void SchedulerAddsANote()
    {
        var curve = Enumerable.Range(0, 50).Select(i => 2f * MathF.Exp(-i / 5f)).ToArray();
        var d = LossCurveDiagnosis.Diagnose(curve, warmupOrScheduler: true);
        Assert.Equal(CurveVerdict.Healthy, d.Verdict);
        Assert.Contains(d.Notes, n => n.Contains("plain training"));
        Assert.Empty(LossCurveDiagnosis.Diagnose(curve).Notes);
    }

    [Theory]
    [InlineData("rising", CurveVerdict.Rising)]
    [InlineData("nan", CurveVerdict.Exploding)]
    [InlineData("blowup", CurveVerdict.Exploding)]
    [InlineData("saw", CurveVerdict.Oscillating)]
    [InlineData("flat", CurveVerdict.Plateau)]
    [InlineData("slow", CurveVerdict.Slow)]
    [InlineData("healthy", CurveVerdict.Healthy)]
    public void SyntheticCurves(string kind, CurveVerdict expected)
    {
        float[] c = Enumerable.Range(0, 100).Select(i => kind switch
        {
            "rising" => 2f + 0.02f * i,
            "nan" => i < 30 ? 2f : float.NaN,
            "blowup" => 2f * MathF.Exp(i / 10f),
            "saw" => 2f - 0.005f * i + (i % 2 == 0 ? 0.4f : -0.4f),
            "flat" => 2.3f - 0.001f * i,
            "slow" => 2.3f * (1f - 0.006f * i),
            _ => 2.3f * MathF.Exp(-i / 8f),
        }).ToArray();
        Assert.Equal(expected, LossCurveDiagnosis.Diagnose(c).Verdict);
    }

    [Fact]
    public void TooShortCurveIsAnError()
    {
        var e = Assert.Throws<ArgumentException>(() => LossCurveDiagnosis.Diagnose([1f, 2f]));
        Assert.Contains("at least 4", e.Message);
    }
}
