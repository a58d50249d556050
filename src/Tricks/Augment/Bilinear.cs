namespace Engine.Data;

/// <summary>Bilinear resampling with half-pixel centres (PyTorch's interpolate(mode="bilinear", align_corners=False)).</summary>
public static class Bilinear
{
    /// <summary>
    /// Resizes the window (top, left, h, w) of image to outH x outW. Output pixel (y, x) samples the source
    /// at sy = top + (y + 0.5) h / outH - 0.5 (clamped to the window), and likewise for x.
    /// </summary>
    public static Image Resize(Image image, int top, int left, int h, int w, int outH, int outW)
    {
        if (top < 0 || left < 0 || h <= 0 || w <= 0 || top + h > image.H || left + w > image.W)
            throw new ArgumentOutOfRangeException(nameof(top), $"bilinear: window ({top},{left}) {h}x{w} is not inside the {image.H}x{image.W} image");
        var r = new Image(image.C, outH, outW);
        // Precompute the two source columns and weights of every output column.
        var x0 = new int[outW]; var x1 = new int[outW]; var fx = new float[outW];
        for (int x = 0; x < outW; x++) Coord(x, w, outW, out x0[x], out x1[x], out fx[x]);
        for (int y = 0; y < outH; y++)
        {
            Coord(y, h, outH, out int y0, out int y1, out float fy);
            for (int c = 0; c < image.C; c++)
            {
                int r0 = (c * image.H + top + y0) * image.W + left, r1 = (c * image.H + top + y1) * image.W + left;
                var dst = r.Data.AsSpan((c * outH + y) * outW, outW);
                for (int x = 0; x < outW; x++)
                {
                    float a = image.Data[r0 + x0[x]] + fx[x] * (image.Data[r0 + x1[x]] - image.Data[r0 + x0[x]]);
                    float b = image.Data[r1 + x0[x]] + fx[x] * (image.Data[r1 + x1[x]] - image.Data[r1 + x0[x]]);
                    dst[x] = a + fy * (b - a);
                }
            }
        }
        return r;
    }

    public static Image Resize(Image image, int outH, int outW) => Resize(image, 0, 0, image.H, image.W, outH, outW);

    private static void Coord(int o, int inSize, int outSize, out int i0, out int i1, out float frac)
    {
        float s = Math.Max(0f, (o + 0.5f) * inSize / outSize - 0.5f);
        i0 = Math.Min((int)s, inSize - 1);
        i1 = Math.Min(i0 + 1, inSize - 1);
        frac = s - i0;
        if (i0 == inSize - 1) frac = 0;
    }
}
