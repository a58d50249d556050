namespace Engine.Vision;

/// <summary>
/// ResNet's basic block (resnet18/34), torchvision's names: conv1 3x3 (stride) - bn1 - relu - conv2 3x3 - bn2, plus the
/// input or its projection downsample ("0" 1x1 conv with stride, "1" BatchNorm2d), then relu. x [N, C, H, W] to
/// [N, planes, H/stride, W/stride].
/// </summary>
public sealed class BasicBlock : Module
{
    public const int Expansion = 1;
    private readonly Conv2d _conv1, _conv2;
    private readonly BatchNorm2d _bn1, _bn2;
    private readonly Sequential? _downsample;

    public BasicBlock(int inplanes, int planes, int stride = 1, Sequential? downsample = null)
    {
        _conv1 = RegisterModule("conv1", new Conv2d(inplanes, planes, 3, stride, padding: 1, bias: false));
        _bn1 = RegisterModule("bn1", new BatchNorm2d(planes));
        RegisterModule("relu", new ReLU());
        _conv2 = RegisterModule("conv2", new Conv2d(planes, planes, 3, 1, padding: 1, bias: false));
        _bn2 = RegisterModule("bn2", new BatchNorm2d(planes));
        if (downsample != null) _downsample = RegisterModule("downsample", downsample);
    }

    public override Tensor Forward(Tensor input)
    {
        var y = _bn2.Forward(_conv2.Forward(_bn1.Forward(_conv1.Forward(input)).Relu()));
        return y.Add(_downsample?.Forward(input) ?? input).Relu();
    }
}

/// <summary>
/// ResNet's bottleneck block (resnet50, torchvision's "v1.5": the stride on the 3x3): conv1 1x1 - bn1 - relu - conv2 3x3
/// (stride) - bn2 - relu - conv3 1x1 to planes * 4 - bn3, plus the input or downsample, then relu.
/// </summary>
public sealed class Bottleneck : Module
{
    public const int Expansion = 4;
    private readonly Conv2d _conv1, _conv2, _conv3;
    private readonly BatchNorm2d _bn1, _bn2, _bn3;
    private readonly Sequential? _downsample;

    public Bottleneck(int inplanes, int planes, int stride = 1, Sequential? downsample = null)
    {
        _conv1 = RegisterModule("conv1", new Conv2d(inplanes, planes, 1, bias: false));
        _bn1 = RegisterModule("bn1", new BatchNorm2d(planes));
        _conv2 = RegisterModule("conv2", new Conv2d(planes, planes, 3, stride, padding: 1, bias: false));
        _bn2 = RegisterModule("bn2", new BatchNorm2d(planes));
        _conv3 = RegisterModule("conv3", new Conv2d(planes, planes * Expansion, 1, bias: false));
        _bn3 = RegisterModule("bn3", new BatchNorm2d(planes * Expansion));
        RegisterModule("relu", new ReLU());
        if (downsample != null) _downsample = RegisterModule("downsample", downsample);
    }

    public override Tensor Forward(Tensor input)
    {
        var y = _bn1.Forward(_conv1.Forward(input)).Relu();
        y = _bn2.Forward(_conv2.Forward(y)).Relu();
        y = _bn3.Forward(_conv3.Forward(y));
        return y.Add(_downsample?.Forward(input) ?? input).Relu();
    }
}

/// <summary>
/// ResNet (He et al. 2015) as torchvision 0.14 builds it, with its state-dict names: conv1 7x7/2 - bn1 - relu - maxpool
/// 3x3/2 - layer1..layer4 (64, 128, 256, 512 planes; stride 2 from layer2 on) - global average pool - fc. Input
/// [N, 3, H, W] (H, W at least 32 for resnet50's last stride) to logits [N, numClasses].
/// </summary>
public sealed class ResNet : Module
{
    public int NumClasses { get; }
    public Linear Fc { get; }
    private readonly Conv2d _conv1;
    private readonly BatchNorm2d _bn1;
    private readonly MaxPool2d _maxpool;
    private readonly Sequential[] _layers;

    /// <param name="bottleneck">Bottleneck blocks (resnet50/101/152) instead of basic blocks (resnet18/34).</param>
    /// <param name="layers">Blocks per stage, e.g. [2, 2, 2, 2] for resnet18.</param>
    public ResNet(bool bottleneck, int[] layers, int numClasses = 1000)
    {
        if (layers.Length != 4) throw new ArgumentException($"ResNet: four stages expected, got [{string.Join(", ", layers)}]", nameof(layers));
        VisionModels.CheckClasses(numClasses, "ResNet");
        NumClasses = numClasses;
        int expansion = bottleneck ? Bottleneck.Expansion : BasicBlock.Expansion, inplanes = 64;
        _conv1 = RegisterModule("conv1", new Conv2d(3, 64, 7, 2, padding: 3, bias: false));
        _bn1 = RegisterModule("bn1", new BatchNorm2d(64));
        RegisterModule("relu", new ReLU());
        _maxpool = RegisterModule("maxpool", new MaxPool2d(3, 2, 1));
        _layers = new Sequential[4];
        int[] planes = [64, 128, 256, 512];
        for (int l = 0; l < 4; l++)
        {
            var stage = new Sequential();
            for (int b = 0; b < layers[l]; b++)
            {
                int stride = b == 0 && l > 0 ? 2 : 1;
                Sequential? down = null;
                if (b == 0 && (stride != 1 || inplanes != planes[l] * expansion))
                    down = new Sequential(new Conv2d(inplanes, planes[l] * expansion, 1, stride, bias: false), new BatchNorm2d(planes[l] * expansion));
                stage.Add(bottleneck ? new Bottleneck(inplanes, planes[l], stride, down) : new BasicBlock(inplanes, planes[l], stride, down));
                inplanes = planes[l] * expansion;
            }
            _layers[l] = RegisterModule($"layer{l + 1}", stage);
        }
        RegisterModule("avgpool", new AdaptiveAvgPool2d(1));
        Fc = RegisterModule("fc", new Linear(512 * expansion, numClasses));
    }

    public static ResNet ResNet18(int numClasses = 1000) => new(false, [2, 2, 2, 2], numClasses);
    public static ResNet ResNet34(int numClasses = 1000) => new(false, [3, 4, 6, 3], numClasses);
    public static ResNet ResNet50(int numClasses = 1000) => new(true, [3, 4, 6, 3], numClasses);

    /// <summary>The feature map before pooling: [N, 512 * expansion, H/32, W/32].</summary>
    public Tensor ForwardFeatures(Tensor input)
    {
        var x = _maxpool.Forward(_bn1.Forward(_conv1.Forward(input)).Relu());
        foreach (var l in _layers) x = l.Forward(x);
        return x;
    }

    public override Tensor Forward(Tensor input) => Fc.Forward(ForwardFeatures(input).Mean([2, 3]));
}
