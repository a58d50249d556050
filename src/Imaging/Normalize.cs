using Engine.Data;

namespace Engine.Imaging;

/// <summary>
/// torchvision's <c>Normalize(mean, std)</c>: channel c becomes (x - mean[c]) / std[c]. <see cref="ImageNet"/> is the
/// normalization every torchvision classification model was trained with.
/// </summary>
public sealed class Normalize : Transform
{
    /// <summary>ImageNet's per-channel mean (R, G, B) of images in [0, 1].</summary>
    public static readonly float[] ImageNetMean = [0.485f, 0.456f, 0.406f];

    /// <summary>ImageNet's per-channel standard deviation (R, G, B).</summary>
    public static readonly float[] ImageNetStd = [0.229f, 0.224f, 0.225f];

    /// <summary>Normalize(ImageNetMean, ImageNetStd), for the pretrained torchvision models.</summary>
    public static Normalize ImageNet => new(ImageNetMean, ImageNetStd);

    public Normalize(float[] mean, float[] std)
    {
        if (mean.Length != std.Length || mean.Length == 0) throw new ArgumentException($"Normalize: {mean.Length} means and {std.Length} stds; give one of each per channel");
        for (int c = 0; c < std.Length; c++)
            if (!(std[c] > 0)) throw new ArgumentOutOfRangeException(nameof(std), $"Normalize: std[{c}] = {std[c]}, must be positive");
        Mean = (float[])mean.Clone(); Std = (float[])std.Clone();
    }

    public float[] Mean { get; }
    public float[] Std { get; }

    public override Image Apply(Image image)
    {
        if (image.C != Mean.Length) throw new ShapeException($"Normalize: the image has {image.C} channels, the mean and std {Mean.Length} (a grey image with ImageNet's RGB statistics? read it with ColorMode.Rgb)");
        var r = image.Clone();
        for (int c = 0; c < r.C; c++)
        {
            var ch = r.Channel(c);
            // torchvision: tensor.sub_(mean).div_(std), in float32.
            for (int i = 0; i < ch.Length; i++) ch[i] = (ch[i] - Mean[c]) / Std[c];
        }
        return r;
    }
}

/// <summary>The standard pipelines of torchvision's pretrained classification models.</summary>
public static class Presets
{
    /// <summary>
    /// ImageNet evaluation: Resize(resize) of the shorter side, CenterCrop(crop), Normalize.ImageNet; apply it to an image
    /// from <see cref="ImageFile.Read"/> (which is already ToTensor's [0, 1] floats). 256 and 224 for resnet, mobilenet, vgg.
    /// </summary>
    public static Compose ImageNetEval(int resize = 256, int crop = 224) => new(new Resize(resize), new CenterCrop(crop), Normalize.ImageNet);
}
