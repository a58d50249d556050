namespace Engine.Data;

/// <summary>
/// Pads the image by <c>padding</c> pixels of <c>fill</c> on every side, then cuts a height x width window at a
/// uniform position: top in [0, H + 2p - height], left in [0, W + 2p - width] (the CIFAR "pad 4, crop 32").
/// </summary>
public sealed class RandomCrop : RandomTransform
{
    public RandomCrop(int height, int width, int padding = 0, float fill = 0f, Generator? generator = null) : base(generator)
    {
        if (height <= 0 || width <= 0 || padding < 0) throw new ArgumentOutOfRangeException(nameof(height), $"RandomCrop: size {height}x{width} must be positive and padding {padding} >= 0");
        Height = height; Width = width; Padding = padding; Fill = fill;
    }

    public RandomCrop(int size, int padding = 0, Generator? generator = null) : this(size, size, padding, 0f, generator) { }

    public int Height { get; }
    public int Width { get; }
    public int Padding { get; }
    public float Fill { get; }

    /// <summary>The offset of the last crop in padded coordinates (top, left).</summary>
    public (int top, int left) LastOffset { get; private set; }

    public override Image Apply(Image image)
    {
        int ph = image.H + 2 * Padding, pw = image.W + 2 * Padding;
        if (Height > ph || Width > pw)
            throw new ShapeException($"RandomCrop: crop {Height}x{Width} is larger than the padded image {ph}x{pw} ([{image.C},{image.H},{image.W}] + padding {Padding})");
        int top = Generator.NextInt(ph - Height + 1), left = Generator.NextInt(pw - Width + 1);
        LastOffset = (top, left);
        return Crop(image, top - Padding, left - Padding, Height, Width, Fill);
    }

    /// <summary>The window at (top, left) of size h x w; pixels outside the image are fill.</summary>
    public static Image Crop(Image image, int top, int left, int h, int w, float fill = 0f)
    {
        var r = new Image(image.C, h, w);
        for (int c = 0; c < image.C; c++)
            for (int y = 0; y < h; y++)
            {
                int sy = top + y;
                var dst = r.Data.AsSpan((c * h + y) * w, w);
                if (sy < 0 || sy >= image.H) { dst.Fill(fill); continue; }
                // Columns [x0, x1) of the window fall inside the image: one copy; the rest is fill.
                int x0 = Math.Clamp(-left, 0, w), x1 = Math.Clamp(image.W - left, 0, w);
                dst[..x0].Fill(fill);
                if (x1 > x0) image.Data.AsSpan((c * image.H + sy) * image.W + left + x0, x1 - x0).CopyTo(dst[x0..x1]);
                else x1 = x0;
                dst[x1..].Fill(fill);
            }
        return r;
    }
}
