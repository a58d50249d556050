using System.Globalization;
using Engine.Cli;
using Engine.Data;
using Engine.Vision;

namespace Engine.Tests.Cli;

/// <summary>
/// `engine finetune`: a tiny generated image folder (3 colour classes of 32x32 PNGs), a short run at --size 32, then
/// `engine predict --weights RUN/weights.safetensors` reads the result back with the folder's class names, gives the
/// fine-tuned model's own predictions, and has learned the colours; --freeze-backbone leaves the backbone's weights as
/// the file had them; head mismatches and bad folders are one-line errors.
/// </summary>
[Collection("Cli")]
public class FinetuneTests : IDisposable
{
    private readonly string _dir = CliRun.TempDir();
    public void Dispose() { try { Directory.Delete(_dir, true); } catch (IOException) { } }

    private string P(string name) => Path.Combine(_dir, name);

    private static readonly string[] Colours = ["blue", "green", "red"];   // sorted, as ImageFolder labels them

    /// <summary>root/CLASS/i.png: noisy 32x32 images whose dominant channel is the class's colour.</summary>
    internal static string ColourFolder(string root, int perClass, int seed = 1)
    {
        var r = new Random(seed);
        foreach (var (name, channel) in new[] { ("red", 0), ("green", 1), ("blue", 2) })
        {
            Directory.CreateDirectory(Path.Combine(root, name));
            for (int i = 0; i < perClass; i++)
            {
                var px = new byte[32 * 32 * 3];
                for (int k = 0; k < 32 * 32; k++)
                    for (int c = 0; c < 3; c++)
                        px[k * 3 + c] = (byte)(c == channel ? r.Next(150, 256) : r.Next(0, 110));
                Png.Write(Path.Combine(root, name, $"{i}.png"), px, 32, 32, 3);
            }
        }
        return root;
    }

    [Fact]
    public void FinetunesAFolderAndPredictReadsTheResultBack()
    {
        var data = ColourFolder(P("colours"), perClass: 8);
        var start = VisionPredictTests.SaveRandom(P("start.safetensors"), "resnet18", 5);   // another class count: the head is replaced
        var run = P("run");
        var (code, stdout, err) = CliRun.Run("finetune", "--arch", "resnet18", "--weights", start, "--data", data, "--size", "32",
            "--epochs", "6", "--batch", "6", "--lr", "0.003", "--val-fraction", "0.25", "--min-scale", "0.5", "--run-dir", run, "--plain");
        Assert.True(code == 0, err + stdout);
        Assert.Contains("head 'fc' replaced (5 -> 3 classes", stdout);
        Assert.Contains("18 training, 6 validation images", stdout);
        foreach (var f in new[] { "weights.safetensors", "labels.txt", "history.csv", "config.json", "last.safetensors" })
            Assert.True(File.Exists(Path.Combine(run, f)), $"{f} missing in the run folder; files: {string.Join(", ", Directory.GetFiles(run).Select(Path.GetFileName))}");
        Assert.Equal(Colours, File.ReadAllLines(Path.Combine(run, "labels.txt")));

        // predict: names from the weights' metadata, the fine-tuned model's own argmax, and the colours learned
        var weights = Path.Combine(run, "weights.safetensors");
        var probes = Colours.Select(c => Path.Combine(data, c, "0.png")).Concat(Colours.Select(c => Path.Combine(data, c, "5.png"))).ToArray();
        (code, stdout, err) = CliRun.Run(["predict", "--arch", "resnet18", "--weights", weights, "--size", "32", "--top", "1", .. probes]);
        Assert.True(code == 0, err + stdout);
        var lines = stdout.Trim().Split('\n').Select(l => l.TrimEnd('\r')).ToArray();
        Assert.Equal(probes.Length, lines.Length);

        var m = VisionModels.Create("resnet18", 3);
        m.LoadStateDict(Safetensors.Load(weights));
        m.Eval();
        int right = 0;
        using (Tensor.NoGrad())
            for (int i = 0; i < probes.Length; i++)
            {
                var logits = m.Forward(ImagePredict.Preprocess(probes[i], 37, 32).Unsqueeze(0)).ToArray();
                int best = Array.IndexOf(logits, logits.Max());
                string predicted = lines[i][(lines[i].LastIndexOf(": ", StringComparison.Ordinal) + 2)..].Split(' ')[0];
                Assert.Equal(Colours[best], predicted);
                if (predicted == Path.GetFileName(Path.GetDirectoryName(probes[i]))) right++;
            }
        Assert.True(right >= 5, $"{right} of {probes.Length} probe images right after fine-tuning:\n{stdout}\n{File.ReadAllText(Path.Combine(run, "history.csv"))}");
    }

    [Fact]
    public void AFrozenBackboneKeepsTheFilesWeights()
    {
        var data = ColourFolder(P("colours"), perClass: 4);
        var start = VisionPredictTests.SaveRandom(P("start.safetensors"), "mobilenet_v2", 3);   // the same class count: the head is kept
        var run = P("run");
        var (code, stdout, err) = CliRun.Run("finetune", "--arch", "mobilenet_v2", "--weights", start, "--data", data, "--size", "32",
            "--epochs", "1", "--batch", "4", "--freeze-backbone", "--run-dir", run, "--plain");
        Assert.True(code == 0, err + stdout);
        Assert.Contains("backbone frozen", stdout);
        Assert.Contains("3-class head 'classifier.1' from", stdout);
        var before = Safetensors.Load(start);
        var after = Safetensors.Load(Path.Combine(run, "weights.safetensors"));
        foreach (var key in new[] { "features.0.0.weight", "features.18.0.weight", "features.5.conv.1.0.weight" })
            Assert.Equal(before[key].ToArray(), after[key].ToArray());
        Assert.NotEqual(before["classifier.1.weight"].ToArray(), after["classifier.1.weight"].ToArray());
    }

    [Fact]
    public void HeadAndFolderMistakesAreOneLine()
    {
        var data = ColourFolder(P("colours"), perClass: 3);
        var start = VisionPredictTests.SaveRandom(P("start.safetensors"), "mobilenet_v2", 5);
        var line = VisionBadInputTests.Fails(2, "finetune", "--arch", "mobilenet_v2", "--weights", start, "--data", data, "--keep-head", "--run-dir", P("r1"));
        Assert.Contains("5 classes, the image folder 3", line);
        Assert.Contains("--replace-head", line);
        line = VisionBadInputTests.Fails(2, "finetune", "--arch", "resnet18", "--weights", start, "--data", data, "--run-dir", P("r2"));
        Assert.Contains("not resnet18 weights", line);
        line = VisionBadInputTests.Fails(1, "finetune", "--arch", "resnet18", "--data", P("nowhere"), "--run-dir", P("r3"));
        Assert.Contains("nowhere", line);
        Directory.CreateDirectory(P("flat"));
        File.Copy(Path.Combine(data, "red", "0.png"), P("flat/0.png"));
        line = VisionBadInputTests.Fails(1, "finetune", "--arch", "resnet18", "--data", P("flat"), "--run-dir", P("r4"));
        Assert.Contains("no sub-folders", line);
        line = VisionBadInputTests.Fails(2, "finetune", "--arch", "resnet18", "--data", data, "--freeze-backbone", "--backbone-lr", "0.001");
        Assert.Contains("give one of them", line);
        Assert.False(Directory.Exists(P("r1")) || Directory.Exists(P("r2")), "a refused finetune wrote a run folder");
    }
}
