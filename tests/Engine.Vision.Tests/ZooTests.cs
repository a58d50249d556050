using Xunit.Sdk;

namespace Engine.Vision.Tests;

/// <summary>The factory, parameter counts against torchvision's published ones, and the errors a user meets.</summary>
public class ZooTests
{
    // torchvision 0.14's num_params of each model at 1000 classes (its weights' metadata).
    [Theory]
    [InlineData("resnet18", 11_689_512)]
    [InlineData("resnet34", 21_797_672)]
    [InlineData("resnet50", 25_557_032)]
    [InlineData("mobilenet_v2", 3_504_872)]
    [InlineData("mobilenet_v3_small", 2_542_856)]
    [InlineData("mobilenet_v3_large", 5_483_032)]
    [InlineData("efficientnet_b0", 5_288_548)]
    public void ParameterCountIsTorchvisions(string arch, long count) =>
        Assert.Equal(count, VisionModels.Create(arch).ParameterCount());

    [Fact]
    public void TypedBuildersAndTheFactoryAgree()
    {
        Assert.Equal(VisionModels.Create("resnet18", 7).ParameterCount(), ResNet.ResNet18(7).ParameterCount());
        Assert.Equal(VisionModels.Create("MobileNet_V2", 7).ParameterCount(), MobileNetV2.Create(7).ParameterCount());
        Assert.Equal(7, ((ResNet)VisionModels.Create("resnet50", 7)).Fc.OutFeatures);
    }

    [Fact]
    public void EachModelGivesItsClassCountOnASmallInput()
    {
        using var _ = Tensor.NoGrad();
        foreach (var arch in VisionModels.Names.Where(a => a != "vgg11_bn"))
        {
            var m = VisionModels.Create(arch, 3).Eval();
            Assert.Equal([1, 3], m.Forward(Tensor.Randn(1, 3, 32, 32)).Shape.ToArray());
        }
    }

    [Fact]
    public void AnUnknownArchitectureListsTheKnownOnes()
    {
        var e = Assert.Throws<ArgumentException>(() => VisionModels.Create("resnet19"));
        Assert.Contains("resnet19", e.Message);
        Assert.Contains("mobilenet_v3_small", e.Message);
    }

    [Fact]
    public void AStateDictOfAnotherArchitectureIsRefusedWithTheKeys()
    {
        var sd = ResNet.ResNet18(10).StateDict();
        var e = Assert.Throws<ArgumentException>(() => VisionModels.LoadStateDict(ResNet.ResNet34(10), sd, "resnet18.safetensors"));
        Assert.Contains("missing key 'layer1.2.conv1.weight'", e.Message);
        var e2 = Assert.Throws<ArgumentException>(() => VisionModels.LoadStateDict(MobileNetV2.Create(10), sd, "resnet18.safetensors"));
        Assert.Contains("unexpected key 'conv1.weight'", e2.Message);
        Assert.Contains("missing key 'features.0.0.weight'", e2.Message);
        // Same names, other shapes: resnet50's bottlenecks into resnet34's basic blocks.
        var e3 = Assert.Throws<ArgumentException>(() => VisionModels.LoadStateDict(ResNet.ResNet34(10), ResNet.ResNet50(10).StateDict()));
        Assert.Contains("shape mismatch for 'layer1.0.conv1.weight'", e3.Message);
    }

    [Fact]
    public void AClassCountMismatchSaysWhichOptionReplacesTheHead()
    {
        var sd = ResNet.ResNet18(10).StateDict();
        var e = Assert.Throws<ArgumentException>(() => VisionModels.LoadStateDict(ResNet.ResNet18(), sd, "ckpt.safetensors"));
        Assert.Contains("ckpt.safetensors has 10 classes in 'fc.weight'", e.Message);
        Assert.Contains("numClasses: 10", e.Message);
        var e2 = Assert.Throws<ArgumentException>(() => VisionModels.LoadStateDict(MobileNetV3.Small(5), MobileNetV3.Small(4).StateDict()));
        Assert.Contains("4 classes in 'classifier.3.weight'", e2.Message);
        // The right count loads.
        VisionModels.LoadStateDict(ResNet.ResNet18(10), sd);
    }

    [Fact]
    public void MakeDivisibleIsTorchvisions()
    {
        Assert.Equal(8, VisionModels.MakeDivisible(16 / 4, 8));     // at least the divisor
        Assert.Equal(24, VisionModels.MakeDivisible(88 / 4, 8));    // 22 -> 24
        Assert.Equal(144, VisionModels.MakeDivisible(576 / 4, 8));
        Assert.Equal(32, VisionModels.MakeDivisible(28, 8));        // 28 + 4 -> 32
        Assert.Equal(16, VisionModels.MakeDivisible(17, 8));
    }
}
