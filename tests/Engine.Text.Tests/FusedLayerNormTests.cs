using Engine.Tests.TestUtil;

namespace Engine.Text.Tests;

/// <summary>The CPU's fused layer norm (F.LayerNorm) against the composed reference (F.LayerNormNaive): outputs and all three gradients.</summary>
public class FusedLayerNormTests
{
    public static TheoryData<int[], int[], bool, bool> Cases() => new()
    {
        // input shape, normalized shape, weight, bias
        { [3, 5, 7], [7], true, true },
        { [2, 4, 6], [4, 6], true, true },
        { [4, 9], [9], false, false },
        { [4, 9], [9], true, false },
        { [4, 9], [9], false, true },
        { [70, 512], [512], true, true },      // 35,840 elements: the parallel chunks
        { [8, 16, 33], [33], true, true },     // rows not a multiple of the SIMD width
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void FusedMatchesComposed(int[] shape, int[] normalized, bool hasW, bool hasB)
    {
        using var scope = Tensor.Scope();
        var gen = new Generator(shape.Sum() + normalized.Length);
        var xd = Tensor.Randn(new Shape(shape), gen).Mul(3f).Add(1.5f);
        var wd = hasW ? Tensor.Randn(new Shape(normalized), gen) : null;
        var bd = hasB ? Tensor.Randn(new Shape(normalized), gen) : null;
        var up = Tensor.Randn(new Shape(shape), gen);
        var (yf, gf) = Run(xd, wd, bd, normalized, up, fused: true);
        var (yn, gn) = Run(xd, wd, bd, normalized, up, fused: false);
        Approx.Equal(yn, yf, 1e-5, 1e-5, "output");
        string[] names = ["x", "weight", "bias"];
        for (int i = 0; i < 3; i++)
        {
            Assert.Equal(gn[i] == null, gf[i] == null);
            if (gn[i] != null) Approx.Equal(gn[i]!, gf[i]!, 1e-4, 1e-4, $"gradient of {names[i]}");
        }
    }

    private static (float[] Y, float[]?[] Grads) Run(Tensor xd, Tensor? wd, Tensor? bd, int[] normalized, Tensor up, bool fused)
    {
        var x = xd.Detach().RequiresGrad_();
        var w = wd?.Detach().RequiresGrad_(); var b = bd?.Detach().RequiresGrad_();
        var y = fused ? F.LayerNorm(x, normalized, w, b, 1e-5) : F.LayerNormNaive(x, normalized, w, b, 1e-5);
        y.Backward(up);
        return (y.ToArray(), [x.Grad!.ToArray(), w?.Grad!.ToArray(), b?.Grad!.ToArray()]);
    }

    [Fact]
    public void FusedGradientsPassFiniteDifferences()
    {
        GradCheck.Check(t => F.LayerNorm(t[0], [5], t[1], t[2]),
            [([3, 5], GradCheck.Values(15, seed: 4)), ([5], GradCheck.Values(5, seed: 5)), ([5], GradCheck.Values(5, seed: 6))],
            what: "fused layer norm");
    }

    [Fact]
    public void TheModuleRunsTheFusedKernelAndKeepsItsKeys()
    {
        using var scope = Tensor.Scope();
        var ln = new LayerNorm(6);
        using (Tensor.NoGrad()) { ln.Weight!.Copy_(Tensor.Randn(6)); ln.Bias!.Copy_(Tensor.Randn(6)); }
        var x = Tensor.Randn(2, 3, 6);
        Approx.Equal(F.LayerNormNaive(x, [6], ln.Weight, ln.Bias).ToArray(), ln.Forward(x).ToArray(), 1e-5, 1e-5, "module output");
        Assert.Equal(["weight", "bias"], ln.StateDict().Keys.OrderByDescending(k => k));
    }

    [Fact]
    public void BadShapesNameThem()
    {
        var x = Tensor.Randn(2, 3, 6);
        var e1 = Assert.Throws<ShapeException>(() => F.LayerNorm(x, [5]));
        Assert.Contains("[2,3,6]", e1.Message);
        var e2 = Assert.Throws<ShapeException>(() => F.LayerNorm(x, [6], Tensor.Ones(5)));
        Assert.Contains("weight [5]", e2.Message);
    }
}
