using Engine.Cli;
using Engine.Imaging;

namespace Engine.Tests.Cli;

/// <summary>`engine images --from fashion-mnist`: the PNG folders hold the embedded data's pixels, per class, in train/ and val/.</summary>
[Collection("Cli")]
public class ImagesCommandTests : IDisposable
{
    private readonly string _dir = CliRun.TempDir();
    public void Dispose() { try { Directory.Delete(_dir, true); } catch (IOException) { } }

    [Fact]
    public void WritesAnImageFolderOfTheEmbeddedFashionMnist()
    {
        var outDir = Path.Combine(_dir, "png");
        var (code, stdout, err) = CliRun.Run("images", "--from", "fashion-mnist", "--out", outDir, "--per-class", "3", "--val-per-class", "1");
        Assert.True(code == 0, err + stdout);
        Assert.Contains("wrote 40 PNG images", stdout);
        var train = new ImageFolder(Path.Combine(outDir, "train"), mode: ColorMode.Grey);
        var val = new ImageFolder(Path.Combine(outDir, "val"), mode: ColorMode.Grey);
        Assert.Equal(ImagesCommand.FashionClasses.Order(StringComparer.Ordinal), train.Classes);
        Assert.Equal(train.Classes, val.Classes);
        Assert.Equal(30, train.Count);
        Assert.Equal(10, val.Count);
        Assert.All(train.Classes, c => Assert.Equal(3, train.Labels.Count(l => train.Classes[l] == c)));

        // the first training image of the embedded set, pixel for pixel (PNG is lossless; pixels are k/255)
        var (split, _, _) = DataSource.Load(null);
        var first = Path.Combine(outDir, "train", ImagesCommand.FashionClasses[split.Labels[0]], "00000.png");
        var img = ImageFile.Read(first, ColorMode.Grey);
        Assert.Equal((28, 28), (img.H, img.W));
        for (int k = 0; k < 28 * 28; k++) Assert.True(MathF.Abs(img.Data[k] - split.Images[k]) <= 0.5f / 255, $"pixel {k}");

        Assert.Contains("not empty", VisionBadInputTests.Fails(2, "images", "--from", "fashion-mnist", "--out", outDir));
        Assert.Contains("fashion-mnist", VisionBadInputTests.Fails(2, "images", "--from", "cifar", "--out", Path.Combine(_dir, "x")));
    }
}
