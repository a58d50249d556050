namespace Engine;

/// <summary>
/// 2-D convolution: y[N,K,P,Q] = sum over c, r, s of w[k, c, r, s] x[n, g*C/G + c, p*stride + r*dilation - pad, ...] + b[k].
/// Weight [outChannels, inChannels/groups, kH, kW]; groups = inChannels is a depthwise convolution.
/// Default init as PyTorch: kaiming_uniform(a = sqrt 5) weights, bias U(-1/sqrt(fanIn), 1/sqrt(fanIn)), fanIn = inChannels/groups * kH * kW.
/// </summary>
public sealed class Conv2d : Module
{
    public int InChannels { get; }
    public int OutChannels { get; }
    public (int H, int W) KernelSize { get; }
    public Conv2dArgs Args { get; }
    public Tensor Weight { get; }
    public Tensor? Bias { get; }

    public Conv2d(int inChannels, int outChannels, int kernelSize, int stride = 1, int padding = 0, int dilation = 1, int groups = 1, bool bias = true)
        : this(inChannels, outChannels, (kernelSize, kernelSize), (stride, stride), (padding, padding), (dilation, dilation), groups, bias) { }

    public Conv2d(int inChannels, int outChannels, (int H, int W) kernelSize, (int H, int W) stride, (int H, int W) padding, (int H, int W) dilation, int groups = 1, bool bias = true)
    {
        if (inChannels <= 0 || outChannels <= 0 || kernelSize.H <= 0 || kernelSize.W <= 0)
            throw new ArgumentOutOfRangeException(nameof(inChannels), $"Conv2d({inChannels}, {outChannels}, kernel {kernelSize}): sizes must be positive");
        if (groups <= 0 || inChannels % groups != 0 || outChannels % groups != 0)
            throw new ArgumentException($"Conv2d: groups {groups} must divide inChannels {inChannels} and outChannels {outChannels}");
        (InChannels, OutChannels, KernelSize) = (inChannels, outChannels, kernelSize);
        Args = new Conv2dArgs(stride.H, stride.W, padding.H, padding.W, dilation.H, dilation.W, groups);
        Weight = RegisterParameter("weight", Tensor.Zeros(outChannels, inChannels / groups, kernelSize.H, kernelSize.W));
        Bias = bias ? RegisterParameter("bias", Tensor.Zeros(outChannels)) : null;
        ResetParameters();
    }

    public void ResetParameters()
    {
        Init.KaimingUniform(Weight, a: Math.Sqrt(5));
        if (Bias != null) { double b = 1 / Math.Sqrt(Init.Fans(Weight).FanIn); Init.Uniform(Bias, -b, b); }
    }

    /// <summary>x [N, inChannels, H, W] to [N, outChannels, P, Q].</summary>
    public override Tensor Forward(Tensor input) => input.Conv2d(Weight, Bias, Args);

    public override string ExtraRepr() =>
        $"{InChannels}, {OutChannels}, kernelSize={KernelSize}, stride=({Args.StrideH}, {Args.StrideW}), padding=({Args.PadH}, {Args.PadW})" +
        (Args.DilationH != 1 || Args.DilationW != 1 ? $", dilation=({Args.DilationH}, {Args.DilationW})" : "") +
        (Args.Groups != 1 ? $", groups={Args.Groups}" : "") + (Bias == null ? ", bias=False" : "");
}

/// <summary>
/// MobileNetV1's depthwise-separable block: depthwise 3x3 conv (groups = inChannels, stride) - BN - ReLU,
/// then pointwise 1x1 conv to outChannels - BN - ReLU. Children: dw, bn1, pw, bn2.
/// </summary>
public sealed class DepthwiseSeparableConv : Module
{
    public Conv2d Depthwise { get; }
    public BatchNorm2d Bn1 { get; }
    public Conv2d Pointwise { get; }
    public BatchNorm2d Bn2 { get; }

    public DepthwiseSeparableConv(int inChannels, int outChannels, int stride = 1, int kernelSize = 3)
    {
        Depthwise = RegisterModule("dw", new Conv2d(inChannels, inChannels, kernelSize, stride, padding: kernelSize / 2, groups: inChannels, bias: false));
        Bn1 = RegisterModule("bn1", new BatchNorm2d(inChannels));
        Pointwise = RegisterModule("pw", new Conv2d(inChannels, outChannels, 1, bias: false));
        Bn2 = RegisterModule("bn2", new BatchNorm2d(outChannels));
    }

    public override Tensor Forward(Tensor input) =>
        Bn2.Forward(Pointwise.Forward(Bn1.Forward(Depthwise.Forward(input)).Relu())).Relu();
}
