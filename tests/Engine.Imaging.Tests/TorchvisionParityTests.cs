using System.Text.Json;
using Engine.Data;
using Engine.Tests.TestUtil;

namespace Engine.Imaging.Tests;

/// <summary>Runs images_gen.py once for the class: PIL writes the images, torchvision computes what Engine must.</summary>
public sealed class TorchvisionImages : IDisposable
{
    private readonly Lazy<string> _dir = new(() =>
    {
        var dir = TorchPython.TempDir("engine-img");
        TorchPython.Run("torch/images_gen.py", dir);
        return dir;
    });

    public string PathOf(string name) => Path.Combine(_dir.Value, name);

    /// <summary>Array NAME.f32 with its shape from index.json.</summary>
    public (int[] shape, float[] values) Array(string name)
    {
        var index = JsonDocument.Parse(File.ReadAllText(PathOf("index.json"))).RootElement;
        var shape = index.GetProperty(name).EnumerateArray().Select(e => e.GetInt32()).ToArray();
        var bytes = File.ReadAllBytes(PathOf(name + ".f32"));
        var v = new float[bytes.Length / 4];
        Buffer.BlockCopy(bytes, 0, v, 0, bytes.Length);
        return (shape, v);
    }

    public void Dispose()
    {
        if (_dir.IsValueCreated) Directory.Delete(_dir.Value, recursive: true);
    }
}

/// <summary>
/// Decoding, Resize, CenterCrop, Normalize and the ImageNet eval pipeline against torchvision 0.14 and PIL on the same
/// files. Tolerances: PNG decoding exact; Resize/CenterCrop/Normalize on floats 1e-5; PIL's uint8 resize within 1/255
/// of the float resize; JPEG within 2 levels of libjpeg-turbo without chroma subsampling, 16 (mean 4) with 4:2:0.
/// </summary>
public sealed class TorchvisionParityTests(TorchvisionImages tv) : IClassFixture<TorchvisionImages>
{
    private static void Same((int[] shape, float[] values) expected, Image actual, double tol, string what)
    {
        Assert.Equal(expected.shape, new[] { actual.C, actual.H, actual.W });
        double max = 0;
        for (int i = 0; i < expected.values.Length; i++) max = Math.Max(max, Math.Abs(expected.values[i] - actual.Data[i]));
        Assert.True(max <= tol, $"{what}: max |torchvision - engine| = {max:g4} > {tol:g4}");
    }

    [TorchTheory]
    [InlineData("rgb")]
    [InlineData("grey")]
    [InlineData("rgba")]
    [InlineData("palette")]
    public void PngDecodesExactlyAsPilAndToTensor(string name) =>
        Same(tv.Array("decode_" + name), ImageFile.Read(tv.PathOf(name + ".png")), 0, name + ".png");

    [TorchFact]
    public void GreyModeIsPilsConvertL() =>
        Same(tv.Array("decode_grey_L"), ImageFile.Read(tv.PathOf("rgb.png"), ColorMode.Grey), 0, "convert('L')");

    // Without chroma subsampling ImageSharp's IDCT is libjpeg-turbo's to 2 levels (mean 0.02). With 4:2:0 chroma (PIL's
    // default) the two upsample the chroma planes differently (libjpeg's "fancy" triangle filter): measured max 12,
    // mean 3.5 levels on this strongly coloured test image; that is the documented tolerance of JPEG input.
    [TorchTheory]
    [InlineData("photo", 16, 4.0)]
    [InlineData("photo444", 2, 0.1)]
    public void JpegDecodesCloseToLibjpeg(string name, int maxLevels, double meanLevels)
    {
        var expected = tv.Array("decode_" + name);
        var img = ImageFile.Read(tv.PathOf(name + ".jpg"));
        double mean = expected.values.Zip(img.Data, (a, b) => Math.Abs(a - b)).Average() * 255;
        double max = expected.values.Zip(img.Data, (a, b) => Math.Abs(a - b)).Max() * 255;
        Assert.True(max <= maxLevels && mean <= meanLevels, $"{name}.jpg: |libjpeg - ImageSharp| max {max:f1}, mean {mean:f2} levels");
    }

    [TorchTheory]
    [InlineData("resize_80x61", 80, 61)]
    [InlineData("resize_20x100", 20, 100)]
    [InlineData("resize_5x7", 5, 7)]
    public void ResizeMatchesTorchvisionAntialiasedBilinear(string name, int h, int w) =>
        Same(tv.Array(name), new Resize(h, w).Apply(ImageFile.Read(tv.PathOf("rgb.png"))), 1e-5, name);

    [TorchFact]
    public void ResizeOfTheShorterSideKeepsTorchvisionsAspectRounding()
    {
        var x = ImageFile.Read(tv.PathOf("rgb.png"));
        Same(tv.Array("resize_short24"), new Resize(24).Apply(x), 1e-5, "Resize(24)");
        // PIL resizes uint8 pixels, rounding after each pass: within 1/255 of the float result.
        Same(tv.Array("pil_resize24"), new Resize(24).Apply(x), 1.0 / 255 + 1e-6, "PIL Resize(24)");
    }

    [TorchTheory]
    [InlineData("crop_20x31", 20, 31)]
    [InlineData("crop_41x60", 41, 60)]
    public void CenterCropMatchesTorchvisionIncludingPadding(string name, int h, int w) =>
        Same(tv.Array(name), new CenterCrop(h, w).Apply(ImageFile.Read(tv.PathOf("rgb.png"))), 0, name);

    [TorchFact]
    public void TheImageNetEvalPipelineMatchesTorchvision() =>
        // 1e-4 after dividing by std (~0.225): 2.3e-5 in [0, 1] pixel units, torch's float32 weights over ~2 taps per
        // axis at scale 300/256 against the double weights here.
        Same(tv.Array("eval_big"), Presets.ImageNetEval().Apply(ImageFile.Read(tv.PathOf("big.png"))), 1e-4, "Resize(256)+CenterCrop(224)+Normalize");
}
