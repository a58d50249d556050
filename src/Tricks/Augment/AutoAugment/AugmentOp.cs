namespace Engine.Data;

/// <summary>The 14 image operations of AutoAugment (Cubuk et al. 2019).</summary>
public enum AugmentOp
{
    ShearX, ShearY, TranslateX, TranslateY, Rotate,
    AutoContrast, Invert, Equalize, Solarize, Posterize,
    Contrast, Color, Brightness, Sharpness,
}

/// <summary>
/// The AutoAugment operations on images with values in [0, 1], written without an imaging library and
/// following torchvision's tensor versions. Each returns a new image or changes it in place and returns it.
/// Geometric ops map every output pixel back to the source around the image centre ((W-1)/2, (H-1)/2),
/// take the nearest source pixel, and fill what falls outside with <c>fill</c> (0 by default).
/// Photometric ops that work on 8-bit levels (Equalize, Posterize) quantize with round(255 x) first.
/// Ops that mix with a grey image use luminance 0.299 R + 0.587 G + 0.114 B for 3 channels and the channel
/// itself for 1 channel; Color (saturation) on a 1-channel image is therefore the identity.
/// </summary>
public static class AugmentOps
{
    /// <summary>Applies op with its magnitude (already signed; see <see cref="AutoAugment"/> for the ranges).</summary>
    public static Image Apply(Image img, AugmentOp op, float magnitude, float fill = 0f) => op switch
    {
        AugmentOp.ShearX => Affine(img, 1, magnitude, 0, 1, 0, 0, fill),      // x_src = x + m (y - cy)
        AugmentOp.ShearY => Affine(img, 1, 0, magnitude, 1, 0, 0, fill),      // y_src = y + m (x - cx)
        AugmentOp.TranslateX => Affine(img, 1, 0, 0, 1, -(int)magnitude, 0, fill),
        AugmentOp.TranslateY => Affine(img, 1, 0, 0, 1, 0, -(int)magnitude, fill),
        AugmentOp.Rotate => Rotate(img, magnitude, fill),
        AugmentOp.AutoContrast => AutoContrast(img),
        AugmentOp.Invert => Invert(img),
        AugmentOp.Equalize => Equalize(img),
        AugmentOp.Solarize => Solarize(img, magnitude),
        AugmentOp.Posterize => Posterize(img, (int)magnitude),
        AugmentOp.Contrast => Contrast(img, 1 + magnitude),
        AugmentOp.Color => Color(img, 1 + magnitude),
        AugmentOp.Brightness => Brightness(img, 1 + magnitude),
        AugmentOp.Sharpness => Sharpness(img, 1 + magnitude),
        _ => throw new ArgumentOutOfRangeException(nameof(op), $"unknown AutoAugment op {op}"),
    };

    /// <summary>
    /// Inverse-mapped affine warp around the centre: with u = x - cx, v = y - cy, the output pixel takes the
    /// source pixel nearest to (a u + b v + cx + tx, c u + d v + cy + ty); outside the image it is fill.
    /// </summary>
    public static Image Affine(Image img, float a, float b, float c, float d, float tx, float ty, float fill = 0f)
    {
        var r = new Image(img.C, img.H, img.W);
        float cx = (img.W - 1) * 0.5f, cy = (img.H - 1) * 0.5f;
        for (int y = 0; y < img.H; y++)
            for (int x = 0; x < img.W; x++)
            {
                float u = x - cx, v = y - cy;
                int sx = (int)MathF.Floor(a * u + b * v + cx + tx + 0.5f);
                int sy = (int)MathF.Floor(c * u + d * v + cy + ty + 0.5f);
                bool inside = sx >= 0 && sx < img.W && sy >= 0 && sy < img.H;
                for (int ch = 0; ch < img.C; ch++)
                    r.Data[(ch * img.H + y) * img.W + x] = inside ? img.Data[(ch * img.H + sy) * img.W + sx] : fill;
            }
        return r;
    }

    /// <summary>Rotates the content counter-clockwise by degrees (as seen with y pointing down, like torchvision).</summary>
    public static Image Rotate(Image img, float degrees, float fill = 0f)
    {
        // Forward map (u,v) -> (u cos + v sin, -u sin + v cos) turns the content counter-clockwise on screen;
        // the output samples the inverse: (u' cos - v' sin, u' sin + v' cos).
        double t = degrees * Math.PI / 180;
        float cos = (float)Math.Cos(t), sin = (float)Math.Sin(t);
        // Snap exact multiples of 90 degrees so they permute pixels exactly.
        if (MathF.Abs(cos) < 1e-6f) cos = 0; if (MathF.Abs(sin) < 1e-6f) sin = 0;
        return Affine(img, cos, -sin, sin, cos, 0, 0, fill);
    }

    /// <summary>Per channel: (x - min) / (max - min); a constant channel is left as it is.</summary>
    public static Image AutoContrast(Image img)
    {
        for (int c = 0; c < img.C; c++)
        {
            var ch = img.Channel(c);
            float lo = float.PositiveInfinity, hi = float.NegativeInfinity;
            foreach (float v in ch) { lo = MathF.Min(lo, v); hi = MathF.Max(hi, v); }
            if (hi <= lo) continue;
            float k = 1f / (hi - lo);
            foreach (ref float v in ch) v = (v - lo) * k;
        }
        return img;
    }

    /// <summary>1 - x.</summary>
    public static Image Invert(Image img)
    {
        foreach (ref float v in img.Data.AsSpan()) v = 1f - v;
        return img;
    }

    /// <summary>
    /// Histogram equalization per channel on 256 levels (PIL's and torchvision's algorithm): with the
    /// histogram h of q = round(255 x) and step = floor((N - h[last non-empty level]) / 255), level i maps to
    /// min(255, floor((cumsum_{j&lt;i} h_j + floor(step / 2)) / step)); a channel with step 0 is left alone.
    /// </summary>
    public static Image Equalize(Image img)
    {
        var hist = new int[256]; var lut = new int[256];
        for (int c = 0; c < img.C; c++)
        {
            var ch = img.Channel(c);
            Array.Clear(hist);
            foreach (float v in ch) hist[Level(v)]++;
            int last = 255;
            while (last > 0 && hist[last] == 0) last--;
            int step = (ch.Length - hist[last]) / 255;
            if (step == 0) continue;
            int cum = 0;
            for (int i = 0; i < 256; i++) { lut[i] = Math.Min(255, (cum + step / 2) / step); cum += hist[i]; }
            foreach (ref float v in ch) v = lut[Level(v)] / 255f;
        }
        return img;
    }

    /// <summary>x >= threshold ? 1 - x : x.</summary>
    public static Image Solarize(Image img, float threshold)
    {
        foreach (ref float v in img.Data.AsSpan()) if (v >= threshold) v = 1f - v;
        return img;
    }

    /// <summary>Keeps the top <c>bits</c> bits of the 8-bit level: floor(q / 2^(8-bits)) 2^(8-bits) / 255.</summary>
    public static Image Posterize(Image img, int bits)
    {
        if (bits < 0 || bits > 8) throw new ArgumentOutOfRangeException(nameof(bits), $"posterize: bits must be in 0..8, got {bits}");
        int mask = ~((1 << (8 - bits)) - 1) & 0xFF;
        foreach (ref float v in img.Data.AsSpan()) v = (Level(v) & mask) / 255f;
        return img;
    }

    /// <summary>Blends with the mean grey level of the image: clamp(f x + (1 - f) mean(grey), 0, 1).</summary>
    public static Image Contrast(Image img, float factor)
    {
        var grey = Grey(img);
        double s = 0;
        foreach (float v in grey) s += v;
        float mean = (float)(s / grey.Length);
        foreach (ref float v in img.Data.AsSpan()) v = Clamp01(factor * v + (1 - factor) * mean);
        return img;
    }

    /// <summary>Saturation: blends every pixel with its grey level, clamp(f x + (1 - f) grey, 0, 1). Identity on 1 channel.</summary>
    public static Image Color(Image img, float factor)
    {
        if (img.C == 1) return img;
        var grey = Grey(img);
        for (int c = 0; c < img.C; c++)
        {
            var ch = img.Channel(c);
            for (int i = 0; i < ch.Length; i++) ch[i] = Clamp01(factor * ch[i] + (1 - factor) * grey[i]);
        }
        return img;
    }

    /// <summary>clamp(f x, 0, 1) (blend with black).</summary>
    public static Image Brightness(Image img, float factor)
    {
        foreach (ref float v in img.Data.AsSpan()) v = Clamp01(factor * v);
        return img;
    }

    /// <summary>
    /// Blends with a smoothed image: clamp(f x + (1 - f) s, 0, 1), where s is x filtered with
    /// [[1,1,1],[1,5,1],[1,1,1]] / 13 on interior pixels and equal to x on the border (PIL's SMOOTH kernel).
    /// </summary>
    public static Image Sharpness(Image img, float factor)
    {
        if (img.H < 3 || img.W < 3) return img;   // no interior: the blurred image equals the image
        var blurred = new float[img.Plane];
        for (int c = 0; c < img.C; c++)
        {
            var ch = img.Channel(c);
            ch.CopyTo(blurred);
            for (int y = 1; y < img.H - 1; y++)
                for (int x = 1; x < img.W - 1; x++)
                {
                    float s = 4 * ch[y * img.W + x];
                    for (int dy = -1; dy <= 1; dy++)
                        for (int dx = -1; dx <= 1; dx++) s += ch[(y + dy) * img.W + x + dx];
                    blurred[y * img.W + x] = s / 13f;
                }
            for (int i = 0; i < ch.Length; i++) ch[i] = Clamp01(factor * ch[i] + (1 - factor) * blurred[i]);
        }
        return img;
    }

    /// <summary>The grey level of every pixel: the channel itself for 1 channel, luminance for 3.</summary>
    internal static float[] Grey(Image img)
    {
        if (img.C == 1) return img.Channel(0).ToArray();
        if (img.C != 3) throw new ShapeException($"AutoAugment: grey level needs 1 or 3 channels, got {img.C}");
        var g = new float[img.Plane];
        var r = img.Channel(0); var gr = img.Channel(1); var b = img.Channel(2);
        for (int i = 0; i < g.Length; i++) g[i] = 0.299f * r[i] + 0.587f * gr[i] + 0.114f * b[i];
        return g;
    }

    internal static int Level(float v) => Math.Clamp((int)MathF.Round(v * 255f), 0, 255);
    private static float Clamp01(float v) => Math.Clamp(v, 0f, 1f);
}
