namespace Engine.Data;

/// <summary>
/// Inception-style crop (Szegedy et al. 2015; torchvision's RandomResizedCrop): a window with area a fraction
/// s ~ U(scale) of the image and aspect ratio w/h = exp(U(log ratio)), at a uniform position, resized
/// bilinearly to height x width. After 10 failed tries it falls back to the largest centred window whose
/// ratio is clamped to the range.
/// </summary>
public sealed class RandomResizedCrop : RandomTransform
{
    public RandomResizedCrop(int height, int width, (double min, double max)? scale = null, (double min, double max)? ratio = null, Generator? generator = null) : base(generator)
    {
        Height = height; Width = width;
        Scale = scale ?? (0.08, 1.0);
        Ratio = ratio ?? (3.0 / 4, 4.0 / 3);
        if (height <= 0 || width <= 0) throw new ArgumentOutOfRangeException(nameof(height), $"RandomResizedCrop: size {height}x{width} must be positive");
        if (!(Scale.min > 0 && Scale.min <= Scale.max && Scale.max <= 1)) throw new ArgumentOutOfRangeException(nameof(scale), $"RandomResizedCrop: scale {Scale} must satisfy 0 < min <= max <= 1");
        if (!(Ratio.min > 0 && Ratio.min <= Ratio.max)) throw new ArgumentOutOfRangeException(nameof(ratio), $"RandomResizedCrop: ratio {Ratio} must satisfy 0 < min <= max");
    }

    public int Height { get; }
    public int Width { get; }
    public (double min, double max) Scale { get; }
    public (double min, double max) Ratio { get; }

    /// <summary>The window of the last call (top, left, h, w).</summary>
    public (int top, int left, int h, int w) LastBox { get; private set; }

    public override Image Apply(Image image)
    {
        LastBox = SampleBox(image.H, image.W);
        var (t, l, h, w) = LastBox;
        return Bilinear.Resize(image, t, l, h, w, Height, Width);
    }

    /// <summary>Draws a window inside an H x W image.</summary>
    public (int top, int left, int h, int w) SampleBox(int H, int W)
    {
        double area = (double)H * W, lr0 = Math.Log(Ratio.min), lr1 = Math.Log(Ratio.max);
        for (int attempt = 0; attempt < 10; attempt++)
        {
            double target = area * Uniform(Scale.min, Scale.max);
            double aspect = Math.Exp(Uniform(lr0, lr1));
            int w = (int)Math.Round(Math.Sqrt(target * aspect)), h = (int)Math.Round(Math.Sqrt(target / aspect));
            if (w > 0 && h > 0 && w <= W && h <= H)
                return (Generator.NextInt(H - h + 1), Generator.NextInt(W - w + 1), h, w);
        }
        // Fallback: the whole image with its ratio clamped into the range, centred.
        double inRatio = (double)W / H;
        int fw = W, fh = H;
        if (inRatio < Ratio.min) fh = (int)Math.Round(W / Ratio.min);
        else if (inRatio > Ratio.max) fw = (int)Math.Round(H * Ratio.max);
        return ((H - fh) / 2, (W - fw) / 2, fh, fw);
    }
}
