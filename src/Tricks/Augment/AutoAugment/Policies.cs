namespace Engine.Data;

/// <summary>Which published AutoAugment policy to use.</summary>
public enum AutoAugmentPolicy { ImageNet, Cifar10, Svhn }

/// <summary>One step of a sub-policy: the op, its probability and its magnitude bin 0..9 (null for ops without one).</summary>
public readonly record struct PolicyStep(AugmentOp Op, double Probability, int? Bin);

/// <summary>
/// The 25 sub-policies of two steps each learned by Cubuk et al. (2019) on reduced ImageNet, CIFAR-10 and
/// SVHN, in the form torchvision publishes them.
/// </summary>
public static class AutoAugmentPolicies
{
    public static IReadOnlyList<(PolicyStep first, PolicyStep second)> Get(AutoAugmentPolicy policy) => policy switch
    {
        AutoAugmentPolicy.ImageNet => ImageNet,
        AutoAugmentPolicy.Cifar10 => Cifar10,
        AutoAugmentPolicy.Svhn => Svhn,
        _ => throw new ArgumentOutOfRangeException(nameof(policy), $"unknown AutoAugment policy {policy}"),
    };

    private static (PolicyStep, PolicyStep) P(AugmentOp a, double pa, int? ma, AugmentOp b, double pb, int? mb) =>
        (new PolicyStep(a, pa, ma), new PolicyStep(b, pb, mb));

    private const AugmentOp ShearX = AugmentOp.ShearX, ShearY = AugmentOp.ShearY, TranslateX = AugmentOp.TranslateX,
        TranslateY = AugmentOp.TranslateY, Rotate = AugmentOp.Rotate, AutoContrast = AugmentOp.AutoContrast,
        Invert = AugmentOp.Invert, Equalize = AugmentOp.Equalize, Solarize = AugmentOp.Solarize, Posterize = AugmentOp.Posterize,
        Contrast = AugmentOp.Contrast, Color = AugmentOp.Color, Brightness = AugmentOp.Brightness, Sharpness = AugmentOp.Sharpness;

    public static readonly IReadOnlyList<(PolicyStep, PolicyStep)> ImageNet =
    [
        P(Posterize, 0.4, 8, Rotate, 0.6, 9), P(Solarize, 0.6, 5, AutoContrast, 0.6, null),
        P(Equalize, 0.8, null, Equalize, 0.6, null), P(Posterize, 0.6, 7, Posterize, 0.6, 6),
        P(Equalize, 0.4, null, Solarize, 0.2, 4), P(Equalize, 0.4, null, Rotate, 0.8, 8),
        P(Solarize, 0.6, 3, Equalize, 0.6, null), P(Posterize, 0.8, 5, Equalize, 1.0, null),
        P(Rotate, 0.2, 3, Solarize, 0.6, 8), P(Equalize, 0.6, null, Posterize, 0.4, 6),
        P(Rotate, 0.8, 8, Color, 0.4, 0), P(Rotate, 0.4, 9, Equalize, 0.6, null),
        P(Equalize, 0.0, null, Equalize, 0.8, null), P(Invert, 0.6, null, Equalize, 1.0, null),
        P(Color, 0.6, 4, Contrast, 1.0, 8), P(Rotate, 0.8, 8, Color, 1.0, 2),
        P(Color, 0.8, 8, Solarize, 0.8, 7), P(Sharpness, 0.4, 7, Invert, 0.6, null),
        P(ShearX, 0.6, 5, Equalize, 1.0, null), P(Color, 0.4, 0, Equalize, 0.6, null),
        P(Equalize, 0.4, null, Solarize, 0.2, 4), P(Solarize, 0.6, 5, AutoContrast, 0.6, null),
        P(Invert, 0.6, null, Equalize, 1.0, null), P(Color, 0.6, 4, Contrast, 1.0, 8),
        P(Equalize, 0.8, null, Equalize, 0.6, null),
    ];

    public static readonly IReadOnlyList<(PolicyStep, PolicyStep)> Cifar10 =
    [
        P(Invert, 0.1, null, Contrast, 0.2, 6), P(Rotate, 0.7, 2, TranslateX, 0.3, 9),
        P(Sharpness, 0.8, 1, Sharpness, 0.9, 3), P(ShearY, 0.5, 8, TranslateY, 0.7, 9),
        P(AutoContrast, 0.5, null, Equalize, 0.9, null), P(ShearY, 0.2, 7, Posterize, 0.3, 7),
        P(Color, 0.4, 3, Brightness, 0.6, 7), P(Sharpness, 0.3, 9, Brightness, 0.7, 9),
        P(Equalize, 0.6, null, Equalize, 0.5, null), P(Contrast, 0.6, 7, Sharpness, 0.6, 5),
        P(Color, 0.7, 7, TranslateX, 0.5, 8), P(Equalize, 0.3, null, AutoContrast, 0.4, null),
        P(TranslateY, 0.4, 3, Sharpness, 0.2, 6), P(Brightness, 0.9, 6, Color, 0.2, 8),
        P(Solarize, 0.5, 2, Invert, 0.0, null), P(Equalize, 0.2, null, AutoContrast, 0.6, null),
        P(Equalize, 0.2, null, Equalize, 0.6, null), P(Color, 0.9, 9, Equalize, 0.6, null),
        P(AutoContrast, 0.8, null, Solarize, 0.2, 8), P(Brightness, 0.1, 3, Color, 0.7, 0),
        P(Solarize, 0.4, 5, AutoContrast, 0.9, null), P(TranslateY, 0.9, 9, TranslateY, 0.7, 9),
        P(AutoContrast, 0.9, null, Solarize, 0.8, 3), P(Equalize, 0.8, null, Invert, 0.1, null),
        P(TranslateY, 0.7, 9, AutoContrast, 0.9, null),
    ];

    public static readonly IReadOnlyList<(PolicyStep, PolicyStep)> Svhn =
    [
        P(ShearX, 0.9, 4, Invert, 0.2, null), P(ShearY, 0.9, 8, Invert, 0.7, null),
        P(Equalize, 0.6, null, Solarize, 0.6, 6), P(Invert, 0.9, null, Equalize, 0.6, null),
        P(Equalize, 0.6, null, Rotate, 0.9, 3), P(ShearX, 0.9, 4, AutoContrast, 0.8, null),
        P(ShearY, 0.9, 8, Invert, 0.4, null), P(ShearY, 0.9, 5, Solarize, 0.2, 6),
        P(Invert, 0.9, null, AutoContrast, 0.8, null), P(Equalize, 0.6, null, Rotate, 0.9, 3),
        P(ShearX, 0.9, 4, Solarize, 0.3, 3), P(ShearY, 0.8, 8, Invert, 0.7, null),
        P(Equalize, 0.9, null, TranslateY, 0.6, 6), P(Invert, 0.9, null, Equalize, 0.6, null),
        P(Contrast, 0.3, 3, Rotate, 0.8, 4), P(Invert, 0.8, null, TranslateY, 0.0, 2),
        P(ShearY, 0.7, 6, Solarize, 0.4, 8), P(Invert, 0.6, null, Rotate, 0.8, 4),
        P(ShearY, 0.3, 7, TranslateX, 0.9, 3), P(ShearX, 0.1, 6, Invert, 0.6, null),
        P(Solarize, 0.7, 2, TranslateY, 0.6, 7), P(ShearY, 0.8, 4, Invert, 0.8, null),
        P(ShearX, 0.7, 9, TranslateY, 0.8, 3), P(ShearY, 0.8, 5, AutoContrast, 0.7, null),
        P(ShearX, 0.7, 2, Invert, 0.1, null),
    ];
}
