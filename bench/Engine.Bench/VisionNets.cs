using Engine.Vision;

namespace Engine.Bench;

/// <summary>
/// The vision zoo's forward-pass workloads: each architecture of <see cref="VisionModels"/> (torchvision's layers,
/// shapes and names) at batch 8, 224 x 224, 1000 classes, eval mode, random weights (the time does not depend on the
/// values); bench/compare_torch.py times torchvision's model of the same name.
/// </summary>
internal static class VisionNets
{
    /// <summary>torchvision's published multiply-add counts per image, in G (its weights' "_ops" metadata).</summary>
    private static readonly (string Arch, double GMacs)[] Zoo =
    [
        ("resnet18", 1.814), ("resnet34", 3.664), ("resnet50", 4.089), ("mobilenet_v2", 0.301),
        ("mobilenet_v3_small", 0.057), ("mobilenet_v3_large", 0.217), ("efficientnet_b0", 0.386), ("vgg11_bn", 7.609),
    ];

    /// <summary>(workload name, architecture, forward FLOPs at batch 8) for every architecture of the zoo.</summary>
    public static IEnumerable<(string Name, string Arch, double Flops)> Workloads =>
        Zoo.Select(z => ($"{z.Arch}_b8_224_fwd", z.Arch, 8 * 2 * z.GMacs * 1e9));
}
