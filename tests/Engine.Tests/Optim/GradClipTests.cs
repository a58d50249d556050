using System.Text.Json;

namespace Engine.Tests.Optim;

public class GradClipTests
{
    private static readonly JsonElement Root = OptimFixtures.Load("clip.json");

    [Fact]
    public void NormIsReturnedAndGradientsScaledAsPyTorch()
    {
        foreach (var c in Root.GetProperty("cases").EnumerateArray())
        {
            var a = Tensor.Zeros(3, 4).RequiresGrad_().Keep();
            var b = Tensor.Zeros(5).RequiresGrad_().Keep();
            var unused = Tensor.Zeros(2).RequiresGrad_().Keep();        // no gradient: ignored
            a.Grad = Tensor.FromArray(Root.GetProperty("g1").Floats(), 3, 4);
            b.Grad = Tensor.FromArray(Root.GetProperty("g2").Floats(), 5);
            var nt = c.GetProperty("norm_type");
            double normType = nt.ValueKind == JsonValueKind.String ? double.PositiveInfinity : nt.GetDouble();
            float total = GradClip.ClipGradNorm([a, b, unused], c.GetProperty("max_norm").GetDouble(), normType);
            string what = $"norm {normType}, max {c.GetProperty("max_norm").GetDouble()}";
            Assert.True(Math.Abs(total - c.GetProperty("total").GetDouble()) <= 1e-5 * c.GetProperty("total").GetDouble(), $"{what}: total {total} vs {c.GetProperty("total").GetDouble()}");
            OptimFixtures.Close(c.GetProperty("g1").Floats(), a.Grad!.ToArray(), 1e-5, 1e-7, what + " g1");
            OptimFixtures.Close(c.GetProperty("g2").Floats(), b.Grad!.ToArray(), 1e-5, 1e-7, what + " g2");
            Assert.Null(unused.Grad);
        }
    }

    [Fact]
    public void HandWorkedNorm()
    {
        var a = Tensor.Zeros(2).RequiresGrad_().Keep();
        var b = Tensor.Zeros(1).RequiresGrad_().Keep();
        a.Grad = Tensor.FromArray([3f, 0f], 2);
        b.Grad = Tensor.FromArray([4f], 1);
        Assert.Equal(5f, GradClip.ClipGradNorm([a, b], maxNorm: 1.0), 5);
        // scaled to norm 1 (1e-6 below): direction kept
        Assert.Equal(0.6f, a.Grad!.ToArray()[0], 5);
        Assert.Equal(0.8f, b.Grad!.ToArray()[0], 5);
        Assert.Equal(1f, GradClip.ClipGradNorm([a, b], maxNorm: 10), 5);   // under the limit: returned, unchanged
        Assert.Equal(0.6f, a.Grad!.ToArray()[0], 5);
        Assert.Equal(0f, GradClip.ClipGradNorm([Tensor.Zeros(1)], 1.0));    // nothing has a gradient
    }

    [Fact]
    public void NonFiniteNormThrowsWhenAsked()
    {
        var a = Tensor.Zeros(2).RequiresGrad_().Keep();
        a.Grad = Tensor.FromArray([float.NaN, 1f], 2);
        var e = Assert.Throws<ArithmeticException>(() => GradClip.ClipGradNorm([a], 1.0, errorIfNonfinite: true));
        Assert.Contains("NaN", e.Message);
        Assert.True(float.IsNaN(GradClip.ClipGradNorm([a], 1.0)));
    }

    [Fact]
    public void ClipByValueClampsEachElement()
    {
        var a = Tensor.Zeros(4).RequiresGrad_().Keep();
        a.Grad = Tensor.FromArray([-3f, -0.5f, 0.2f, 7f], 4);
        GradClip.ClipGradValue([a], 1.0);
        Assert.Equal([-1f, -0.5f, 0.2f, 1f], a.Grad!.ToArray());
    }
}
