using Engine.Data;

namespace Engine.Training;

/// <summary>
/// A tiny RGB raster (pixels [H, W, 3], row 0 at the top) with lines and dots, saved with the
/// dependency-free <see cref="Png"/> writer. Enough for the gallery's plots without an imaging library.
/// </summary>
public sealed class Canvas
{
    public int Width { get; }
    public int Height { get; }
    public byte[] Pixels { get; }

    public Canvas(int width, int height, (byte R, byte G, byte B) background)
    {
        if (width <= 0 || height <= 0) throw new ArgumentOutOfRangeException(nameof(width), $"canvas {width}x{height}: sizes must be positive");
        (Width, Height) = (width, height);
        Pixels = new byte[width * height * 3];
        for (int i = 0; i < width * height; i++) (Pixels[3 * i], Pixels[3 * i + 1], Pixels[3 * i + 2]) = background;
    }

    public void Set(int x, int y, (byte R, byte G, byte B) c)
    {
        if ((uint)x >= (uint)Width || (uint)y >= (uint)Height) return;   // clipped
        int i = 3 * (y * Width + x);
        (Pixels[i], Pixels[i + 1], Pixels[i + 2]) = c;
    }

    /// <summary>A filled disc of the given radius centred at (x, y).</summary>
    public void Dot(double x, double y, int radius, (byte, byte, byte) c)
    {
        int cx = (int)Math.Round(x), cy = (int)Math.Round(y);
        for (int dy = -radius; dy <= radius; dy++)
            for (int dx = -radius; dx <= radius; dx++)
                if (dx * dx + dy * dy <= radius * radius) Set(cx + dx, cy + dy, c);
    }

    /// <summary>A line from (x0, y0) to (x1, y1), sampled every half pixel, drawn as dots of the given radius (0 = one pixel).</summary>
    public void Line(double x0, double y0, double x1, double y1, (byte, byte, byte) c, int radius = 0)
    {
        if (!double.IsFinite(x0 + y0 + x1 + y1)) return;
        double len = Math.Max(Math.Abs(x1 - x0), Math.Abs(y1 - y0));
        if (len > 4 * (Width + Height)) return;   // far off the canvas (a diverging path): skip rather than loop for long
        int n = Math.Max(1, (int)Math.Ceiling(len * 2));
        for (int i = 0; i <= n; i++)
        {
            double t = (double)i / n;
            Dot(x0 + t * (x1 - x0), y0 + t * (y1 - y0), radius, c);
        }
    }

    public void Save(string path) => Png.Write(path, Pixels, Width, Height, 3);
}
