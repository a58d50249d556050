namespace Engine;

/// <summary>max(x, 0).</summary>
public sealed class ReLU : Module
{
    public override Tensor Forward(Tensor input) => input.Relu();
}

/// <summary>x for x &gt; 0, negativeSlope * x otherwise.</summary>
public sealed class LeakyReLU(float negativeSlope = 0.01f) : Module
{
    public float NegativeSlope { get; } = negativeSlope;
    public override Tensor Forward(Tensor input) => input.LeakyRelu(NegativeSlope);
    public override string ExtraRepr() => $"negativeSlope={NegativeSlope}";
}

/// <summary>Exact GELU: 0.5 x (1 + erf(x / sqrt 2)).</summary>
public sealed class GELU : Module
{
    public override Tensor Forward(Tensor input) => input.Gelu();
}

/// <summary>1 / (1 + exp(-x)).</summary>
public sealed class Sigmoid : Module
{
    public override Tensor Forward(Tensor input) => input.Sigmoid();
}

/// <summary>tanh(x).</summary>
public sealed class Tanh : Module
{
    public override Tensor Forward(Tensor input) => input.Tanh();
}

/// <summary>exp(x_i) / sum_j exp(x_j) along dim (numerically stable).</summary>
public sealed class Softmax(int dim = -1) : Module
{
    /// <summary>The dim normalized over.</summary>
    public int Dim => dim;
    public override Tensor Forward(Tensor input) => input.Softmax(dim);
    public override string ExtraRepr() => $"dim={dim}";
}

/// <summary>x_i - log sum_j exp(x_j) along dim (numerically stable).</summary>
public sealed class LogSoftmax(int dim = -1) : Module
{
    /// <summary>The dim normalized over.</summary>
    public int Dim => dim;
    public override Tensor Forward(Tensor input) => input.LogSoftmax(dim);
    public override string ExtraRepr() => $"dim={dim}";
}

/// <summary>min(max(x, 0), 6), as torch.nn.ReLU6 (gradient 0 at 0 and 6).</summary>
public sealed class ReLU6 : Module
{
    public override Tensor Forward(Tensor input) => input.Relu6();
}

/// <summary>clamp(x, minVal, maxVal), as torch.nn.Hardtanh (gradient 0 at the bounds).</summary>
public sealed class Hardtanh : Module
{
    public Hardtanh(float minVal = -1f, float maxVal = 1f)
    {
        if (minVal > maxVal) throw new ArgumentException($"Hardtanh: minVal {minVal} is greater than maxVal {maxVal}");
        MinVal = minVal; MaxVal = maxVal;
    }
    public float MinVal { get; }
    public float MaxVal { get; }
    public override Tensor Forward(Tensor input) => input.Hardtanh(MinVal, MaxVal);
    public override string ExtraRepr() => $"minVal={MinVal}, maxVal={MaxVal}";
}

/// <summary>min(max(x + 3, 0), 6) / 6, as torch.nn.Hardsigmoid.</summary>
public sealed class Hardsigmoid : Module
{
    public override Tensor Forward(Tensor input) => input.Hardsigmoid();
}

/// <summary>x * min(max(x + 3, 0), 6) / 6, as torch.nn.Hardswish.</summary>
public sealed class Hardswish : Module
{
    public override Tensor Forward(Tensor input) => input.Hardswish();
}

/// <summary>x * sigmoid(x), as torch.nn.SiLU.</summary>
public sealed class SiLU : Module
{
    public override Tensor Forward(Tensor input) => input.Silu();
}
