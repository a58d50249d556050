using System.Text.Json.Serialization;
using Engine.Kernels.Ops;
using Engine.Tests.TestUtil;
using Xunit.Sdk;

namespace Engine.Tests.Layers;

/// <summary>
/// ReLU6, Hardtanh, Hardsigmoid, Hardswish, SiLU against PyTorch 1.13 (fixtures/ops/activations.json, written by
/// gen_activations.py): values and gradients at the kinks and around them, the modules, finite differences away
/// from the kinks, and the scalar Invoke (what GPU backends compile) against the vector path the CPU runs.
/// </summary>
public class VisionActivationTests
{
    private sealed record Case(
        [property: JsonPropertyName("name")] string Name,
        [property: JsonPropertyName("x")] double[] X,
        [property: JsonPropertyName("w")] double[] W,
        [property: JsonPropertyName("y")] double[] Y,
        [property: JsonPropertyName("dx")] double[] Dx,
        [property: JsonPropertyName("y_negzero")] bool[] YNegZero);

    private sealed record File([property: JsonPropertyName("cases")] Case[] Cases);

    private static readonly Lazy<Dictionary<string, Case>> Cases =
        new(() => TestUtil.Fixtures.Read<File>("ops/activations.json").Cases.ToDictionary(c => c.Name));

    private static readonly Dictionary<string, Func<Tensor, Tensor>> Functional = new()
    {
        ["relu6"] = x => x.Relu6(),
        ["hardtanh"] = x => x.Hardtanh(),
        ["hardtanh_m2_0p5"] = x => x.Hardtanh(-2f, 0.5f),
        ["hardsigmoid"] = x => x.Hardsigmoid(),
        ["hardswish"] = x => x.Hardswish(),
        ["silu"] = x => x.Silu(),
    };

    private static readonly Dictionary<string, Func<Module>> Modules = new()
    {
        ["relu6"] = () => new ReLU6(),
        ["hardtanh"] = () => new Hardtanh(),
        ["hardtanh_m2_0p5"] = () => new Hardtanh(-2f, 0.5f),
        ["hardsigmoid"] = () => new Hardsigmoid(),
        ["hardswish"] = () => new Hardswish(),
        ["silu"] = () => new SiLU(),
    };

    public static TheoryData<string> Names => new(Functional.Keys);

    [Theory, MemberData(nameof(Names))]
    public void MatchesPyTorchValuesAndGradientsIncludingTheKinks(string name) => CheckAgainstTorch(name, Functional[name]);

    [Theory, MemberData(nameof(Names))]
    public void ModuleMatchesPyTorch(string name)
    {
        var m = Modules[name]();
        CheckAgainstTorch(name, x => m.Forward(x));
    }

    private static void CheckAgainstTorch(string name, Func<Tensor, Tensor> f)
    {
        var c = Cases.Value[name];
        using var scope = Tensor.Scope();
        var x = Tensor.FromArray(c.X.Select(v => (float)v).ToArray(), c.X.Length).RequiresGrad_();
        var y = f(x);
        y.Backward(Tensor.FromArray(c.W.Select(v => (float)v).ToArray(), c.W.Length));
        var ys = y.ToArray(); var dx = x.Grad!.ToArray();
        // The hard functions are exact in float32 (same operations in the same order as PyTorch); silu uses exp,
        // which agrees to a few ulps.
        double rtol = name == "silu" ? 2e-6 : 0, atol = name == "silu" ? 1e-7 : 0;
        for (int i = 0; i < ys.Length; i++)
        {
            Near(name, "y", i, c.X[i], c.Y[i], ys[i], rtol, atol);
            Near(name, "dx", i, c.X[i], c.Dx[i], dx[i], rtol, atol);
            if (name != "silu" && c.YNegZero[i] != float.IsNegative(ys[i]) && ys[i] == 0)
                throw new XunitException($"{name}: sign of zero at x = {c.X[i]}: torch {(c.YNegZero[i] ? "-0" : "+0")}, engine {ys[i]}");
        }
    }

    private static void Near(string name, string what, int i, double x, double expected, float actual, double rtol, double atol)
    {
        if (!(Math.Abs(expected - actual) <= atol + rtol * Math.Abs(expected)))
            throw new XunitException($"{name}: {what}[{i}] at x = {x}: torch {expected:G9}, engine {actual:G9} (rtol {rtol}, atol {atol})");
    }

    [Theory, MemberData(nameof(Names))]
    public void FiniteDifferencesAwayFromTheKinks(string name)
    {
        // Points at least 0.1 from every kink (-3, -2, -1, 0, 0.5, 1, 3, 6), h = 1e-2.
        float[] xs = [-5.3f, -3.4f, -2.6f, -1.7f, -1.3f, -0.6f, -0.3f, 0.2f, 0.7f, 1.4f, 2.2f, 2.9f, 3.6f, 5.1f, 6.8f, 9f];
        TestUtil.GradCheck.Check(t => Functional[name](t[0]), [([4, 4], xs)], what: name);
    }

    [Fact]
    public void ScalarInvokeAgreesWithTheVectorPath()
    {
        // The scalar forms are what a GPU backend compiles; the CPU runs the vector form. 67 values: full vectors and a tail.
        var xs = TestUtil.GradCheck.Values(67, -9f, 9f, seed: 5).Concat([-3f, 3f, 0f, -0f, 6f, -1f, 1f]).ToArray();
        var dy = TestUtil.GradCheck.Values(xs.Length, -2f, 2f, seed: 6);
        var tx = Tensor.FromArray(xs, xs.Length); var tdy = Tensor.FromArray(dy, dy.Length);
        Same("hardsigmoid", tx.Map(new HardsigmoidOp()).ToArray(), xs.Select(v => new HardsigmoidOp().Invoke(v)), 0);
        Same("hardswish", tx.Map(new HardswishOp()).ToArray(), xs.Select(v => new HardswishOp().Invoke(v)), 0);
        Same("silu", tx.Map(new SiluOp()).ToArray(), xs.Select(v => new SiluOp().Invoke(v)), 4e-7);
        Same("hardtanh grad", tdy.Backend.Zip(tdy, tx, new HardtanhGradOp(0, 6)).ToArray(), Enumerable.Zip(dy, xs, (float d, float v) => new HardtanhGradOp(0, 6).Invoke(d, v)), 0);
        Same("hardsigmoid grad", tdy.Backend.Zip(tdy, tx, new HardsigmoidGradOp()).ToArray(), Enumerable.Zip(dy, xs, (float d, float v) => new HardsigmoidGradOp().Invoke(d, v)), 0);
        Same("hardswish grad", tdy.Backend.Zip(tdy, tx, new HardswishGradOp()).ToArray(), Enumerable.Zip(dy, xs, (float d, float v) => new HardswishGradOp().Invoke(d, v)), 0);
        Same("silu grad", tdy.Backend.Zip(tdy, tx, new SiluGradOp()).ToArray(), Enumerable.Zip(dy, xs, (float d, float v) => new SiluGradOp().Invoke(d, v)), 1e-6);
    }

    private static void Same(string what, float[] vector, IEnumerable<float> scalar, double rtol)
    {
        var s = scalar.ToArray();
        for (int i = 0; i < s.Length; i++)
            if (!(Math.Abs(vector[i] - s[i]) <= rtol * Math.Abs(s[i]) + (rtol == 0 ? 0 : 1e-7)) || (rtol == 0 && float.IsNegative(vector[i]) != float.IsNegative(s[i])))
                throw new XunitException($"{what}[{i}]: vector {vector[i]:G9}, scalar {s[i]:G9}");
    }

    [Fact]
    public void HardtanhRejectsMinAboveMax()
    {
        var e = Assert.Throws<ArgumentException>(() => new Hardtanh(2f, 1f));
        Assert.Contains("minVal 2", e.Message);
        Assert.Throws<ArgumentException>(() => Tensor.FromArray([1f], 1).Hardtanh(1f, -1f));
    }
}
