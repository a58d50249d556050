namespace Engine.Vision;

/// <summary>
/// MobileNetV2's inverted residual, torchvision's names: conv = Sequential("0" 1x1 expand ConvBNReLU6 when the ratio
/// is not 1, then 3x3 depthwise ConvBNReLU6 (stride), then a 1x1 Conv2d and a BatchNorm2d, linear); y = x + conv(x)
/// when stride is 1 and the channels match, else conv(x).
/// </summary>
public sealed class InvertedResidualV2 : Module
{
    private readonly Sequential _conv;
    private readonly bool _residual;

    public InvertedResidualV2(int inp, int oup, int stride, int expandRatio)
    {
        if (stride is not (1 or 2)) throw new ArgumentException($"InvertedResidual: stride must be 1 or 2, got {stride}");
        int hidden = (int)Math.Round((double)inp * expandRatio, MidpointRounding.ToEven);
        _residual = stride == 1 && inp == oup;
        _conv = new Sequential();
        if (expandRatio != 1) _conv.Add(ConvNormActivation.Create(inp, hidden, 1, activation: () => new ReLU6()));
        _conv.Add(ConvNormActivation.Create(hidden, hidden, 3, stride, groups: hidden, activation: () => new ReLU6()));
        _conv.Add(new Conv2d(hidden, oup, 1, bias: false));
        _conv.Add(new BatchNorm2d(oup));
        RegisterModule("conv", _conv);
    }

    /// <summary>Whether the block adds its input (stride 1 and equal channels), torchvision's use_res_connect.</summary>
    public bool UseResConnect => _residual;

    public override Tensor Forward(Tensor input) => _residual ? input.Add(_conv.Forward(input)) : _conv.Forward(input);
}

/// <summary>
/// MobileNetV2 (Sandler et al. 2018) as torchvision 0.14 builds it: features = Sequential(stem ConvBNReLU6 3x3/2 to 32,
/// 17 inverted residuals, ConvBNReLU6 1x1 to 1280), global average pool, classifier = Sequential("0" Dropout(0.2),
/// "1" Linear(1280, numClasses)). Input [N, 3, H, W] to [N, numClasses].
/// </summary>
public sealed class MobileNetV2 : Module
{
    public int NumClasses { get; }
    public Sequential Features { get; }
    public Sequential Classifier { get; }

    public MobileNetV2(int numClasses = 1000, double widthMult = 1.0, double dropout = 0.2)
    {
        VisionModels.CheckClasses(numClasses, "MobileNetV2");
        NumClasses = numClasses;
        int[][] setting = [[1, 16, 1, 1], [6, 24, 2, 2], [6, 32, 3, 2], [6, 64, 4, 2], [6, 96, 3, 1], [6, 160, 3, 2], [6, 320, 1, 1]];
        int input = VisionModels.MakeDivisible(32 * widthMult, 8), last = VisionModels.MakeDivisible(1280 * Math.Max(1.0, widthMult), 8);
        Features = new Sequential(ConvNormActivation.Create(3, input, 3, 2, activation: () => new ReLU6()));
        foreach (var s in setting)
        {
            int output = VisionModels.MakeDivisible(s[1] * widthMult, 8);
            for (int i = 0; i < s[2]; i++)
            {
                Features.Add(new InvertedResidualV2(input, output, i == 0 ? s[3] : 1, s[0]));
                input = output;
            }
        }
        Features.Add(ConvNormActivation.Create(input, last, 1, activation: () => new ReLU6()));
        RegisterModule("features", Features);
        Classifier = RegisterModule("classifier", new Sequential(new Dropout(dropout), new Linear(last, numClasses)));
    }

    public static MobileNetV2 Create(int numClasses = 1000) => new(numClasses);

    public override Tensor Forward(Tensor input) => Classifier.Forward(Features.Forward(input).Mean([2, 3]));
}
