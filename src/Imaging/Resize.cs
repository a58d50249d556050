using Engine.Data;

namespace Engine.Imaging;

/// <summary>
/// torchvision's <c>Resize(size, interpolation=BILINEAR, antialias=True)</c> on a [C,H,W] float image: an int size sets
/// the shorter side (the longer one becomes <c>(int)(size * long / short)</c>, as torchvision truncates), a (height,
/// width) pair sets both.
/// </summary>
/// <remarks>
/// <para>The filter is PIL's and torch's antialiased bilinear (<c>_upsample_bilinear2d_aa</c>), separable, rows then
/// columns. Along an axis of input size n resized to m, with scale s = n / m and support r = max(s, 1), output i is
/// centred at c = s (i + 0.5), takes the inputs j in [max((long)(c - r + 0.5), 0), min((long)(c + r + 0.5), n)) with
/// weights tri((j - c + 0.5) / max(s, 1)), tri(x) = max(0, 1 - |x|), normalized to sum 1. Downscaling thus averages
/// every input pixel under the output pixel (no aliasing); upscaling is plain bilinear with half-pixel centres.</para>
/// <para>Tolerance: against torchvision 0.14's <c>F.resize(float tensor, antialias=True)</c> within 2.5e-5 of [0, 1] pixel
/// values (1e-5 on the test's small images; torch computes the weights in float32, this in double). PIL, and torchvision on uint8 images, round to 8 bits after each pass, so
/// on the same image they differ from this float result by up to about 1/255.</para>
/// </remarks>
public sealed class Resize : Transform
{
    /// <summary>Shorter side to size, aspect ratio kept.</summary>
    public Resize(int size)
    {
        if (size <= 0) throw new ArgumentOutOfRangeException(nameof(size), $"Resize: size must be positive, got {size}");
        Size = size;
    }

    /// <summary>Exactly height x width.</summary>
    public Resize(int height, int width)
    {
        if (height <= 0 || width <= 0) throw new ArgumentOutOfRangeException(nameof(height), $"Resize: height and width must be positive, got {height}x{width}");
        Height = height; Width = width;
    }

    /// <summary>The shorter side's target, or null when both sides are given.</summary>
    public int? Size { get; }
    public int? Height { get; }
    public int? Width { get; }

    /// <summary>The output (height, width) for an input of h x w (torchvision's _compute_resized_output_size).</summary>
    public (int H, int W) OutputSize(int h, int w)
    {
        if (Size is not int size) return (Height!.Value, Width!.Value);
        int shortSide = Math.Min(h, w), longSide = Math.Max(h, w);
        int newLong = (int)((long)size * longSide / shortSide);
        return w <= h ? (newLong, size) : (size, newLong);
    }

    public override Image Apply(Image image)
    {
        var (oh, ow) = OutputSize(image.H, image.W);
        return Bilinear(image, oh, ow);
    }

    /// <summary>The antialiased bilinear resize of image to outH x outW (separable: along W, then along H).</summary>
    public static Image Bilinear(Image image, int outH, int outW)
    {
        if (outH <= 0 || outW <= 0) throw new ArgumentOutOfRangeException(nameof(outH), $"Resize: output size must be positive, got {outH}x{outW}");
        if (outH == image.H && outW == image.W) return image.Clone();
        var wx = Weights(image.W, outW);
        var wy = Weights(image.H, outH);
        var rows = new Image(image.C, image.H, outW);   // after the horizontal pass
        for (int c = 0; c < image.C; c++)
            for (int y = 0; y < image.H; y++)
            {
                var src = image.Data.AsSpan((c * image.H + y) * image.W, image.W);
                var dst = rows.Data.AsSpan((c * image.H + y) * outW, outW);
                for (int x = 0; x < outW; x++) dst[x] = Dot(src, wx[x]);
            }
        var r = new Image(image.C, outH, outW);
        var col = new float[image.H];
        for (int c = 0; c < image.C; c++)
            for (int x = 0; x < outW; x++)
            {
                for (int y = 0; y < image.H; y++) col[y] = rows.Data[(c * image.H + y) * outW + x];
                for (int y = 0; y < outH; y++) r.Data[(c * outH + y) * outW + x] = Dot(col, wy[y]);
            }
        return r;
    }

    /// <summary>The taps of one output index: the first input index and the normalized weights.</summary>
    internal readonly record struct Taps(int Start, double[] W);

    /// <summary>The taps of every output index along an axis of n inputs resized to m.</summary>
    internal static Taps[] Weights(int n, int m)
    {
        double scale = (double)n / m;
        double support = scale >= 1 ? scale : 1.0;       // interp_size / 2 = 1 for bilinear, widened when shrinking
        double invScale = scale >= 1 ? 1.0 / scale : 1.0;
        var taps = new Taps[m];
        for (int i = 0; i < m; i++)
        {
            double center = scale * (i + 0.5);
            int lo = (int)Math.Max((long)(center - support + 0.5), 0);   // C's truncation toward zero, as torch
            int hi = (int)Math.Min((long)(center + support + 0.5), n);
            var w = new double[Math.Max(hi - lo, 0)];
            double total = 0;
            for (int j = 0; j < w.Length; j++)
            {
                w[j] = Math.Max(0, 1 - Math.Abs((j + lo - center + 0.5) * invScale));
                total += w[j];
            }
            if (total > 0) for (int j = 0; j < w.Length; j++) w[j] /= total;
            taps[i] = new Taps(lo, w);
        }
        return taps;
    }

    private static float Dot(ReadOnlySpan<float> src, Taps t)
    {
        double s = 0;
        for (int j = 0; j < t.W.Length; j++) s += src[t.Start + j] * t.W[j];
        return (float)s;
    }

    /// <summary>
    /// The reference: each output pixel as one 2-D weighted sum over the input (the product of both axes' weights),
    /// no separable passes. Slow; the tests check <see cref="Bilinear"/> against it.
    /// </summary>
    internal static Image Naive(Image image, int outH, int outW)
    {
        var wx = Weights(image.W, outW);
        var wy = Weights(image.H, outH);
        var r = new Image(image.C, outH, outW);
        for (int c = 0; c < image.C; c++)
            for (int y = 0; y < outH; y++)
                for (int x = 0; x < outW; x++)
                {
                    double s = 0;
                    for (int j = 0; j < wy[y].W.Length; j++)
                        for (int k = 0; k < wx[x].W.Length; k++)
                            s += wy[y].W[j] * wx[x].W[k] * image[c, wy[y].Start + j, wx[x].Start + k];
                    r[c, y, x] = (float)s;
                }
        return r;
    }
}
