using Engine.Onnx.Export;
using Engine.Tests.TestUtil;
using Onnx;

namespace Engine.Onnx.Tests;

/// <summary>
/// The erf pattern of GELU (Div, Erf, Add, Mul, Mul) is fused into one Gelu node at load: the fused graph gives the
/// unfused graph's outputs and gradients, has four nodes fewer per pattern, and a pattern that is not exactly GELU
/// (another constant, an intermediate read elsewhere or a graph output) is left alone.
/// </summary>
public class GeluFusionTests
{
    private static Module Mlp()
    {
        Seed.Everything(4);
        return new Sequential(new Linear(6, 8), new GELU(), new Linear(8, 3), new GELU()).Eval();
    }

    [Fact]
    public void FusedAndUnfusedGraphsAgreeInOutputsAndGradients()
    {
        var bytes = OnnxExport.ToBytes(Mlp(), Tensor.Randn(2, 6));
        var fused = OnnxModel.Load(bytes);
        var plain = OnnxModel.Load(bytes, fuseGelu: false);
        Assert.Equal(2, fused.FusedGelus);
        Assert.Equal(0, plain.FusedGelus);
        Assert.Equal(plain.NodeCount - 8, fused.NodeCount);

        var x = Tensor.Randn(5, 6);
        var yf = fused.Forward(x); var yp = plain.Forward(x);
        OnnxGoldens.Close(yp, yf, 1e-6f, 1e-7f, "fused against unfused GELU");
        yf.Sum().Backward(); yp.Sum().Backward();
        var gp = plain.NamedParameters().ToDictionary(p => p.Name, p => p.Parameter.Grad!);
        // The Linear layers' parameters (the pattern's constants are initializers too, unused once fused).
        var layers = fused.NamedParameters().Where(p => p.Name.EndsWith("weight") || p.Name.EndsWith("bias")).ToList();
        Assert.Equal(4, layers.Count);
        foreach (var (n, p) in layers)
            OnnxGoldens.Close(gp[n], p.Grad ?? throw new Xunit.Sdk.XunitException($"{n} has no gradient"), 1e-5f, 1e-6f, $"gradient of {n}");
    }

    [TorchFact]
    public void TorchsTransformerGeluIsFusedAndStillMatchesPyTorch()
    {
        var path = OnnxGoldens.PathOf("transformer_opset17");
        var fused = OnnxModel.Load(path);
        var plain = OnnxModel.Load(path, fuseGelu: false);
        Assert.Equal(1, fused.FusedGelus);
        var (x, expected) = OnnxGoldens.Case("transformer_opset17");
        using var _ = Tensor.NoGrad();
        OnnxGoldens.Close(expected, fused.Forward(x), 1e-4f, 1e-5f, "fused transformer against PyTorch");
        OnnxGoldens.Close(plain.Forward(x), fused.Forward(x), 1e-6f, 1e-7f, "fused against unfused transformer");
    }

    /// <summary>y = gelu pattern of x [?,4] with the given constants; erf's output optionally a graph output too.</summary>
    private static byte[] Pattern(float sqrt2, float one, float half, bool erfIsOutput, bool erfReadTwice = false)
    {
        var g = new GraphProto { Name = "gelu" };
        g.Input.Add(ProtoBuilder.Info("x", -1, 4));
        g.Output.Add(ProtoBuilder.Info("y", -1, 4));
        if (erfIsOutput) g.Output.Add(ProtoBuilder.Info("e", -1, 4));
        g.Initializer.Add(ProtoBuilder.Floats("s", [sqrt2]));
        g.Initializer.Add(ProtoBuilder.Floats("one", [one]));
        g.Initializer.Add(ProtoBuilder.Floats("half", [half]));
        g.Node.Add(ProtoBuilder.Node("Div", "div", ["x", "s"], ["d"]));
        g.Node.Add(ProtoBuilder.Node("Erf", "erf", ["d"], ["e"]));
        g.Node.Add(ProtoBuilder.Node("Add", "add", ["e", "one"], ["a"]));
        g.Node.Add(ProtoBuilder.Node("Mul", "mul1", ["x", "a"], ["m"]));
        g.Node.Add(ProtoBuilder.Node("Mul", "mul2", ["m", "half"], [erfReadTwice ? "y0" : "y"]));
        if (erfReadTwice) g.Node.Add(ProtoBuilder.Node("Add", "use_e", ["y0", "e"], ["y"]));
        return ProtoBuilder.Bytes(ProtoBuilder.Model(g));
    }

    [Theory]
    [InlineData(1.41421356f, 1f, 0.5f, false, false, 1)]
    [InlineData(1.5f, 1f, 0.5f, false, false, 0)]
    [InlineData(1.41421356f, 2f, 0.5f, false, false, 0)]
    [InlineData(1.41421356f, 1f, 0.25f, false, false, 0)]
    [InlineData(1.41421356f, 1f, 0.5f, true, false, 0)]
    [InlineData(1.41421356f, 1f, 0.5f, false, true, 0)]
    public void OnlyTheExactPatternIsFused(float sqrt2, float one, float half, bool erfIsOutput, bool erfReadTwice, int fusions)
    {
        var bytes = Pattern(sqrt2, one, half, erfIsOutput, erfReadTwice);
        var m = OnnxModel.Load(bytes);
        Assert.Equal(fusions, m.FusedGelus);
        var x = Tensor.Randn(3, 4);
        using var _ = Tensor.NoGrad();
        var a = m.Run(x); var b = OnnxModel.Load(bytes, fuseGelu: false).Run(x);
        for (int i = 0; i < a.Length; i++) OnnxGoldens.Close(b[i], a[i], 1e-6f, 1e-7f, $"output {i}");
        if (fusions == 1) OnnxGoldens.Close(x.Gelu(), a[0], 1e-6f, 1e-7f, "the fused node is GELU");
    }
}
