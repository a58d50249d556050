using Engine.Tests.TestUtil;

namespace Engine.Onnx.Tests;

/// <summary>
/// Models exported by torch.onnx.export (PyTorch 1.13) at opsets 13 and 17 run in the engine and give PyTorch's
/// outputs within 1e-4 relative, at a batch size other than the exported one (the batch dim is dynamic).
/// </summary>
public class ImportGoldenTests(Xunit.Abstractions.ITestOutputHelper output)
{
    [TorchTheory]
    [InlineData("cnn_opset13")]
    [InlineData("cnn_opset17")]
    [InlineData("resnet18_opset13")]
    [InlineData("resnet18_opset17")]
    [InlineData("mobilenet_v2_opset13")]
    [InlineData("mobilenet_v2_opset17")]
    [InlineData("transformer_opset13")]
    [InlineData("transformer_opset17")]
    public void MatchesPyTorch(string stem)
    {
        var model = OnnxModel.Load(OnnxGoldens.PathOf(stem));
        var (x, expected) = OnnxGoldens.Case(stem);
        using var _ = Tensor.NoGrad();
        var y = model.Forward(x);
        // 1e-4 relative; an absolute floor of 1e-5 for outputs near zero (float32 sums of a few hundred terms).
        OnnxGoldens.Close(expected, y, rtol: 1e-4f, atol: 1e-5f, stem);
    }

    /// <summary>The rest of the zoo: HardSwish, HardSigmoid, squeeze-and-excitation (GlobalAveragePool, Mul), SiLU as
    /// Sigmoid + Mul, vgg's adaptive pool at 224x224 (its 7x7 map) and a narrowed classifier; opset 17.</summary>
    [TorchTheory]
    [InlineData("mobilenet_v3_small_opset17")]
    [InlineData("mobilenet_v3_large_opset17")]
    [InlineData("efficientnet_b0_opset17")]
    [InlineData("vgg11_bn_opset17")]
    public void TheRestOfTheVisionZooMatchesPyTorch(string stem)
    {
        var model = OnnxModel.Load(Path.Combine(OnnxGoldens.ZooFolder, stem + ".onnx"));
        var (x, expected) = OnnxGoldens.Case(stem, OnnxGoldens.ZooFolder);
        using var _ = Tensor.NoGrad();
        var y = model.Forward(x);
        Assert.Equal(2, y.Shape[0]);   // exported at batch 1: the batch dim is dynamic
        // The generator calibrates batch norm so that the logits depend on the input: the check has teeth.
        float[] e = expected.ToArray();
        float scale = e.Max(MathF.Abs), spread = Enumerable.Range(0, 10).Max(i => MathF.Abs(e[i] - e[10 + i]));
        Assert.True(spread > 0.05f * scale, $"{stem}: PyTorch's logits of the two samples differ by only {spread} of {scale}");
        // 1e-4 relative, with a floor at 1e-4 of the largest logit (the vision zoo's parity criterion): with calibrated
        // statistics efficientnet's logits reach a few hundred, and PyTorch's own float32 result is 2e-5 of that from
        // its float64 one, so a smaller logit cannot be held to 1e-4 of itself.
        float diff = e.Zip(y.ToArray(), (p, q) => MathF.Abs(p - q)).Max();
        output.WriteLine($"{stem}: max |logit| {scale:G3}, max |diff| {diff:G2}, relative {diff / scale:G2}, samples differ by {spread:G3}");
        OnnxGoldens.Close(expected, y, rtol: 1e-4f, atol: 1e-4f * scale, stem);
    }

    [TorchFact]
    public void ExternalDataIsReadFromTheModelsFolder()
    {
        var model = OnnxModel.Load(Path.Combine(OnnxGoldens.Folder, "ext", "cnn_ext.onnx"));
        var (x, expected) = OnnxGoldens.Case("cnn_opset17");
        using var _ = Tensor.NoGrad();
        OnnxGoldens.Close(expected, model.Forward(x), 1e-4f, 1e-5f, "cnn with external data");
    }

    [TorchFact]
    public void OpsetSeventeenUsesLayerNormalizationAndThirteenTheDecomposedForm()
    {
        var m17 = OnnxModel.Load(OnnxGoldens.PathOf("transformer_opset17"));
        var m13 = OnnxModel.Load(OnnxGoldens.PathOf("transformer_opset13"));
        Assert.Equal(17, m17.Opset);
        Assert.Equal(13, m13.Opset);
        Assert.True(m13.NodeCount > m17.NodeCount, $"opset 13 graph ({m13.NodeCount} nodes) should decompose LayerNormalization of opset 17 ({m17.NodeCount})");
    }

    [TorchFact]
    public void InitializersBecomeNamedParametersThatFineTune()
    {
        var model = OnnxModel.Load(OnnxGoldens.PathOf("cnn_opset17"));
        var names = model.NamedParameters().Select(p => p.Name).ToList();
        // The Linear layers keep their torch names; batch-norm statistics are buffers, not parameters.
        Assert.Contains("fc1.weight", names);
        Assert.Contains("fc2.bias", names);
        Assert.Contains("bn.running_mean", model.NamedBuffers().Select(b => b.Name));
        Assert.DoesNotContain("bn.running_mean", names);

        var (x, _) = OnnxGoldens.Case("cnn_opset17");
        var target = Tensor.FromArray(new[] { 0, 1, 2 }, 3);
        float Loss() { using var s = Tensor.Scope(); return F.NllLoss(model.Forward(x).Add(1e-6f).Log(), target).Item(); }
        float before = Loss();
        var opt = new SGD(model.Parameters(), lr: 0.5);
        for (int step = 0; step < 5; step++)
        {
            using var s = Tensor.Scope();
            opt.ZeroGrad();
            var loss = F.NllLoss(model.Forward(x).Add(1e-6f).Log(), target);
            loss.Backward();
            Assert.NotNull(model.NamedParameters().First(p => p.Name == "fc1.weight").Parameter.Grad);
            opt.Step();
        }
        Assert.True(Loss() < before, $"five SGD steps on the imported model should lower the loss from {before}");
    }
}
