namespace Engine.Data;

/// <summary>What Random Erasing writes into the rectangle.</summary>
public enum EraseFill
{
    /// <summary>Independent uniform values in [0, 1) per pixel and channel (the paper's default, on [0,1] images).</summary>
    Random,
    /// <summary>The per-channel dataset mean (give it as <c>mean</c>).</summary>
    Mean,
    /// <summary>Independent standard normal values (torchvision's value="random", for standardized images).</summary>
    Normal,
}

/// <summary>
/// Random Erasing (Zhong et al. 2017, Algorithm 1): with probability p, up to 100 tries to draw an area
/// S_e ~ U(sl, sh) * H W and an aspect ratio r_e ~ U(r1, 1/r1), giving h = round(sqrt(S_e r_e)),
/// w = round(sqrt(S_e / r_e)); the first that fits strictly inside (h &lt; H, w &lt; W) is placed at a
/// uniform position and filled with random values or the per-channel mean.
/// </summary>
public sealed class RandomErasing : RandomTransform
{
    public RandomErasing(double p = 0.5, double sl = 0.02, double sh = 0.4, double r1 = 0.3,
        EraseFill fill = EraseFill.Random, float[]? mean = null, Generator? generator = null) : base(generator)
    {
        if (!(p >= 0 && p <= 1)) throw new ArgumentOutOfRangeException(nameof(p), $"RandomErasing: p must be in [0, 1], got {p}");
        if (!(sl > 0 && sl <= sh && sh <= 1)) throw new ArgumentOutOfRangeException(nameof(sl), $"RandomErasing: need 0 < sl <= sh <= 1, got sl {sl}, sh {sh}");
        if (!(r1 > 0 && r1 <= 1)) throw new ArgumentOutOfRangeException(nameof(r1), $"RandomErasing: r1 must be in (0, 1], got {r1}");
        if (fill == EraseFill.Mean && mean == null) throw new ArgumentException("RandomErasing: fill Mean needs the per-channel mean (e.g. Standardize.Fit(train).Mean, or 0 after standardization)");
        P = p; Sl = sl; Sh = sh; R1 = r1; Fill = fill; Mean = mean;
    }

    public double P { get; }
    public double Sl { get; }
    public double Sh { get; }
    public double R1 { get; }
    public EraseFill Fill { get; }
    public float[]? Mean { get; }

    /// <summary>The rectangle of the last call (top, left, h, w), or null when nothing was erased.</summary>
    public (int top, int left, int h, int w)? LastRect { get; private set; }

    public override Image Apply(Image image)
    {
        LastRect = null;
        if (!Chance(P)) return image;
        if (Mean != null && Mean.Length != image.C && Mean.Length != 1)
            throw new ShapeException($"RandomErasing: {Mean.Length} mean values for an image of {image.C} channels");
        for (int attempt = 0; attempt < 100; attempt++)
        {
            double area = image.H * (double)image.W * Uniform(Sl, Sh);
            double aspect = Uniform(R1, 1 / R1);
            int h = (int)Math.Round(Math.Sqrt(area * aspect)), w = (int)Math.Round(Math.Sqrt(area / aspect));
            if (h <= 0 || w <= 0 || h >= image.H || w >= image.W) continue;
            int top = Generator.NextInt(image.H - h + 1), left = Generator.NextInt(image.W - w + 1);
            LastRect = (top, left, h, w);
            for (int c = 0; c < image.C; c++)
            {
                float m = Mean == null ? 0f : Mean[Mean.Length == 1 ? 0 : c];
                for (int y = top; y < top + h; y++)
                {
                    var row = image.Data.AsSpan((c * image.H + y) * image.W + left, w);
                    if (Fill == EraseFill.Mean) row.Fill(m);
                    else if (Fill == EraseFill.Normal) for (int x = 0; x < w; x++) row[x] = (float)Generator.NextGaussian();
                    else for (int x = 0; x < w; x++) row[x] = Generator.NextFloat();
                }
            }
            return image;
        }
        return image;
    }
}
