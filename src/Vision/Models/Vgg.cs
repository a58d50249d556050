namespace Engine.Vision;

/// <summary>
/// VGG (Simonyan and Zisserman 2014) with batch norm, as torchvision 0.14 builds it: features = Sequential of
/// Conv2d 3x3 pad 1 - BatchNorm2d - ReLU per channel entry and MaxPool2d(2, 2) per "M", avgpool = AdaptiveAvgPool2d(7),
/// classifier = Sequential("0" Linear(512*7*7, 4096), "1" ReLU, "2" Dropout, "3" Linear(4096, 4096), "4" ReLU, "5" Dropout,
/// "6" Linear(4096, numClasses)). Input [N, 3, H, W] with H, W at least 32.
/// </summary>
public sealed class Vgg : Module
{
    /// <summary>torchvision's configuration "A" (vgg11): channel counts, 0 for a max pool.</summary>
    public static IReadOnlyList<int> ConfigA { get; } = [64, 0, 128, 0, 256, 256, 0, 512, 512, 0, 512, 512, 0];

    public int NumClasses { get; }
    public Sequential Features { get; }
    public Sequential Classifier { get; }

    /// <param name="config">Channels per conv, 0 for MaxPool2d(2, 2) (torchvision's "M").</param>
    /// <param name="hidden">The classifier's hidden width (4096 in torchvision; smaller only for reduced-size variants).</param>
    public Vgg(IReadOnlyList<int> config, int numClasses = 1000, double dropout = 0.5, int hidden = 4096)
    {
        VisionModels.CheckClasses(numClasses, "VGG");
        NumClasses = numClasses;
        Features = new Sequential();
        int inC = 3;
        foreach (var v in config)
        {
            if (v == 0) { Features.Add(new MaxPool2d(2, 2)); continue; }
            Features.Add(new Conv2d(inC, v, 3, padding: 1));
            Features.Add(new BatchNorm2d(v));
            Features.Add(new ReLU());
            inC = v;
        }
        RegisterModule("features", Features);
        RegisterModule("avgpool", new AdaptiveAvgPool2d(7));
        Classifier = RegisterModule("classifier", new Sequential(
            new Linear(inC * 7 * 7, hidden), new ReLU(), new Dropout(dropout),
            new Linear(hidden, hidden), new ReLU(), new Dropout(dropout), new Linear(hidden, numClasses)));
    }

    public static Vgg Vgg11Bn(int numClasses = 1000) => new(ConfigA, numClasses);

    public override Tensor Forward(Tensor input) =>
        Classifier.Forward(F.AdaptiveAvgPool2d(Features.Forward(input), 7, 7).Flatten(1));
}
