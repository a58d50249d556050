namespace Engine;

/// <summary>
/// Max over kernelSize windows (stride defaults to kernelSize; padding counts as -inf). dilation spaces the window's
/// taps; ceilMode rounds the output size up as PyTorch's ceil_mode (a last partial window, never one that starts in
/// the right padding).
/// </summary>
public sealed class MaxPool2d(int kernelSize, int? stride = null, int padding = 0, int dilation = 1, bool ceilMode = false) : Module
{
    public Pool2dArgs Args { get; } = new(kernelSize, kernelSize, stride ?? kernelSize, stride ?? kernelSize, padding, padding,
        CeilMode: ceilMode, DilationH: dilation, DilationW: dilation);
    public override Tensor Forward(Tensor input) => input.MaxPool2d(Args);
    public override string ExtraRepr() =>
        $"kernelSize={Args.KernelH}, stride={Args.StrideH}, padding={Args.PadH}, dilation={Args.DilationH}, ceilMode={Args.CeilMode}";
}

/// <summary>
/// Mean over kernelSize windows (stride defaults to kernelSize; padded cells count unless countIncludePad is false).
/// ceilMode rounds the output size up as PyTorch's; a last partial window divides by its part inside the padded input.
/// </summary>
public sealed class AvgPool2d(int kernelSize, int? stride = null, int padding = 0, bool ceilMode = false, bool countIncludePad = true) : Module
{
    public Pool2dArgs Args { get; } = new(kernelSize, kernelSize, stride ?? kernelSize, stride ?? kernelSize, padding, padding, countIncludePad, ceilMode);
    public override Tensor Forward(Tensor input) => input.AvgPool2d(Args);
    public override string ExtraRepr() =>
        $"kernelSize={Args.KernelH}, stride={Args.StrideH}, padding={Args.PadH}, ceilMode={Args.CeilMode}, countIncludePad={Args.CountIncludePad}";
}

/// <summary>
/// Mean over windows chosen so that the output is outputSize: output cell i along a dim of size L
/// averages [floor(i L / o), ceil((i + 1) L / o)) as PyTorch does. AdaptiveAvgPool2d(1) is global average pooling.
/// </summary>
public sealed class AdaptiveAvgPool2d(int outputH, int outputW) : Module
{
    public AdaptiveAvgPool2d(int outputSize) : this(outputSize, outputSize) { }

    public override Tensor Forward(Tensor input) => F.AdaptiveAvgPool2d(input, outputH, outputW);
    public override string ExtraRepr() => $"outputSize=({outputH}, {outputW})";
}

/// <summary>
/// Spatial pyramid pooling as in YOLOv3-SPP: max pools of each kernel size with stride 1 and same
/// padding (k/2), concatenated on channels after the input: [N, C, H, W] to [N, C * (1 + kernels), H, W].
/// </summary>
public sealed class SpatialPyramidPooling : Module
{
    public int[] KernelSizes { get; }

    public SpatialPyramidPooling(params int[] kernelSizes)
    {
        if (kernelSizes.Length == 0) kernelSizes = [5, 9, 13];
        foreach (var k in kernelSizes)
            if (k <= 0 || k % 2 == 0) throw new ArgumentException($"SpatialPyramidPooling: kernel sizes must be odd and positive to keep the size, got {k}");
        KernelSizes = kernelSizes;
    }

    public override Tensor Forward(Tensor input)
    {
        var parts = new List<Tensor> { input };
        foreach (var k in KernelSizes) parts.Add(input.MaxPool2d(new Pool2dArgs(k, k, 1, 1, k / 2, k / 2)));
        return Tensor.Cat(parts, 1);
    }

    public override string ExtraRepr() => $"kernelSizes=[{string.Join(", ", KernelSizes)}]";
}

/// <summary>Nearest-neighbour upsampling by an integer factor: [N, C, H, W] to [N, C, H s, W s] (no copy until reshape).</summary>
public sealed class Upsample(int scaleFactor = 2) : Module
{
    public override Tensor Forward(Tensor input) => F.UpsampleNearest(input, scaleFactor);
    public override string ExtraRepr() => $"scaleFactor={scaleFactor}, mode='nearest'";
}
