using System.Text.Json;
using Engine.Tests.TestUtil;
using Xunit.Abstractions;
using Xunit.Sdk;

namespace Engine.Vision.Tests;

/// <summary>
/// Writes the goldens once per run: fixtures/torch/gen_vision.py builds each torchvision 0.14 model with seed 15,
/// perturbs every BatchNorm's statistics and affine terms, and saves state dict + input + eval logits as safetensors;
/// with --keys it lists the names and shapes of the full-size (1000-class) models.
/// </summary>
public sealed class TorchvisionGoldens : IDisposable
{
    public static readonly string[] Archs =
        ["resnet18", "resnet34", "resnet50", "mobilenet_v2", "mobilenet_v3_small", "mobilenet_v3_large", "efficientnet_b0", "vgg11_bn_reduced"];

    private readonly Lazy<string> _dir = new(() =>
    {
        var dir = TorchPython.TempDir("vision-goldens");
        TorchPython.Run("torch/gen_vision.py", [dir, .. Archs]);
        TorchPython.Run("torch/gen_vision.py", ["--keys", dir, "vgg11_bn", .. Archs.Where(a => !a.EndsWith("_reduced"))]);
        return dir;
    });

    public string PathOf(string file) => Path.Combine(_dir.Value, file);

    public void Dispose()
    {
        if (_dir.IsValueCreated) try { Directory.Delete(_dir.Value, true); } catch (IOException) { }
    }
}

/// <summary>
/// Each architecture against torchvision: the state dict loads strict (num_batches_tracked included, as I64), and the
/// eval logits of a batch of 2 at 64x64 (32x32 for the reduced vgg) agree within 1e-4 of their largest magnitude.
/// </summary>
public class TorchvisionParityTests(TorchvisionGoldens goldens, ITestOutputHelper output) : IClassFixture<TorchvisionGoldens>
{
    public static TheoryData<string> Archs => new(TorchvisionGoldens.Archs);

    /// <summary>vgg11_bn at 1/8 width with a 64-wide classifier: torchvision's VGG class, names and math (see the generator).</summary>
    internal static Module Build(string arch) => arch == "vgg11_bn_reduced"
        ? new Vgg(Vgg.ConfigA.Select(c => c / 8).ToArray(), numClasses: 10, hidden: 64)
        : VisionModels.Create(arch, numClasses: 10);

    [TorchTheory, MemberData(nameof(Archs))]
    public void LogitsMatchTorchvision(string arch)
    {
        var all = Safetensors.Load(goldens.PathOf(arch + ".safetensors"));
        try
        {
            var x = all["__input__"]; var want = all["__logits__"].ToArray();
            var state = all.Where(kv => !kv.Key.StartsWith("__")).ToDictionary(kv => kv.Key, kv => kv.Value);
            var model = Build(arch);
            VisionModels.LoadStateDict(model, state, arch);
            model.Eval();
            using var _ = Tensor.NoGrad();
            var y = model.Forward(x);
            Assert.Equal([2, 10], y.Shape.ToArray());
            var got = y.ToArray();
            double scale = want.Max(v => Math.Abs(v)), err = want.Zip(got, (a, b) => Math.Abs(a - b)).Max();
            output.WriteLine($"{arch}: max |logit| {scale:G4}, max |diff| {err:G3}, relative {err / scale:G3}");
            if (!(err <= 1e-4 * scale))
                throw new XunitException($"{arch}: logits differ from torchvision's by {err:G4}, more than 1e-4 of their scale {scale:G4}");
        }
        finally { foreach (var t in all.Values) t.Dispose(); }
    }

    public static TheoryData<string> FullSize => new(VisionModels.Names);

    [TorchTheory, MemberData(nameof(FullSize))]
    public void FullSizeNamesAndShapesAreTorchvisions(string arch)
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(goldens.PathOf(arch + ".keys.json")));
        var want = doc.RootElement.EnumerateArray()
            .Select(e => $"{e[0].GetString()} [{string.Join(",", e[1].EnumerateArray().Select(d => d.GetInt32()))}]").ToList();
        var model = VisionModels.Create(arch);
        var mine = model.NamedParameters().Concat(model.NamedBuffers())
            .Select(p => $"{p.Item1} [{string.Join(",", p.Item2.Shape.ToArray())}]").ToList();
        // Same names with the same shapes (num_batches_tracked a scalar on both sides); the order may differ.
        var missing = want.Except(mine).ToList();
        var extra = mine.Except(want).ToList();
        Assert.True(missing.Count == 0 && extra.Count == 0,
            $"{arch}: torchvision has but the engine lacks {string.Join("; ", missing.Take(10))}; the engine has extra {string.Join("; ", extra.Take(10))}");
        Assert.Equal(want.Count, mine.Count);
    }
}
