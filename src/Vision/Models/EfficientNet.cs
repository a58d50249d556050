namespace Engine.Vision;

/// <summary>One stage of EfficientNet's table: expand ratio, kernel, stride, input and output channels, blocks.</summary>
public readonly record struct MBConvStage(int ExpandRatio, int Kernel, int Stride, int Input, int Output, int Layers);

/// <summary>
/// EfficientNet's MBConv, torchvision's names: block = Sequential(1x1 expand ConvBNSiLU when the ratio is not 1, kxk
/// depthwise ConvBNSiLU (stride), SqueezeExcitation(expanded, max(1, input / 4)) with SiLU and Sigmoid, 1x1 project
/// ConvBN); with a residual (stride 1, same channels) y = stochastic_depth(block(x)) + x.
/// </summary>
public sealed class MBConv : Module
{
    private readonly Sequential _block;
    private readonly StochasticDepth _drop;
    private readonly bool _residual;

    public MBConv(int expandRatio, int kernel, int stride, int input, int output, double stochasticDepthProb)
    {
        _residual = stride == 1 && input == output;
        int expanded = VisionModels.MakeDivisible(input * (double)expandRatio, 8);
        _block = new Sequential();
        if (expanded != input) _block.Add(ConvNormActivation.Create(input, expanded, 1, activation: () => new SiLU()));
        _block.Add(ConvNormActivation.Create(expanded, expanded, kernel, stride, groups: expanded, activation: () => new SiLU()));
        _block.Add(new SqueezeExcitation(expanded, Math.Max(1, input / 4), () => new SiLU(), () => new Sigmoid()));
        _block.Add(ConvNormActivation.Create(expanded, output, 1));
        RegisterModule("block", _block);
        _drop = RegisterModule("stochastic_depth", new StochasticDepth(stochasticDepthProb, "row"));
    }

    /// <summary>Whether the block adds its input (stride 1 and equal channels), torchvision's use_res_connect.</summary>
    public bool UseResConnect => _residual;

    public override Tensor Forward(Tensor input)
    {
        var y = _block.Forward(input);
        return _residual ? _drop.Forward(y).Add(input) : y;
    }
}

/// <summary>
/// EfficientNet (Tan and Le 2019) as torchvision 0.14 builds it: features = Sequential(stem ConvBNSiLU 3x3/2, one
/// Sequential of MBConv per stage, ConvBNSiLU 1x1 to 4 x the last output), global average pool, classifier =
/// Sequential("0" Dropout, "1" Linear). Stochastic depth grows linearly with the block index: p = 0.2 i / blocks.
/// </summary>
public sealed class EfficientNet : Module
{
    public int NumClasses { get; }
    public Sequential Features { get; }
    public Sequential Classifier { get; }

    public EfficientNet(MBConvStage[] stages, double dropout, int numClasses = 1000, double stochasticDepthProb = 0.2)
    {
        VisionModels.CheckClasses(numClasses, "EfficientNet");
        NumClasses = numClasses;
        Features = new Sequential(ConvNormActivation.Create(3, stages[0].Input, 3, 2, activation: () => new SiLU()));
        int total = stages.Sum(s => s.Layers), id = 0;
        foreach (var s in stages)
        {
            var stage = new Sequential();
            for (int i = 0; i < s.Layers; i++, id++)
                stage.Add(new MBConv(s.ExpandRatio, s.Kernel, i == 0 ? s.Stride : 1, i == 0 ? s.Input : s.Output, s.Output, stochasticDepthProb * id / total));
            Features.Add(stage);
        }
        int last = 4 * stages[^1].Output;
        Features.Add(ConvNormActivation.Create(stages[^1].Output, last, 1, activation: () => new SiLU()));
        RegisterModule("features", Features);
        RegisterModule("avgpool", new AdaptiveAvgPool2d(1));
        Classifier = RegisterModule("classifier", new Sequential(new Dropout(dropout), new Linear(last, numClasses)));
    }

    /// <summary>torchvision's efficientnet_b0 (width and depth 1, dropout 0.2).</summary>
    public static EfficientNet B0(int numClasses = 1000) => new([
        new(1, 3, 1, 32, 16, 1), new(6, 3, 2, 16, 24, 2), new(6, 5, 2, 24, 40, 2), new(6, 3, 2, 40, 80, 3),
        new(6, 5, 1, 80, 112, 3), new(6, 5, 2, 112, 192, 4), new(6, 3, 1, 192, 320, 1)], 0.2, numClasses);

    public override Tensor Forward(Tensor input) => Classifier.Forward(Features.Forward(input).Mean([2, 3]));
}
