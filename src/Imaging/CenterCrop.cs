using Engine.Data;

namespace Engine.Imaging;

/// <summary>
/// torchvision's <c>CenterCrop(size)</c> on a [C,H,W] image: the window of height x width whose top-left corner is
/// (round((H - height) / 2), round((W - width) / 2)), rounding half to even as Python's round does. A side larger than
/// the image is first zero-padded as torchvision does: (d // 2) before and ((d + 1) // 2) after, d the missing amount.
/// </summary>
public sealed class CenterCrop : Transform
{
    public CenterCrop(int size) : this(size, size) { }

    public CenterCrop(int height, int width)
    {
        if (height <= 0 || width <= 0) throw new ArgumentOutOfRangeException(nameof(height), $"CenterCrop: size must be positive, got {height}x{width}");
        Height = height; Width = width;
    }

    public int Height { get; }
    public int Width { get; }

    public override Image Apply(Image image)
    {
        if (Height > image.H || Width > image.W) image = Pad(image, Math.Max(Height, image.H), Math.Max(Width, image.W));
        int top = (int)Math.Round((image.H - Height) / 2.0, MidpointRounding.ToEven);
        int left = (int)Math.Round((image.W - Width) / 2.0, MidpointRounding.ToEven);
        var r = new Image(image.C, Height, Width);
        for (int c = 0; c < image.C; c++)
            for (int y = 0; y < Height; y++)
                image.Data.AsSpan((c * image.H + top + y) * image.W + left, Width).CopyTo(r.Data.AsSpan((c * Height + y) * Width, Width));
        return r;
    }

    // Zero padding to h x w: (h - H) // 2 rows above, the rest below; likewise for columns.
    private static Image Pad(Image image, int h, int w)
    {
        int top = (h - image.H) / 2, left = (w - image.W) / 2;
        var r = new Image(image.C, h, w);
        for (int c = 0; c < image.C; c++)
            for (int y = 0; y < image.H; y++)
                image.Data.AsSpan((c * image.H + y) * image.W, image.W).CopyTo(r.Data.AsSpan((c * h + top + y) * w + left, image.W));
        return r;
    }
}
