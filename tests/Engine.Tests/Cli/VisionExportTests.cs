using System.Globalization;
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

    /// <summary>
    /// `engine predict --model-file F.onnx IMAGE...` classifies images with an exported classifier: its fixed batch 1 and
    /// 64x64 input come from the graph, and the probabilities are those of `predict --arch` on the same weights.
    /// </summary>
    [Fact]
    public void AnExportedOnnxClassifierPredictsImagesAsTheArchitectureDoes()
    {
        var w = VisionPredictTests.SaveRandom(P("r18.safetensors"), "resnet18", 7);
        var onnx = P("r18.onnx");
        var (code, stdout, err) = CliRun.Run("export", "--arch", "resnet18", "--weights", w, "--size", "64", "--out", onnx);
        Assert.True(code == 0, err + stdout);
        var a = VisionPredictTests.WritePng(P("a.png"), 80, 100, 1);
        var b = VisionPredictTests.WriteJpeg(P("b.jpg"), 64, 64);
        var c = VisionPredictTests.WritePng(P("c.png"), 70, 50, 2);
        (code, stdout, err) = CliRun.Run("predict", "--model-file", onnx, "--top", "3", a, b, c);
        Assert.True(code == 0, err + stdout);
        var lines = stdout.Trim().Split('\n').Select(l => l.TrimEnd('\r')).ToArray();
        Assert.Equal(3, lines.Length);
        var expected = VisionPredictTests.Expected("resnet18", w, 73, 64, a, b, c);   // resize: round(64 * 256 / 224) = 73
        var images = new[] { a, b, c };
        for (int i = 0; i < 3; i++)
        {
            var (image, top) = VisionPredictTests.ParseLine(lines[i]);
            Assert.Equal(images[i], image);
            var order = Enumerable.Range(0, 7).OrderByDescending(j => expected[i][j]).Take(3).ToArray();
            Assert.Equal(3, top.Count);
            for (int r = 0; r < 3; r++)
            {
                int j = int.Parse(top[r].cls, CultureInfo.InvariantCulture);
                Assert.True(Math.Abs(expected[i][j] - top[r].p) <= 2e-4, $"{lines[i]}: class {j} expected {expected[i][j]}");
            }
            Assert.Equal(order[0].ToString(CultureInfo.InvariantCulture), top[0].cls);
        }
        // The graph fixes the size: another --size is one line; so is a labels file of the wrong length.
        Assert.Contains("drop --size", VisionBadInputTests.Fails(2, "predict", "--model-file", onnx, "--size", "32", a));
        File.WriteAllLines(P("labels.txt"), ["x", "y"]);
        Assert.Contains("has 7", VisionBadInputTests.Fails(2, "predict", "--model-file", onnx, "--labels", P("labels.txt"), a));
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
