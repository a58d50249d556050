namespace Engine;

/// <summary>
/// ResNet's basic block: conv3x3(stride) - BN - ReLU - conv3x3 - BN, plus the shortcut, then ReLU.
/// The shortcut is the identity, or a 1x1 conv(stride) + BN projection when the stride is not 1 or
/// the channel count changes (or when forced). Child names follow torchvision: conv1, bn1, conv2, bn2, downsample.0/.1.
/// </summary>
public sealed class ResidualBlock : Module
{
    public Conv2d Conv1 { get; }
    public BatchNorm2d Bn1 { get; }
    public Conv2d Conv2 { get; }
    public BatchNorm2d Bn2 { get; }
    /// <summary>The projection shortcut, or null for the identity.</summary>
    public Sequential? Downsample { get; }

    public ResidualBlock(int inChannels, int outChannels, int stride = 1, bool? projection = null)
    {
        Conv1 = RegisterModule("conv1", new Conv2d(inChannels, outChannels, 3, stride, padding: 1, bias: false));
        Bn1 = RegisterModule("bn1", new BatchNorm2d(outChannels));
        Conv2 = RegisterModule("conv2", new Conv2d(outChannels, outChannels, 3, 1, padding: 1, bias: false));
        Bn2 = RegisterModule("bn2", new BatchNorm2d(outChannels));
        bool project = projection ?? (stride != 1 || inChannels != outChannels);
        if (!project && (stride != 1 || inChannels != outChannels))
            throw new ArgumentException($"ResidualBlock({inChannels}, {outChannels}, stride {stride}): an identity shortcut needs stride 1 and equal channels");
        if (project)
            Downsample = RegisterModule("downsample", new Sequential(new Conv2d(inChannels, outChannels, 1, stride, bias: false), new BatchNorm2d(outChannels)));
    }

    public override Tensor Forward(Tensor input)
    {
        var y = Bn2.Forward(Conv2.Forward(Bn1.Forward(Conv1.Forward(input)).Relu()));
        var shortcut = Downsample != null ? Downsample.Forward(input) : input;
        return y.Add(shortcut).Relu();
    }
}

/// <summary>Concatenates its inputs along dim (channels by default). Use <see cref="Forward(Tensor[])"/>.</summary>
public sealed class Concat(int dim = 1) : Module
{
    public int Dim { get; } = dim;
    public Tensor Forward(params Tensor[] inputs) => Tensor.Cat(inputs, Dim);
    public override Tensor Forward(Tensor input) => input;
    public override string ExtraRepr() => $"dim={Dim}";
}

/// <summary>
/// Fuses a low-level (high-resolution) feature map with a high-level (low-resolution) one, as in
/// FPN/YOLOv3 routes: the high-level map [N, C2, h, w] is upsampled (nearest) to the low-level
/// map's size [N, C1, H, W] (H/h = W/w an integer) and the two are concatenated on channels: [N, C1 + C2, H, W].
/// </summary>
public sealed class FeatureConcat : Module
{
    public Tensor Forward(Tensor lowLevel, Tensor highLevel)
    {
        if (lowLevel.Rank != 4 || highLevel.Rank != 4 || lowLevel.Shape[0] != highLevel.Shape[0])
            throw new ShapeException($"FeatureConcat: needs two [N,C,H,W] maps with the same batch, got {lowLevel.Shape} and {highLevel.Shape}");
        int H = lowLevel.Shape[2], W = lowLevel.Shape[3], h = highLevel.Shape[2], w = highLevel.Shape[3];
        if (H % h != 0 || W % w != 0 || H / h != W / w)
            throw new ShapeException($"FeatureConcat: the low-level map {lowLevel.Shape} must be an integer multiple (same in H and W) of the high-level map {highLevel.Shape}");
        var up = H == h ? highLevel : F.UpsampleNearest(highLevel, H / h);
        return Tensor.Cat([lowLevel, up], 1);
    }
}
