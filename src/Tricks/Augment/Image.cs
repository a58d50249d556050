namespace Engine.Data;

/// <summary>
/// A [C,H,W] image as a plain row-major float array: augmentations work on it directly (no tensor
/// dispatch per pixel). Pixel (c, y, x) is at Data[(c * H + y) * W + x].
/// </summary>
public sealed class Image
{
    public Image(int channels, int height, int width, float[]? data = null)
    {
        if (channels <= 0 || height <= 0 || width <= 0) throw new ArgumentException($"image: dims must be positive, got [{channels},{height},{width}]");
        C = channels; H = height; W = width;
        Data = data ?? new float[channels * height * width];
        if (Data.Length != C * H * W) throw new ShapeException($"image: {Data.Length} values do not fill [{C},{H},{W}]");
    }

    public int C { get; }
    public int H { get; }
    public int W { get; }
    public float[] Data { get; }
    public int Plane => H * W;

    public float this[int c, int y, int x]
    {
        get => Data[(c * H + y) * W + x];
        set => Data[(c * H + y) * W + x] = value;
    }

    /// <summary>Channel c as a span of H*W values.</summary>
    public Span<float> Channel(int c) => Data.AsSpan(c * Plane, Plane);

    public Image Clone() => new(C, H, W, (float[])Data.Clone());

    /// <summary>From a tensor [C,H,W], [H,W] (one channel) or [F] (F channels of one pixel: feature vectors).</summary>
    public static Image FromTensor(Tensor x) => x.Rank switch
    {
        3 => new Image(x.Size(0), x.Size(1), x.Size(2), x.ToArray()),
        2 => new Image(1, x.Size(0), x.Size(1), x.ToArray()),
        1 => new Image(x.Size(0), 1, 1, x.ToArray()),
        _ => throw new ShapeException($"image transform: expected a [C,H,W] image (or [H,W], or [F] features), got {x.Shape}"),
    };

    /// <summary>A new [C,H,W] tensor with a copy of the pixels.</summary>
    public Tensor ToTensor() => Tensor.FromArray(Data, C, H, W);
}
