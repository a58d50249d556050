using System.Globalization;
using System.Text.Json;
using Engine.Cli;
using Engine.Data;
using Engine.Tests.TestUtil;
using Engine.Vision;

namespace Engine.Tests.Cli;

/// <summary>
/// `engine predict --arch NAME --weights FILE IMAGE...`: the printed top-k probabilities are the softmax of the engine's
/// own forward pass on the same preprocessed images (torchvision's eval preset at a small --size), in order; --json
/// lines parse; --labels names the classes; --input/--output runs a raw tensor; a .pth written by torch gives torch's logits.
/// </summary>
[Collection("Cli")]
public class VisionPredictTests : IDisposable
{
    private readonly string _dir = CliRun.TempDir();
    public void Dispose() { try { Directory.Delete(_dir, true); } catch (IOException) { } }

    private string P(string name) => Path.Combine(_dir, name);

    /// <summary>A randomly initialized model of arch saved as safetensors (the engine's own init, seeded).</summary>
    internal static string SaveRandom(string path, string arch, int classes, int seed = 3)
    {
        Seed.Everything(seed);
        var m = VisionModels.Create(arch, classes);
        Safetensors.Save(path, m.StateDict());
        return path;
    }

    /// <summary>A small RGB PNG (h x w) with a smooth seeded pattern.</summary>
    internal static string WritePng(string path, int h, int w, int seed)
    {
        var px = new byte[h * w * 3];
        var r = new Random(seed);
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
                for (int c = 0; c < 3; c++)
                    px[(y * w + x) * 3 + c] = (byte)Math.Clamp(128 + 100 * Math.Sin((x + 3 * c + seed) * 0.2) * Math.Cos(y * 0.15) + r.Next(-20, 20), 0, 255);
        Png.Write(path, px, w, h, 3);
        return path;
    }

    internal static string WriteJpeg(string path, int h, int w)
    {
        using var img = new SixLabors.ImageSharp.Image<SixLabors.ImageSharp.PixelFormats.Rgb24>(w, h);
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
                img[x, y] = new SixLabors.ImageSharp.PixelFormats.Rgb24((byte)(x * 4), (byte)(y * 3), (byte)(255 - x * 2));
        SixLabors.ImageSharp.ImageExtensions.Save(img, path, new SixLabors.ImageSharp.Formats.Jpeg.JpegEncoder { Quality = 90 });
        return path;
    }

    /// <summary>The engine's own probabilities: the same weights, the same preprocessing, softmax of the logits.</summary>
    internal static double[][] Expected(string arch, string weights, int resize, int size, params string[] images)
    {
        var state = weights.EndsWith(".pth", StringComparison.Ordinal) ? TorchCheckpoint.Load(weights) : Safetensors.Load(weights);
        var head = state[VisionWeights.HeadName(arch) + ".weight"];
        var m = VisionModels.Create(arch, head.Shape[0]);
        m.LoadStateDict(state);
        m.Eval();
        using var _ = Tensor.NoGrad();
        var x = Tensor.Stack(images.Select(f => ImagePredict.Preprocess(f, resize, size)).ToList());
        var logits = m.Forward(x).ToArray();
        int k = head.Shape[0];
        return images.Select((_, i) =>
        {
            var z = logits.AsSpan(i * k, k).ToArray().Select(v => (double)v).ToArray();
            double max = z.Max(), sum = z.Sum(v => Math.Exp(v - max));
            return z.Select(v => Math.Exp(v - max) / sum).ToArray();
        }).ToArray();
    }

    /// <summary>"path: c p, c p, ..." as (class, prob) pairs.</summary>
    internal static (string image, List<(string cls, double p)> top) ParseLine(string line)
    {
        int colon = line.LastIndexOf(": ", StringComparison.Ordinal);
        var pairs = line[(colon + 2)..].Split(", ").Select(s =>
        {
            int sp = s.LastIndexOf(' ');
            return (s[..sp], double.Parse(s[(sp + 1)..], CultureInfo.InvariantCulture));
        }).ToList();
        return (line[..colon], pairs);
    }

    [Fact]
    public void PrintsTheTopKOfTheEnginesOwnForwardOneLinePerImage()
    {
        var w = SaveRandom(P("r18.safetensors"), "resnet18", 7);
        var a = WritePng(P("a.png"), 80, 100, 1);
        var b = WriteJpeg(P("b.jpg"), 64, 64);
        var c = WritePng(P("c.png"), 70, 50, 2);
        var (code, stdout, err) = CliRun.Run("predict", "--arch", "resnet18", "--weights", w, "--size", "64", "--top", "3", a, b, c);
        Assert.True(code == 0, err + stdout);
        var lines = stdout.Trim().Split('\n').Select(l => l.TrimEnd('\r')).ToArray();
        Assert.Equal(3, lines.Length);
        var expected = Expected("resnet18", w, 73, 64, a, b, c);   // resize: round(64 * 256 / 224) = 73
        var images = new[] { a, b, c };
        for (int i = 0; i < 3; i++)
        {
            var (image, top) = ParseLine(lines[i]);
            Assert.Equal(images[i], image);
            Assert.Equal(3, top.Count);
            var order = Enumerable.Range(0, 7).OrderByDescending(j => expected[i][j]).Take(3).ToArray();
            for (int r = 0; r < 3; r++)
            {
                Assert.Equal(order[r].ToString(CultureInfo.InvariantCulture), top[r].cls);
                Assert.True(Math.Abs(expected[i][order[r]] - top[r].p) <= 6e-5, $"{lines[i]}: class {order[r]} expected {expected[i][order[r]]}");
            }
            Assert.True(top[0].p >= top[1].p && top[1].p >= top[2].p, lines[i]);
        }
    }

    [Fact]
    public void JsonLinesParseAndNameTheClassesFromLabels()
    {
        var w = SaveRandom(P("m2.safetensors"), "mobilenet_v2", 4);
        var labels = P("labels.txt");
        string[] names = ["cat \"tabby\"", "dög", "back\\slash", "plain"];
        File.WriteAllLines(labels, names);
        var a = WritePng(P("q\"uote.png"), 40, 48, 5);
        var (code, stdout, err) = CliRun.Run("predict", "--arch", "mobilenet_v2", "--weights", w, "--size", "32", "--labels", labels, "--json", a);
        Assert.True(code == 0, err + stdout);
        var line = Assert.Single(stdout.Trim().Split('\n'));
        using var doc = JsonDocument.Parse(line);
        Assert.Equal(a, doc.RootElement.GetProperty("image").GetString());
        var top = doc.RootElement.GetProperty("top").EnumerateArray().ToList();
        Assert.Equal(4, top.Count);   // --top 5 is capped at the 4 classes
        var expected = Expected("mobilenet_v2", w, 37, 32, a)[0];
        double prev = 1;
        foreach (var pair in top)
        {
            string name = pair[0].GetString()!;
            double p = pair[1].GetDouble();
            int cls = Array.IndexOf(names, name);
            Assert.True(cls >= 0, $"'{name}' is not one of the labels");
            Assert.True(Math.Abs(expected[cls] - p) <= 1e-6, $"{name}: expected {expected[cls]}, got {p}");
            Assert.True(p <= prev);
            prev = p;
        }
        Assert.Equal(1.0, top.Sum(t => t[1].GetDouble()), 6);
    }

    [Fact]
    public void InputTensorRunsThroughTheArchitecture()
    {
        var w = SaveRandom(P("m2.safetensors"), "mobilenet_v2", 5);
        var x = Tensor.Randn(new[] { 2, 3, 32, 32 }, new Generator(4));
        Safetensors.Save(P("x.safetensors"), new Dictionary<string, Tensor> { ["input"] = x });
        var (code, stdout, err) = CliRun.Run("predict", "--arch", "mobilenet_v2", "--weights", w, "--input", P("x.safetensors"), "--output", P("y.safetensors"));
        Assert.True(code == 0, err + stdout);
        var y = Safetensors.Load(P("y.safetensors"))["output"];
        var m = VisionModels.Create("mobilenet_v2", 5);
        m.LoadStateDict(Safetensors.Load(w));
        m.Eval();
        using var _ = Tensor.NoGrad();
        var e = m.Forward(x);
        Assert.Equal(e.Shape, y.Shape);
        Assert.Equal(e.ToArray(), y.ToArray());
    }

    [TorchFact]
    public void APthWrittenByTorchGivesTorchsLogits()
    {
        var dir = TorchPython.TempDir("predict-pth");
        try
        {
            TorchPython.Run("torch/vision_predict_gen.py", dir, "resnet18", "6", "48");
            var io = TorchCheckpoint.Load(Path.Combine(dir, "resnet18_io.pth"));
            Safetensors.Save(P("x.safetensors"), new Dictionary<string, Tensor> { ["input"] = io["input"] });
            var pth = Path.Combine(dir, "resnet18.pth");
            var (code, stdout, err) = CliRun.Run("predict", "--arch", "resnet18", "--weights", pth, "--input", P("x.safetensors"), "--output", P("y.safetensors"));
            Assert.True(code == 0, err + stdout);
            float[] e = io["output"].ToArray(), a = Safetensors.Load(P("y.safetensors"))["output"].ToArray();
            float scale = e.Max(MathF.Abs);
            for (int i = 0; i < e.Length; i++) Assert.True(MathF.Abs(e[i] - a[i]) <= 1e-4f * scale, $"logit {i}: torch {e[i]}, engine {a[i]}");

            // ... and the images path reads the same .pth.
            var img = WritePng(P("a.png"), 50, 60, 9);
            (code, stdout, err) = CliRun.Run("predict", "--arch", "resnet18", "--weights", pth, "--size", "48", "--top", "2", img);
            Assert.True(code == 0, err + stdout);
            var expected = Expected("resnet18", pth, 55, 48, img)[0];
            var (_, top) = ParseLine(stdout.Trim());
            int best = Array.IndexOf(expected, expected.Max());
            Assert.Equal(best.ToString(CultureInfo.InvariantCulture), top[0].cls);
            Assert.True(Math.Abs(expected[best] - top[0].p) <= 6e-5);
        }
        finally { Directory.Delete(dir, true); }
    }

    [Fact]
    public void TheHeadNameOfEachArchitectureIsItsLastLinear()
    {
        foreach (var arch in VisionModels.Names.Where(a => a != "vgg11_bn"))   // vgg: 130M parameters; its head is checked by name below
        {
            var m = VisionModels.Create(arch, 3);
            var last = m.NamedParameters().Last(p => p.Parameter.Rank == 2);
            Assert.Equal(VisionWeights.HeadName(arch) + ".weight", last.Name);
            Assert.Equal(3, last.Parameter.Shape[0]);
        }
        var vgg = new Vgg(Vgg.ConfigA, 3, hidden: 16);
        Assert.Equal(VisionWeights.HeadName("vgg11_bn") + ".weight", vgg.NamedParameters().Last(p => p.Parameter.Rank == 2).Name);
    }
}
