namespace Engine.Vision;

/// <summary>
/// The zoo by torchvision's names: <c>VisionModels.Create("resnet18", numClasses: 10)</c>. Every model has torchvision
/// 0.14's state-dict names, so a torchvision checkpoint (converted to safetensors, or read from .pth) loads strict.
/// </summary>
public static class VisionModels
{
    private static readonly Dictionary<string, Func<int, Module>> Builders = new(StringComparer.OrdinalIgnoreCase)
    {
        ["resnet18"] = ResNet.ResNet18,
        ["resnet34"] = ResNet.ResNet34,
        ["resnet50"] = ResNet.ResNet50,
        ["mobilenet_v2"] = MobileNetV2.Create,
        ["mobilenet_v3_small"] = MobileNetV3.Small,
        ["mobilenet_v3_large"] = MobileNetV3.Large,
        ["efficientnet_b0"] = EfficientNet.B0,
        ["vgg11_bn"] = Vgg.Vgg11Bn,
    };

    /// <summary>The architecture names Create accepts, in the order above.</summary>
    public static IReadOnlyList<string> Names { get; } = Builders.Keys.ToArray();

    /// <summary>A fresh model (PyTorch's default init) with numClasses outputs; an unknown name lists the known ones.</summary>
    public static Module Create(string arch, int numClasses = 1000)
    {
        if (!Builders.TryGetValue(arch, out var build))
            throw new ArgumentException($"unknown architecture '{arch}'; known: {string.Join(", ", Names)}", nameof(arch));
        return build(numClasses);
    }

    /// <summary>
    /// Loads a state dict strict into model, with the errors a user can act on: a classifier whose class count differs
    /// from the checkpoint's says so (and to build the model with that many classes, or load strict: false and replace
    /// the head); any other mismatch lists the keys and shapes (LoadStateDict's message).
    /// </summary>
    public static void LoadStateDict(Module model, IReadOnlyDictionary<string, Tensor> state, string? source = null)
    {
        // The head: the last 2-D weight (fc.weight, classifier.1.weight, ...), [numClasses, features].
        var (head, mine) = model.NamedParameters().LastOrDefault(p => p.Name.EndsWith(".weight", StringComparison.Ordinal) && p.Parameter.Rank == 2);
        if (head != null && state.TryGetValue(head, out var w) && w.Rank == 2 && w.Shape[1] == mine.Shape[1] && w.Shape[0] != mine.Shape[0])
            throw new ArgumentException($"{source ?? "the state dict"} has {w.Shape[0]} classes in '{head}' {w.Shape}, the model has {mine.Shape[0]}: " +
                $"build the model with numClasses: {w.Shape[0]}, or load with strict: false and replace the head");
        model.LoadStateDict(state, strict: true);
    }

    internal static void CheckClasses(int numClasses, string model)
    {
        if (numClasses < 1) throw new ArgumentOutOfRangeException(nameof(numClasses), $"{model}: numClasses must be at least 1, got {numClasses}");
    }

    /// <summary>torchvision's _make_divisible: v rounded to the nearest multiple of divisor, at least divisor, and not
    /// more than 10% below v.</summary>
    public static int MakeDivisible(double v, int divisor)
    {
        int n = Math.Max(divisor, (int)(v + divisor / 2.0) / divisor * divisor);
        if (n < 0.9 * v) n += divisor;
        return n;
    }
}
