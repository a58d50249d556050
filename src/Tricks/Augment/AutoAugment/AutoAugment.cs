namespace Engine.Data;

/// <summary>
/// AutoAugment (Cubuk et al. 2019): per image, one of the policy's 25 sub-policies is chosen uniformly;
/// each of its two steps runs with its probability, at the magnitude of its bin (0..9), with a random sign
/// for the signed ops. Images must hold values in [0, 1].
/// </summary>
/// <remarks>
/// Magnitude of bin i out of 10 (torchvision's table): ShearX/Y i/9 * 0.3; TranslateX/Y i/9 * 150/331 * W
/// (resp. H) pixels, truncated; Rotate i/9 * 30 degrees; Brightness, Color, Contrast, Sharpness factor
/// 1 +/- i/9 * 0.9; Posterize 8 - round(i / 2.25) bits; Solarize threshold 1 - i/9; AutoContrast, Equalize,
/// Invert have none.
/// </remarks>
public sealed class AutoAugment(AutoAugmentPolicy policy = AutoAugmentPolicy.ImageNet, float fill = 0f, Generator? generator = null)
    : RandomTransform(generator)
{
    public AutoAugmentPolicy Policy { get; } = policy;
    public IReadOnlyList<(PolicyStep first, PolicyStep second)> SubPolicies { get; } = AutoAugmentPolicies.Get(policy);

    /// <summary>The sub-policy chosen by the last call.</summary>
    public int LastSubPolicy { get; private set; }

    public override Image Apply(Image image)
    {
        int id = Generator.NextInt(SubPolicies.Count);
        LastSubPolicy = id;
        var (a, b) = SubPolicies[id];
        // Draw order as torchvision: policy id, two probabilities, two signs.
        double p0 = Generator.NextDouble(), p1 = Generator.NextDouble();
        bool neg0 = Generator.NextInt(2) == 0, neg1 = Generator.NextInt(2) == 0;
        image = Step(image, a, p0, neg0);
        return Step(image, b, p1, neg1);
    }

    private Image Step(Image image, PolicyStep s, double draw, bool negative)
    {
        if (draw > s.Probability) return image;
        float m = s.Bin is int bin ? Magnitude(s.Op, bin, image.H, image.W) : 0f;
        if (negative && IsSigned(s.Op)) m = -m;
        return AugmentOps.Apply(image, s.Op, m, fill);
    }

    /// <summary>Magnitude of bin 0..9 for an image of H x W (unsigned).</summary>
    public static float Magnitude(AugmentOp op, int bin, int height, int width)
    {
        if (bin < 0 || bin > 9) throw new ArgumentOutOfRangeException(nameof(bin), $"AutoAugment: magnitude bin must be in 0..9, got {bin}");
        float t = bin / 9f;
        return op switch
        {
            AugmentOp.ShearX or AugmentOp.ShearY => 0.3f * t,
            AugmentOp.TranslateX => 150f / 331f * width * t,
            AugmentOp.TranslateY => 150f / 331f * height * t,
            AugmentOp.Rotate => 30f * t,
            AugmentOp.Brightness or AugmentOp.Color or AugmentOp.Contrast or AugmentOp.Sharpness => 0.9f * t,
            AugmentOp.Posterize => 8 - (int)Math.Round(bin / 2.25, MidpointRounding.ToEven),
            AugmentOp.Solarize => 1f - t,
            _ => 0f,
        };
    }

    public static bool IsSigned(AugmentOp op) => op is AugmentOp.ShearX or AugmentOp.ShearY or AugmentOp.TranslateX or AugmentOp.TranslateY
        or AugmentOp.Rotate or AugmentOp.Brightness or AugmentOp.Color or AugmentOp.Contrast or AugmentOp.Sharpness;
}
