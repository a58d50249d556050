using Engine.Vision;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace Engine.Tests.Cli;

/// <summary>
/// `engine export --arch NAME --weights FILE --size S --out F.onnx`: the graph takes normalized images [N,3,S,S] (the
/// ImageNet normalization is not in the graph) and gives the architecture's logits; ONNX Runtime agrees with the engine.
/// </summary>
[Collection("Cli")]
public class VisionExportTests : IDisposable
{
    private readonly string _dir = CliRun.TempDir();
    public void Dispose() { try { Directory.Delete(_dir, true); } catch (IOException) { } }

    private string P(string name) => Path.Combine(_dir, name);

    /// <summary>
    /// The zoo's architectures export (their exporters live in Engine.Onnx): the file takes [2,3,32,32] and ONNX Runtime
    /// gives the engine's logits on it.
    /// </summary>
    [Theory]
    [InlineData("resnet18")]
    [InlineData("mobilenet_v2")]
    public void ExportsAndOnnxRuntimeAgrees(string arch)
    {
        var w = VisionPredictTests.SaveRandom(P(arch + ".safetensors"), arch, 4);
        var onnx = P(arch + ".onnx");
        var (code, stdout, err) = CliRun.Run("export", "--arch", arch, "--weights", w, "--size", "32", "--batch", "2", "--out", onnx);
        Assert.True(code == 0, err + stdout);
        Assert.Contains("input 'input' [2,3,32,32] -> output 'output' [2,4]", stdout);
        var x = Tensor.Randn(new[] { 2, 3, 32, 32 }, new Generator(5));
        var m = VisionModels.Create(arch, 4);
        m.LoadStateDict(Safetensors.Load(w));
        m.Eval();
        float[] e;
        using (Tensor.NoGrad()) e = m.Forward(x).ToArray();
        using var session = new InferenceSession(onnx);
        using var results = session.Run([NamedOnnxValue.CreateFromTensor("input", new DenseTensor<float>(x.ToArray(), [2, 3, 32, 32]))]);
        var a = results.First(r => r.Name == "output").AsTensor<float>().ToArray();
        Assert.Equal(e.Length, a.Length);
        float scale = e.Max(MathF.Abs);
        for (int i = 0; i < e.Length; i++) Assert.True(MathF.Abs(e[i] - a[i]) <= 1e-4f * (1 + scale), $"logit {i}: engine {e[i]}, ONNX Runtime {a[i]}");
    }

    [Fact]
    public void ExportOptionMistakesAreOneLine()
    {
        var w = VisionPredictTests.SaveRandom(P("m2.safetensors"), "mobilenet_v2", 3);
        Assert.Contains("known:", VisionBadInputTests.Fails(2, "export", "--arch", "nope", "--weights", w, "--out", P("x.onnx")));
        Assert.Contains("two ways", VisionBadInputTests.Fails(2, "export", "--arch", "resnet18", "--weights", w, "--model-file", w, "--out", P("x.onnx")));
        Assert.Contains("--size", VisionBadInputTests.Fails(2, "export", "--model-file", w, "--size", "64", "--out", P("x.onnx")));
        Assert.Contains("not resnet18 weights", VisionBadInputTests.Fails(2, "export", "--arch", "resnet18", "--weights", w, "--out", P("x.onnx")));
    }
}
