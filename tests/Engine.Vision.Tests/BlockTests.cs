using Engine.Tests.TestUtil;

namespace Engine.Vision.Tests;

/// <summary>Stochastic depth's statistics and gradient; squeeze-and-excitation's math and gradients.</summary>
public class BlockTests
{
    [Fact]
    public void StochasticDepthIsTheIdentityInEvalAndAtZero()
    {
        var x = Tensor.Randn(4, 3, 2, 2);
        var sd = new StochasticDepth(0.5);
        sd.Eval();
        Assert.Same(x, sd.Forward(x));
        Assert.Same(x, new StochasticDepth(0).Forward(x));
    }

    [Fact]
    public void RowModeDropsWholeSamplesAndScalesTheRest()
    {
        var x = Tensor.Ones(2000, 2, 3, 3);
        var y = new StochasticDepth(0.25, "row", new Generator(3)).Forward(x).ToArray();
        int dropped = 0;
        for (int n = 0; n < 2000; n++)
        {
            var row = y.AsSpan(n * 18, 18).ToArray();
            Assert.True(row.All(v => v == 0) || row.All(v => Math.Abs(v - 1 / 0.75f) < 1e-6), $"sample {n} is partly dropped");
            if (row[0] == 0) dropped++;
        }
        // 500 expected; 5 sigma of a binomial(2000, 0.25) is about 97.
        Assert.InRange(dropped, 400, 600);
    }

    [Fact]
    public void BatchModeDropsAllOrNothing()
    {
        var y = new StochasticDepth(0.5, "batch", new Generator(4)).Forward(Tensor.Ones(8, 3)).ToArray();
        Assert.True(y.All(v => v == 0) || y.All(v => v == 2f));
    }

    [Fact]
    public void StochasticDepthGradientIsTheMask()
    {
        var x = Tensor.Randn(6, 2, 2, 2).RequiresGrad_();
        var y = new StochasticDepth(0.5, "row", new Generator(9)).Forward(x);
        y.Backward(Tensor.Ones(y.Shape.ToArray()));
        var mask = y.Detach().Div(x.Detach()).ToArray();   // b / (1 - p), per element
        Assert.Equal(mask.Select(v => MathF.Round(v, 4)), x.Grad!.ToArray().Select(v => MathF.Round(v, 4)));
        Assert.Contains(0f, x.Grad!.ToArray());
        Assert.Contains(2f, x.Grad!.ToArray().Select(v => MathF.Round(v, 4)));
    }

    [Fact]
    public void BadArgumentsAreNamed()
    {
        Assert.Contains("[0, 1]", Assert.Throws<ArgumentOutOfRangeException>(() => new StochasticDepth(1.5)).Message);
        Assert.Contains("'col'", Assert.Throws<ArgumentException>(() => new StochasticDepth(0.1, "col")).Message);
    }

    [Fact]
    public void SqueezeExcitationScalesEachChannelBySigmoidOfItsMlp()
    {
        Seed.Everything(5);
        var se = new SqueezeExcitation(4, 2);
        var x = Tensor.Randn(2, 4, 3, 3);
        var y = se.Forward(x).ToArray();
        // By hand: mean over H, W, then fc1, relu, fc2, sigmoid.
        var xs = x.ToArray(); var w1 = se.Fc1.Weight.ToArray(); var b1 = se.Fc1.Bias!.ToArray();
        var w2 = se.Fc2.Weight.ToArray(); var b2 = se.Fc2.Bias!.ToArray();
        for (int n = 0; n < 2; n++)
        {
            var m = Enumerable.Range(0, 4).Select(c => Enumerable.Range(0, 9).Average(i => (double)xs[(n * 4 + c) * 9 + i])).ToArray();
            var h = Enumerable.Range(0, 2).Select(j => Math.Max(0, b1[j] + Enumerable.Range(0, 4).Sum(c => w1[j * 4 + c] * m[c]))).ToArray();
            for (int c = 0; c < 4; c++)
            {
                double s = 1 / (1 + Math.Exp(-(b2[c] + w2[c * 2] * h[0] + w2[c * 2 + 1] * h[1])));
                for (int i = 0; i < 9; i++)
                    Assert.Equal(s * xs[(n * 4 + c) * 9 + i], y[(n * 4 + c) * 9 + i], 5);
            }
        }
        Assert.Equal(["fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias"], se.NamedParameters().Select(p => p.Name));
    }

    [Fact]
    public void SqueezeExcitationGradientsMatchFiniteDifferences()
    {
        Seed.Everything(6);
        var se = new SqueezeExcitation(3, 2, () => new SiLU(), () => new Hardsigmoid());
        GradCheck.Check(t => se.Forward(t[0]), [([2, 3, 2, 2], GradCheck.Values(24, -2f, 2f, seed: 1))], what: "squeeze-excitation");
    }
}
