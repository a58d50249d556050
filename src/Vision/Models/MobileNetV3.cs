namespace Engine.Vision;

/// <summary>One row of MobileNetV3's table: input, kernel, expanded and output channels, SE, hard-swish (else ReLU), stride.</summary>
public readonly record struct MobileNetV3Block(int Input, int Kernel, int Expanded, int Output, bool UseSe, bool UseHardswish, int Stride);

/// <summary>
/// MobileNetV3's inverted residual, torchvision's names: block = Sequential(1x1 expand ConvBNAct when expanded differs
/// from input, kxk depthwise ConvBNAct (stride), SqueezeExcitation(expanded, make_divisible(expanded / 4, 8)) with ReLU
/// and Hardsigmoid when used, 1x1 project ConvBN); y = block(x) + x when stride is 1 and the channels match.
/// BatchNorm eps 1e-3, momentum 0.01.
/// </summary>
public sealed class InvertedResidualV3 : Module
{
    private readonly Sequential _block;
    private readonly bool _residual;

    public InvertedResidualV3(MobileNetV3Block c)
    {
        _residual = c.Stride == 1 && c.Input == c.Output;
        Func<Module> act = c.UseHardswish ? () => new Hardswish() : () => new ReLU();
        _block = new Sequential();
        if (c.Expanded != c.Input) _block.Add(ConvNormActivation.Create(c.Input, c.Expanded, 1, activation: act, eps: 1e-3, momentum: 0.01));
        _block.Add(ConvNormActivation.Create(c.Expanded, c.Expanded, c.Kernel, c.Stride, groups: c.Expanded, activation: act, eps: 1e-3, momentum: 0.01));
        if (c.UseSe) _block.Add(new SqueezeExcitation(c.Expanded, VisionModels.MakeDivisible(c.Expanded / 4, 8), () => new ReLU(), () => new Hardsigmoid()));
        _block.Add(ConvNormActivation.Create(c.Expanded, c.Output, 1, eps: 1e-3, momentum: 0.01));
        RegisterModule("block", _block);
    }

    /// <summary>Whether the block adds its input (stride 1 and equal channels), torchvision's use_res_connect.</summary>
    public bool UseResConnect => _residual;

    public override Tensor Forward(Tensor input)
    {
        var y = _block.Forward(input);
        return _residual ? y.Add(input) : y;
    }
}

/// <summary>
/// MobileNetV3 (Howard et al. 2019), small and large, as torchvision 0.14 builds them: features = Sequential(stem
/// ConvBNHardswish 3x3/2 to 16, the inverted residuals, ConvBNHardswish 1x1 to 6 x the last output), global average
/// pool, classifier = Sequential("0" Linear(6 x last, lastChannel), "1" Hardswish, "2" Dropout(0.2), "3"
/// Linear(lastChannel, numClasses)). Input [N, 3, H, W] to [N, numClasses].
/// </summary>
public sealed class MobileNetV3 : Module
{
    public int NumClasses { get; }
    public Sequential Features { get; }
    public Sequential Classifier { get; }

    public MobileNetV3(MobileNetV3Block[] blocks, int lastChannel, int numClasses = 1000, double dropout = 0.2)
    {
        VisionModels.CheckClasses(numClasses, "MobileNetV3");
        NumClasses = numClasses;
        Features = new Sequential(ConvNormActivation.Create(3, blocks[0].Input, 3, 2, activation: () => new Hardswish(), eps: 1e-3, momentum: 0.01));
        foreach (var b in blocks) Features.Add(new InvertedResidualV3(b));
        int lastConv = 6 * blocks[^1].Output;
        Features.Add(ConvNormActivation.Create(blocks[^1].Output, lastConv, 1, activation: () => new Hardswish(), eps: 1e-3, momentum: 0.01));
        RegisterModule("features", Features);
        RegisterModule("avgpool", new AdaptiveAvgPool2d(1));
        Classifier = RegisterModule("classifier", new Sequential(new Linear(lastConv, lastChannel), new Hardswish(), new Dropout(dropout), new Linear(lastChannel, numClasses)));
    }

    private static MobileNetV3Block B(int i, int k, int e, int o, bool se, string act, int s) => new(i, k, e, o, se, act == "HS", s);

    /// <summary>torchvision's mobilenet_v3_large table (width 1, no reduced tail, no dilation).</summary>
    public static MobileNetV3 Large(int numClasses = 1000) => new([
        B(16, 3, 16, 16, false, "RE", 1), B(16, 3, 64, 24, false, "RE", 2), B(24, 3, 72, 24, false, "RE", 1),
        B(24, 5, 72, 40, true, "RE", 2), B(40, 5, 120, 40, true, "RE", 1), B(40, 5, 120, 40, true, "RE", 1),
        B(40, 3, 240, 80, false, "HS", 2), B(80, 3, 200, 80, false, "HS", 1), B(80, 3, 184, 80, false, "HS", 1),
        B(80, 3, 184, 80, false, "HS", 1), B(80, 3, 480, 112, true, "HS", 1), B(112, 3, 672, 112, true, "HS", 1),
        B(112, 5, 672, 160, true, "HS", 2), B(160, 5, 960, 160, true, "HS", 1), B(160, 5, 960, 160, true, "HS", 1)], 1280, numClasses);

    /// <summary>torchvision's mobilenet_v3_small table.</summary>
    public static MobileNetV3 Small(int numClasses = 1000) => new([
        B(16, 3, 16, 16, true, "RE", 2), B(16, 3, 72, 24, false, "RE", 2), B(24, 3, 88, 24, false, "RE", 1),
        B(24, 5, 96, 40, true, "HS", 2), B(40, 5, 240, 40, true, "HS", 1), B(40, 5, 240, 40, true, "HS", 1),
        B(40, 5, 120, 48, true, "HS", 1), B(48, 5, 144, 48, true, "HS", 1), B(48, 5, 288, 96, true, "HS", 2),
        B(96, 5, 576, 96, true, "HS", 1), B(96, 5, 576, 96, true, "HS", 1)], 1024, numClasses);

    public override Tensor Forward(Tensor input) => Classifier.Forward(Features.Forward(input).Mean([2, 3]));
}
