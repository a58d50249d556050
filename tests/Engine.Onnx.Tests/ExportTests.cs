using Engine.Tests.TestUtil;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace Engine.Onnx.Tests;

/// <summary>
/// Exported engine modules pass onnx.checker with full checks, run in ONNX Runtime and in the engine's own importer
/// with the engine's outputs (1e-5), at a batch size other than the sample's.
/// </summary>
public class ExportTests : IDisposable
{
    private readonly string _dir = TorchPython.TempDir("onnx-export");
    public void Dispose() { try { Directory.Delete(_dir, true); } catch (IOException) { } }

    /// <summary>Every exportable layer once: conv blocks, norms, pools, activations, dropout, flatten, linear.</summary>
    private static Module Zoo(string name)
    {
        Seed.Everything(7);
        Module m = name switch
        {
            "cnn" => new Sequential(
                new Conv2d(3, 8, 3, padding: 1), new BatchNorm2d(8), new ReLU(), new MaxPool2d(2),
                new ResidualBlock(8, 8), new ResidualBlock(8, 16, stride: 2), new DepthwiseSeparableConv(16, 16),
                new AvgPool2d(3, stride: 1, padding: 1, countIncludePad: false), new Conv2d(16, 16, 3, padding: 2, dilation: 2, groups: 4),
                new LeakyReLU(0.1f), new AdaptiveAvgPool2d(1), new Flatten(), new Dropout(0.3), new Linear(16, 12),
                new BatchNorm1d(12), new GELU(), new Linear(12, 5), new LogSoftmax(1)),
            "mlp" => new Sequential(new Flatten(), new Linear(48, 16), new Tanh(), new LayerNorm(16), new Sigmoid(),
                new Linear(16, 4), new Softmax(-1)),
            "pool" => new Sequential(new AdaptiveAvgPool2d(2), new Flatten(1, 3), new Identity()),
            // ceil_mode and dilations pass through export and import: 16 -> 8 (ceil) -> 6 (dilated) -> 3 (ceil; floor gives 2)
            "ceilpool" => new Sequential(new MaxPool2d(3, 2, ceilMode: true), new MaxPool2d(3, 1, 1, dilation: 2),
                new AvgPool2d(3, 2, ceilMode: true), new Flatten()),
            _ => throw new ArgumentException(name),
        };
        // Running statistics that are not the identity, as after training.
        using (Tensor.NoGrad())
            foreach (var (n, b) in m.NamedBuffers())
                if (n.EndsWith("running_mean")) b.Copy_(Tensor.Randn(b.Shape).Mul(0.1f));
                else if (n.EndsWith("running_var")) b.Copy_(Tensor.Rand(b.Shape).Add(0.5f));
        return m.Eval();
    }

    private static int[] InputShape(string name, int batch) => name == "mlp" ? [batch, 3, 4, 4] : [batch, 3, 16, 16];

    [Theory]
    [InlineData("cnn", 17)]
    [InlineData("cnn", 13)]
    [InlineData("mlp", 17)]
    [InlineData("mlp", 13)]
    [InlineData("pool", 15)]
    [InlineData("ceilpool", 17)]
    public void ReimportGivesTheEnginesOutputs(string name, int opset)
    {
        var m = Zoo(name);
        var path = Path.Combine(_dir, $"{name}{opset}.onnx");
        OnnxExport.Save(m, Tensor.Randn(InputShape(name, 2)), path, opset);
        var back = OnnxModel.Load(path);
        Assert.Equal(opset, back.Opset);
        var x = Tensor.Randn(InputShape(name, 5));
        using var _ = Tensor.NoGrad();
        OnnxGoldens.Close(m.Forward(x), back.Forward(x), 1e-5f, 1e-6f, $"{name} at opset {opset}, re-imported");
        // Parameters keep their state-dict names.
        foreach (var (n, p) in m.NamedParameters()) Assert.Contains(n, back.NamedParameters().Select(q => q.Name));
    }

    [TorchTheory]
    [InlineData("cnn", 17)]
    [InlineData("cnn", 13)]
    [InlineData("mlp", 17)]
    [InlineData("mlp", 13)]
    public void PassesOnnxCheckerWithFullChecks(string name, int opset)
    {
        var path = Path.Combine(_dir, $"{name}{opset}.onnx");
        OnnxExport.Save(Zoo(name), Tensor.Randn(InputShape(name, 2)), path, opset);
        var report = TorchPython.Run("torch/onnx_check.py", path);
        Assert.StartsWith($"ok opset {opset}", report);
        if (name == "mlp") Assert.Contains(opset >= 17 ? "LayerNormalization" : "ReduceMean", report);
    }

    [Theory]
    [InlineData("cnn", 17)]
    [InlineData("cnn", 13)]
    [InlineData("mlp", 17)]
    [InlineData("mlp", 13)]
    [InlineData("ceilpool", 17)]
    public void OnnxRuntimeGivesTheEnginesOutputs(string name, int opset)
    {
        var m = Zoo(name);
        var bytes = OnnxExport.ToBytes(m, Tensor.Randn(InputShape(name, 2)), opset);
        var shape = InputShape(name, 3);
        var x = Tensor.Randn(shape);
        var expected = m.Forward(x);
        using var session = new InferenceSession(bytes);
        var input = new DenseTensor<float>(x.ToArray(), shape);
        using var results = session.Run([NamedOnnxValue.CreateFromTensor("input", input)]);
        var y = results.First(r => r.Name == "output").AsTensor<float>();
        Assert.Equal(expected.Shape.ToArray(), y.Dimensions.ToArray());
        OnnxGoldens.Close(expected, Tensor.FromArray(y.ToArray(), expected.Shape.ToArray()), 1e-5f, 1e-6f, $"{name} opset {opset} in ONNX Runtime");
    }

    [Fact]
    public void ALayerWithoutAnOnnxEquivalentIsNamed()
    {
        var m = new Sequential(new Linear(4, 4), new Sequential(new ReLU(), new Doubler()));
        var e = Assert.Throws<NotSupportedException>(() => OnnxExport.ToBytes(m, Tensor.Randn(2, 4)));
        Assert.Contains("'1.1'", e.Message);
        Assert.Contains("Doubler", e.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => OnnxExport.ToBytes(new ReLU(), Tensor.Randn(2, 4), opset: 11));
    }

    /// <summary>A custom module: the exporter cannot know what its forward does.</summary>
    private sealed class Doubler : Module
    {
        public override Tensor Forward(Tensor input) => input.Mul(2f);
    }

    [Fact]
    public void AStaticBatchIsWrittenWhenAsked()
    {
        var bytes = OnnxExport.ToBytes(Zoo("mlp"), Tensor.Randn(InputShape("mlp", 2)), dynamicBatch: false);
        var back = OnnxModel.Load(bytes);
        Assert.Equal(2, back.InputShape("input")[0]);
        Assert.Throws<ShapeException>(() => back.Forward(Tensor.Randn(InputShape("mlp", 3))));
    }
}
