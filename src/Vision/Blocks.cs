namespace Engine.Vision;

/// <summary>
/// torchvision's Conv2dNormActivation: a Sequential of "0" Conv2d (no bias, padding (k-1)/2 * dilation), "1" BatchNorm2d
/// and "2" the activation when there is one, so the state-dict names are torchvision's (<c>features.0.0.weight</c>,
/// <c>features.0.1.running_mean</c>, ...).
/// </summary>
public static class ConvNormActivation
{
    /// <param name="activation">A factory for the activation module (e.g. <c>() =&gt; new ReLU6()</c>); null for none.</param>
    /// <param name="eps">BatchNorm's epsilon (1e-5 as PyTorch; mobilenet_v3 uses 1e-3).</param>
    public static Sequential Create(int inChannels, int outChannels, int kernelSize = 3, int stride = 1, int groups = 1,
        Func<Module>? activation = null, double eps = 1e-5, double momentum = 0.1, int dilation = 1)
    {
        var s = new Sequential(
            new Conv2d(inChannels, outChannels, kernelSize, stride, padding: (kernelSize - 1) / 2 * dilation, dilation: dilation, groups: groups, bias: false),
            new BatchNorm2d(outChannels, eps, momentum));
        if (activation != null) s.Add(activation());
        return s;
    }
}

/// <summary>
/// Squeeze-and-excitation (Hu et al. 2017), torchvision.ops.SqueezeExcitation with its names: for x [N, C, H, W],
/// s = scale_activation(fc2(activation(fc1(mean over H, W of x)))) [N, C, 1, 1] and y = s * x, where fc1 [C -> S] and
/// fc2 [S -> C] are 1x1 convolutions with bias. torchvision uses ReLU + Sigmoid by default, ReLU + Hardsigmoid in
/// mobilenet_v3, SiLU + Sigmoid in efficientnet.
/// </summary>
public sealed class SqueezeExcitation : Module
{
    public Conv2d Fc1 { get; }
    public Conv2d Fc2 { get; }
    private readonly Module _activation, _scaleActivation;

    public SqueezeExcitation(int inputChannels, int squeezeChannels, Func<Module>? activation = null, Func<Module>? scaleActivation = null)
    {
        RegisterModule("avgpool", new AdaptiveAvgPool2d(1));
        Fc1 = RegisterModule("fc1", new Conv2d(inputChannels, squeezeChannels, 1));
        Fc2 = RegisterModule("fc2", new Conv2d(squeezeChannels, inputChannels, 1));
        _activation = RegisterModule("activation", (activation ?? (() => new ReLU()))());
        _scaleActivation = RegisterModule("scale_activation", (scaleActivation ?? (() => new Sigmoid()))());
    }

    public override Tensor Forward(Tensor input)
    {
        var s = input.Mean([2, 3], keepDim: true);
        s = _scaleActivation.Forward(Fc2.Forward(_activation.Forward(Fc1.Forward(s))));
        return input.Mul(s);
    }
}

/// <summary>
/// Stochastic depth (Huang et al. 2016), torchvision.ops.StochasticDepth: in training, mode "row" drops the whole
/// residual branch of each sample with probability p, y[n] = x[n] * b[n] / (1 - p) with b[n] ~ Bernoulli(1 - p);
/// mode "batch" draws one b for the batch. Identity in eval mode or when p = 0. The gradient is dy * b / (1 - p).
/// </summary>
public sealed class StochasticDepth : Module
{
    public double P { get; }
    public string Mode { get; }
    private readonly Generator? _gen;

    public StochasticDepth(double p, string mode = "row", Generator? generator = null)
    {
        if (p < 0 || p > 1) throw new ArgumentOutOfRangeException(nameof(p), $"StochasticDepth: drop probability must be in [0, 1], got {p}");
        if (mode is not ("row" or "batch")) throw new ArgumentException($"StochasticDepth: mode must be 'row' or 'batch', got '{mode}'", nameof(mode));
        (P, Mode, _gen) = (p, mode, generator);
    }

    public override Tensor Forward(Tensor input)
    {
        if (!Training || P == 0) return input;
        var g = _gen ?? Generator.Default;
        double survival = 1 - P;
        int n = Mode == "row" ? input.Shape[0] : 1;
        var mask = new float[n];
        for (int i = 0; i < n; i++)
        {
            bool keep = g.NextDouble() < survival;
            mask[i] = keep ? (float)(1 / survival) : 0f;   // survival 0 (p = 1): every sample dropped, no division
        }
        var shape = new int[input.Rank];
        Array.Fill(shape, 1);
        shape[0] = n;
        return input.Mul(Tensor.FromArray(mask, shape, input.Device));
    }

    public override string ExtraRepr() => $"p={P}, mode={Mode}";
}
