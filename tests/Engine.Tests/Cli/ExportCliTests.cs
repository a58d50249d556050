using Engine.Cli;
using Engine.Data;
using Engine.Onnx;
using Engine.Tests.TestUtil;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace Engine.Tests.Cli;

/// <summary>
/// `engine export`: each exportable model of the zoo (ModelZoo) written by ModelFile.Save, with non-trivial weights,
/// batch-norm statistics and standardization, is exported; the file gives the engine's outputs for raw images in ONNX
/// Runtime and through `engine predict`, passes onnx.checker with full checks, and mistakes are one line.
/// </summary>
[Collection("Cli")]
public class ExportCliTests : IDisposable
{
    private readonly string _dir = CliRun.TempDir();
    public void Dispose() { try { Directory.Delete(_dir, true); } catch (IOException) { } }

    private string P(string name) => Path.Combine(_dir, name);

    /// <summary>A model file as `engine train` writes it, with random weights and statistics (no training needed).</summary>
    private string ModelFileOf(string name)
    {
        var g = new Generator(5);
        var model = ModelZoo.Build(name, hidden: 24);
        using (Tensor.NoGrad())
        {
            foreach (var (_, p) in model.NamedParameters()) p.Copy_(Tensor.Randn(p.Shape, g).Mul(0.2f));
            foreach (var (n, b) in model.NamedBuffers())
                if (n.EndsWith("running_mean")) b.Copy_(Tensor.Randn(b.Shape, g).Mul(0.1f));
                else if (n.EndsWith("running_var")) b.Copy_(Tensor.Rand(b.Shape, g).Add(0.5f));
        }
        var path = P($"{name}.safetensors");
        ModelFile.Save(path, model, new TrainSettings { Model = name, Hidden = 24 }, new Standardize([0.286f], [0.353f]));
        return path;
    }

    private static Tensor Images(int n)
    {
        var (_, test, _) = DataSource.Load(null);
        return Tensor.FromArray(test.Images[..(n * 784)], n, 1, 28, 28);   // raw pixels in [0,1]
    }

    private static void AssertClose(Tensor expected, float[] actual, float tol, string what)
    {
        float[] e = expected.ToArray();
        Assert.Equal(e.Length, actual.Length);
        for (int i = 0; i < e.Length; i++)
            Assert.True(MathF.Abs(e[i] - actual[i]) <= tol * (1 + MathF.Abs(e[i])), $"{what}: element {i} expected {e[i]}, got {actual[i]}");
    }

    public static TheoryData<string, int> Models => new() { { "mlp", 17 }, { "cnn", 17 }, { "resnet", 17 }, { "mobilenet", 13 }, { "lstm", 17 }, { "lstm", 13 } };

    [Theory]
    [MemberData(nameof(Models))]
    public void TheExportGivesTheEnginesOutputsInOnnxRuntime(string name, int opset)
    {
        var file = ModelFileOf(name);
        var onnx = P($"{name}.onnx");
        var (code, stdout, err) = CliRun.Run("export", "--model-file", file, "--out", onnx, "--opset", opset.ToString(), "--dynamic-batch");
        Assert.True(code == 0, err);
        Assert.Contains($"opset {opset}", stdout);
        Assert.Contains("input 'input' [batch,1,28,28] -> output 'output' [batch,10]", stdout);

        var x = Images(3);
        var engine = Predictor.FromModelFile(file, Device.Cpu);
        Tensor expected;
        using (Tensor.NoGrad()) expected = engine.Run(new Dictionary<string, Tensor> { ["input"] = x })["output"];

        using var session = new InferenceSession(onnx);
        using var results = session.Run([NamedOnnxValue.CreateFromTensor("input", new DenseTensor<float>(x.ToArray(), [3, 1, 28, 28]))]);
        var y = results.First(r => r.Name == "output").AsTensor<float>();
        Assert.Equal([3, 10], y.Dimensions.ToArray());
        AssertClose(expected, y.ToArray(), 1e-4f, $"{name} in ONNX Runtime");

        // engine predict on the .onnx and on the model file: the same logits
        Safetensors.Save(P("x.safetensors"), new Dictionary<string, Tensor> { ["input"] = x });
        (code, _, err) = CliRun.Run("predict", "--model-file", onnx, "--input", P("x.safetensors"), "--output", P("y.safetensors"));
        Assert.True(code == 0, err);
        AssertClose(expected, Safetensors.Load(P("y.safetensors"))["output"].ToArray(), 1e-4f, $"{name} through predict");
    }

    [TorchTheory]
    [InlineData("cnn", 17)]
    [InlineData("resnet", 13)]
    public void TheExportPassesOnnxCheckerWithFullChecks(string name, int opset)
    {
        var onnx = P($"{name}.onnx");
        var (code, _, err) = CliRun.Run("export", "--model-file", ModelFileOf(name), "--out", onnx, "--opset", opset.ToString());
        Assert.True(code == 0, err);
        var report = TorchPython.Run("torch/onnx_check.py", onnx);
        Assert.StartsWith($"ok opset {opset}", report);
        Assert.Contains("Conv", report);
    }

    [Fact]
    public void AStaticBatchIsTheGivenSize()
    {
        var onnx = P("mlp.onnx");
        var (code, stdout, err) = CliRun.Run("export", "--model-file", ModelFileOf("mlp"), "--out", onnx, "--batch", "4");
        Assert.True(code == 0, err);
        Assert.Contains("[4,1,28,28]", stdout);
        var back = OnnxModel.Load(onnx);
        Assert.Equal([4, 1, 28, 28], back.InputShape("input").Select(d => d ?? -1));
        Assert.Contains("standardize.weight", back.NamedParameters().Select(p => p.Name));
        Assert.Contains("model.1.weight", back.NamedParameters().Select(p => p.Name));
    }

    [Theory]
    [InlineData("missing-model", 1, "no such file")]
    [InlineData("onnx-in", 2, "already an ONNX file")]
    [InlineData("opset", 2, "--opset must be between 13 and 17")]
    [InlineData("both", 2, "give one of them")]
    [InlineData("no-out", 2, "--out F.onnx")]
    [InlineData("damaged", 1, "bad.safetensors")]
    public void MistakesAreOneLine(string what, int exit, string message)
    {
        var file = what == "damaged" ? P("bad.safetensors") : ModelFileOf("mlp");
        if (what == "damaged") File.WriteAllBytes(file, [9, 9, 9, 9, 9, 9, 9, 9, 9]);
        if (what == "onnx-in") File.WriteAllBytes(P("m.onnx"), [1]);
        string[] args = what switch
        {
            "missing-model" => ["--model-file", P("nope.safetensors"), "--out", P("o.onnx")],
            "onnx-in" => ["--model-file", P("m.onnx"), "--out", P("o.onnx")],
            "opset" => ["--model-file", file, "--out", P("o.onnx"), "--opset", "11"],
            "both" => ["--model-file", file, "--out", P("o.onnx"), "--batch", "2", "--dynamic-batch"],
            "no-out" => ["--model-file", file],
            _ => ["--model-file", file, "--out", P("o.onnx")],
        };
        var (code, _, err) = CliRun.Run(["export", .. args]);
        Assert.Equal(exit, code);
        Assert.Contains(message, err);
        Assert.Single(err.Trim().Split('\n'));
        Assert.False(File.Exists(P("o.onnx")));
    }
}
