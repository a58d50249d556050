using Xunit.Abstractions;
using Engine.Tests.TestUtil;
using Engine.Vision;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace Engine.Onnx.Tests;

/// <summary>
/// Every architecture of the vision zoo exported with random weights and batch-norm statistics that are not the
/// identity, at 64x64 (vgg at 32x32 and 64x64: its 7x7 adaptive pool of a 1x1 or 2x2 map is the MatMul form), in eval
/// mode: the file passes onnx.checker's full check, ONNX Runtime gives the engine's logits within 1e-4 relative, and
/// OnnxModel.Load gives them back too. The archs with Hardswish are also exported at opset 13 (HardSigmoid + Mul).
/// </summary>
public class VisionExportTests(ITestOutputHelper output) : IDisposable
{
    private readonly string _dir = TorchPython.TempDir("onnx-vision-export");
    public void Dispose() { try { Directory.Delete(_dir, true); } catch (IOException) { } }

    /// <summary>
    /// The arch with 10 classes (vgg11_bn with a 64-wide classifier: torchvision's 4096 would be 120M weights of test
    /// data), random batch-norm affine parameters, and running statistics calibrated on a random batch (then the
    /// variances scaled by 0.75-1.25): with PyTorch's init and running statistics of 0 and 1, the signal of the input
    /// dies in the deeper archs and the logits are nearly the same for every input, which would hide errors.
    /// </summary>
    internal static Module Create(string arch)
    {
        Seed.Everything(11);
        var m = arch == "vgg11_bn" ? new Vgg(Vgg.ConfigA, numClasses: 10, hidden: 64) : VisionModels.Create(arch, numClasses: 10);
        var g = new Generator(5);
        var bns = m.NamedModules().Select(x => x.Module).OfType<BatchNormBase>().ToArray();
        using (Tensor.NoGrad())
        {
            foreach (var bn in bns)
            {
                bn.Weight!.Copy_(Tensor.Randn(bn.Weight!.Shape, g).Mul(0.2f).Add(1f));
                bn.Bias!.Copy_(Tensor.Randn(bn.Bias!.Shape, g).Mul(0.1f));
            }
            // One training-mode forward: each running statistic moves to (1 - momentum) old + momentum batch, so the
            // batch's own statistic is recovered and kept (eval then normalizes about as training did).
            var old = bns.Select(bn => (bn.RunningMean!.Clone(), bn.RunningVar!.Clone())).ToArray();
            m.Train();
            m.Forward(Tensor.Randn(new Shape(4, 3, 64, 64), g));
            for (int i = 0; i < bns.Length; i++)
            {
                float mo = (float)bns[i].Momentum!.Value;
                var mean = bns[i].RunningMean!.Sub(old[i].Item1.Mul(1 - mo)).Div(mo);
                var var = bns[i].RunningVar!.Sub(old[i].Item2.Mul(1 - mo)).Div(mo).Clamp(1e-4f, float.MaxValue);
                bns[i].RunningMean!.Copy_(mean);
                bns[i].RunningVar!.Copy_(var.Mul(Tensor.Rand(var.Shape, g).Mul(0.5f).Add(0.75f)));
            }
        }
        return m.Eval();
    }

    private static Tensor Input(int batch, int size, int seed) => Tensor.Randn(new Shape(batch, 3, size, size), new Generator(seed));

    /// <summary>|e - a| &lt;= 1e-4 |e| + 1e-4 max|e|: relative, with a floor at the logits' scale for those near zero.</summary>
    private void Close(Tensor expected, Tensor actual, string what)
    {
        float[] e = expected.ToArray(), a = actual.ToArray();
        float scale = e.Max(MathF.Abs);
        if (e.Length == a.Length)
        {
            float diff = e.Zip(a, (p, q) => MathF.Abs(p - q)).Max();
            output.WriteLine($"{what}: max |logit| {scale:G3}, max |diff| {diff:G2}, relative {diff / scale:G2}");
        }
        OnnxGoldens.Close(expected, actual, 1e-4f, 1e-4f * scale, what);
    }

    private static Tensor RunOrt(byte[] model, Tensor x)
    {
        using var session = new InferenceSession(model);
        var input = new DenseTensor<float>(x.ToArray(), x.Shape.ToArray());
        using var results = session.Run([NamedOnnxValue.CreateFromTensor("input", input)]);
        var y = results.First(r => r.Name == "output").AsTensor<float>();
        return Tensor.FromArray(y.ToArray(), y.Dimensions.ToArray());
    }

    [Theory]
    [InlineData("resnet18", 17, 64)]
    [InlineData("resnet34", 17, 64)]
    [InlineData("resnet50", 17, 64)]
    [InlineData("mobilenet_v2", 17, 64)]
    [InlineData("mobilenet_v3_small", 17, 64)]
    [InlineData("mobilenet_v3_small", 13, 64)]
    [InlineData("mobilenet_v3_large", 17, 64)]
    [InlineData("mobilenet_v3_large", 13, 64)]
    [InlineData("efficientnet_b0", 17, 64)]
    [InlineData("vgg11_bn", 17, 64)]
    [InlineData("vgg11_bn", 17, 32)]
    public void OnnxRuntimeAndTheImporterGiveTheEnginesLogits(string arch, int opset, int size)
    {
        var m = Create(arch);
        var x = Input(2, size, 1);
        var bytes = OnnxExport.ToBytes(m, x, opset);
        Tensor expected;
        using (Tensor.NoGrad()) expected = m.Forward(x);
        Assert.Equal([2, 10], expected.Shape.ToArray());
        // The logits depend on the input (not only on the head's bias) well above the tolerance: the check has teeth.
        float[] l = expected.ToArray();
        float spread = Enumerable.Range(0, 10).Max(i => MathF.Abs(l[i] - l[10 + i])), scale = l.Max(MathF.Abs);
        output.WriteLine($"{arch}: the two samples' logits differ by up to {spread:G3} ({spread / scale:G2} of the largest)");
        Assert.True(spread > 1e-2f * scale, $"{arch}: the two samples' logits differ by only {spread} of {scale}");
        Close(expected, RunOrt(bytes, x), $"{arch} opset {opset} {size}x{size} in ONNX Runtime");

        var back = OnnxModel.Load(bytes);
        Assert.Equal(opset, back.Opset);
        using (Tensor.NoGrad()) Close(expected, back.Forward(x), $"{arch} opset {opset} {size}x{size} re-imported");
        // The initializers keep the state-dict names (features.3.block.2.fc1.weight, layer1.0.conv1.weight, ...).
        var names = back.NamedParameters().Select(p => p.Name).ToHashSet();
        foreach (var (n, _) in m.NamedParameters()) Assert.Contains(n, names);
    }

    [TorchTheory]
    [InlineData("resnet18", 17)]
    [InlineData("resnet34", 17)]
    [InlineData("resnet50", 17)]
    [InlineData("mobilenet_v2", 17)]
    [InlineData("mobilenet_v3_small", 17)]
    [InlineData("mobilenet_v3_small", 13)]
    [InlineData("mobilenet_v3_large", 17)]
    [InlineData("mobilenet_v3_large", 13)]
    [InlineData("efficientnet_b0", 17)]
    [InlineData("vgg11_bn", 17)]
    public void PassesOnnxCheckerWithFullChecks(string arch, int opset)
    {
        var path = Path.Combine(_dir, $"{arch}_{opset}.onnx");
        OnnxExport.Save(Create(arch), Input(2, 64, 2), path, opset);
        var report = TorchPython.Run("torch/onnx_check.py", path);
        Assert.StartsWith($"ok opset {opset}", report);
        var ops = report.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Skip(1).ToHashSet();
        // The operators each family should be written with (torch.onnx.export writes the same).
        if (arch.StartsWith("mobilenet_v3")) Assert.Contains(opset >= 14 ? "HardSwish" : "HardSigmoid", ops);
        if (arch.StartsWith("mobilenet_v3")) Assert.Contains("HardSigmoid", ops);
        if (arch == "mobilenet_v3_small" && opset < 14) Assert.DoesNotContain("HardSwish", ops);
        if (arch == "mobilenet_v2") Assert.Contains("Clip", ops);
        if (arch == "efficientnet_b0") { Assert.Contains("Sigmoid", ops); Assert.Contains("Mul", ops); }
        if (arch == "vgg11_bn") Assert.Contains("MatMul", ops);   // the 7x7 adaptive pool of a 2x2 map
        if (arch != "vgg11_bn") Assert.Contains("GlobalAveragePool", ops);
    }

    /// <summary>
    /// The torch side: torchvision's own model, given the exported file's initializers by their state-dict names
    /// (fixtures/torch/vision_from_onnx.py), gives the logits that ONNX Runtime computes from that file, so the engine's
    /// architectures and their export are torchvision's, name for name.
    /// </summary>
    [TorchFact]
    public void TorchvisionWithTheExportedWeightsGivesOnnxRuntimesLogits()
    {
        var archs = VisionModels.Names;
        var ort = new Dictionary<string, Tensor>();
        foreach (var arch in archs)
        {
            var stem = Path.Combine(_dir, arch);
            var x = Input(2, 48, 4);
            File.WriteAllBytes(stem + ".onnx", OnnxExport.ToBytes(Create(arch), Input(1, 48, 3)));
            File.WriteAllText(stem + ".json", $"{{\"input\": [{string.Join(", ", x.Shape.ToArray())}]}}");
            var bytes = new byte[x.Numel * 4];
            Buffer.BlockCopy(x.ToArray(), 0, bytes, 0, bytes.Length);
            File.WriteAllBytes(stem + ".in.bin", bytes);
            ort[arch] = RunOrt(File.ReadAllBytes(stem + ".onnx"), x);
        }
        var report = TorchPython.Run("torch/vision_from_onnx.py", [_dir, .. archs]);
        foreach (var arch in archs)
        {
            Assert.Contains(arch + " [2, 10]", report);
            var b = File.ReadAllBytes(Path.Combine(_dir, arch + ".torch.bin"));
            var f = new float[b.Length / 4];
            Buffer.BlockCopy(b, 0, f, 0, b.Length);
            Close(Tensor.FromArray(f, 2, 10), ort[arch], $"{arch}: ONNX Runtime on the export against torchvision with its weights");
        }
    }

    [Fact]
    public void ADynamicBatchRunsAtBatchOneAndThree()
    {
        var m = Create("mobilenet_v3_small");
        var bytes = OnnxExport.ToBytes(m, Input(2, 64, 3), dynamicBatch: true);
        var back = OnnxModel.Load(bytes);
        foreach (int batch in new[] { 1, 3 })
        {
            var x = Input(batch, 64, 10 + batch);
            Tensor expected;
            using (Tensor.NoGrad()) expected = m.Forward(x);
            Assert.Equal([batch, 10], expected.Shape.ToArray());
            Close(expected, RunOrt(bytes, x), $"batch {batch} in ONNX Runtime");
            using (Tensor.NoGrad()) Close(expected, back.Forward(x), $"batch {batch} re-imported");
        }
    }

    [Fact]
    public void StochasticDepthInTrainingIsAClearError()
    {
        var sd = new StochasticDepth(0.2);
        sd.Train();
        var w = new Export.GraphWriter(17);
        var e = Assert.Throws<NotSupportedException>(() => Export.Layers.Export(sd, "features.2.0.stochastic_depth", "x", Tensor.Randn(2, 4, 3, 3), w));
        Assert.Contains("features.2.0.stochastic_depth", e.Message);
        Assert.Contains("training", e.Message);
        // In eval it is the identity: no node.
        sd.Eval();
        var (name, _) = Export.Layers.Export(sd, "sd", "x", Tensor.Randn(2, 4, 3, 3), w);
        Assert.Equal("x", name);
        Assert.Empty(w.Graph.Node);
    }

    [Theory]
    [InlineData(2, 7)]
    [InlineData(5, 3)]
    [InlineData(7, 7)]
    [InlineData(6, 4)]
    public void TheMatMulFormOfAnUnevenAdaptivePoolMatchesTheEngines(int inSize, int outSize)
    {
        var m = new Sequential(new AdaptiveAvgPool2d(outSize, outSize + 1), new Flatten());
        var x = Tensor.Randn(2, 3, inSize, inSize + 2);
        var bytes = OnnxExport.ToBytes(m, x);
        var expected = m.Forward(x);
        Close(expected, RunOrt(bytes, x), $"adaptive pool {inSize} -> {outSize} in ONNX Runtime");
        using (Tensor.NoGrad()) Close(expected, OnnxModel.Load(bytes).Forward(x), $"adaptive pool {inSize} -> {outSize} re-imported");
    }

    [Theory]
    [InlineData(17)]
    [InlineData(13)]
    public void TheZoosActivationsExportAtBothOpsets(int opset)
    {
        var m = new Sequential(new Linear(6, 8), new ReLU6(), new Linear(8, 8), new Hardtanh(-0.5f, 2f), new Linear(8, 8),
            new Hardswish(), new Linear(8, 8), new Hardsigmoid(), new Linear(8, 8), new SiLU());
        var x = Tensor.Randn(4, 6).Mul(3f);
        var bytes = OnnxExport.ToBytes(m, x, opset);
        var expected = m.Forward(x);
        Close(expected, RunOrt(bytes, x), $"activations at opset {opset} in ONNX Runtime");
        using (Tensor.NoGrad()) Close(expected, OnnxModel.Load(bytes).Forward(x), $"activations at opset {opset} re-imported");
    }
}
