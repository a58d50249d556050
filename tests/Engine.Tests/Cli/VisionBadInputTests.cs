namespace Engine.Tests.Cli;

/// <summary>
/// Bad input to `engine predict --arch --weights IMAGE...`: each is one line on stderr, no stack trace, and the exit
/// code of docs/cli.md's table (1: a missing or damaged file, 2: input that does not fit), naming what was wrong.
/// </summary>
[Collection("Cli")]
public class VisionBadInputTests : IDisposable
{
    private readonly string _dir = CliRun.TempDir();
    private readonly string _img;
    public VisionBadInputTests() => _img = VisionPredictTests.WritePng(Path.Combine(_dir, "x.png"), 40, 40, 7);
    public void Dispose() { try { Directory.Delete(_dir, true); } catch (IOException) { } }

    private string P(string name) => Path.Combine(_dir, name);

    /// <summary>Runs the command, checks the exit code and the single stderr line, and returns that line.</summary>
    internal static string Fails(int expected, params string[] args)
    {
        var (code, stdout, err) = CliRun.Run(args);
        Assert.True(code == expected, $"engine {string.Join(' ', args)}: exit {code}, expected {expected}\n{err}{stdout}");
        var line = Assert.Single(err.Trim().Split('\n'));
        Assert.DoesNotContain("   at ", err);
        Assert.StartsWith("engine: ", line);
        return line;
    }

    [Fact]
    public void AFileThatIsNotAnImageIsNamed()
    {
        var w = VisionPredictTests.SaveRandom(P("w.safetensors"), "mobilenet_v2", 3);
        var good = VisionPredictTests.WritePng(P("good.png"), 40, 40, 1);
        File.WriteAllText(P("notes.png"), "these are my notes, not a picture");
        var line = Fails(1, "predict", "--arch", "mobilenet_v2", "--weights", w, "--size", "32", good, P("notes.png"));
        Assert.Contains("notes.png", line);
        Assert.Contains("not a PNG or JPEG", line);
        line = Fails(1, "predict", "--arch", "mobilenet_v2", "--weights", w, P("missing.jpg"));
        Assert.Contains("missing.jpg", line);
    }

    [Fact]
    public void AnUnknownArchListsTheKnownOnes()
    {
        var line = Fails(2, "predict", "--arch", "resnet1000", "--weights", P("w.safetensors"), _img);
        Assert.Contains("resnet1000", line);
        foreach (var a in Engine.Vision.VisionModels.Names) Assert.Contains(a, line);
    }

    [Fact]
    public void WeightsOfAnotherArchitectureListTheKeysAndShapes()
    {
        // mobilenet_v2 has no fc: the head the class count comes from is missing
        var m2 = VisionPredictTests.SaveRandom(P("m2.safetensors"), "mobilenet_v2", 3);
        var line = Fails(2, "predict", "--arch", "resnet18", "--weights", m2, _img);
        Assert.Contains("not resnet18 weights", line);
        Assert.Contains("'fc.weight'", line);
        Assert.Contains("'features.0.0.weight'", line);

        // resnet34 has resnet18's head and names, and more blocks: the extra keys are listed with their shapes
        var r34 = VisionPredictTests.SaveRandom(P("r34.safetensors"), "resnet34", 3);
        line = Fails(2, "predict", "--arch", "resnet18", "--weights", r34, _img);
        Assert.Contains("do not fit --arch resnet18", line);
        Assert.Contains("unexpected key 'layer1.2.", line);
        Assert.Contains("96 unexpected", line);
        Assert.Contains("(shape [64])", line);

        // a head of another width (vgg-sized features would be another model): a shape mismatch names both shapes
        var r18 = Engine.Vision.VisionModels.Create("resnet18", 3).StateDict();
        r18["layer1.0.conv1.weight"] = Tensor.Zeros(64, 64, 1, 1);
        Safetensors.Save(P("bad18.safetensors"), r18);
        line = Fails(2, "predict", "--arch", "resnet18", "--weights", P("bad18.safetensors"), _img);
        Assert.Contains("shape mismatch for 'layer1.0.conv1.weight'", line);
    }

    [Fact]
    public void WeightsThatAreNoStateDictAreADamagedFile()
    {
        File.WriteAllText(P("w.pth"), "PK\u0003\u0004 not really a zip");
        Assert.Contains("w.pth", Fails(1, "predict", "--arch", "resnet18", "--weights", P("w.pth"), _img));
        File.WriteAllText(P("w.dat"), "neither format");
        Assert.Contains("neither a safetensors", Fails(1, "predict", "--arch", "resnet18", "--weights", P("w.dat"), _img));
        Assert.Contains("no such file", Fails(1, "predict", "--arch", "resnet18", "--weights", P("none.safetensors"), _img));
    }

    [Fact]
    public void LabelsOfAnotherClassCountSayHowTheHeadIsReplaced()
    {
        var w = VisionPredictTests.SaveRandom(P("w.safetensors"), "mobilenet_v2", 3);
        var img = VisionPredictTests.WritePng(P("a.png"), 40, 40, 1);
        File.WriteAllLines(P("labels.txt"), ["a", "b", "c", "d"]);
        var line = Fails(2, "predict", "--arch", "mobilenet_v2", "--weights", w, "--labels", P("labels.txt"), img);
        Assert.Contains("4 classes", line);
        Assert.Contains("has 3", line);
        Assert.Contains("engine finetune", line);
    }

    [Fact]
    public void ImagesAndOptionsThatDoNotGoTogetherAreUsageErrors()
    {
        Assert.Contains("--arch NAME --weights FILE", Fails(2, "predict", "--model-file", P("model.safetensors"), "a.png"));
        Assert.Contains("not both", Fails(2, "predict", "--model-file", P("m.onnx"), "--input", P("x"), "a.png"));
        Assert.Contains("--weights FILE", Fails(2, "predict", "--arch", "resnet18", "a.png"));
        Assert.Contains("--size", Fails(2, "predict", "--arch", "resnet18", "--weights", P("w"), "--size", "16", "a.png"));
        Assert.Contains("not both", Fails(2, "predict", "--arch", "resnet18", "--weights", P("w"), "--input", P("x"), "a.png"));
    }
}
