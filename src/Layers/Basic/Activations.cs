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
