namespace Engine.Tests.Optim;

// Small modules for the optimizer tests (the real layers live in another branch).

internal sealed class TinyLinear : Module
{
    public readonly Tensor Weight, Bias;
    public TinyLinear(int inF, int outF)
    {
        Weight = RegisterParameter("weight", Tensor.Randn(outF, inF).Mul(0.3f));
        Bias = RegisterParameter("bias", Tensor.Zeros(outF));
    }
    public override Tensor Forward(Tensor x) => x.Matmul(Weight.Transpose(0, 1)) + Bias;
}

/// <summary>Named like a normalization layer: its weight is [1, C] (rank 2) so only the type name marks it.</summary>
internal sealed class TinyLayerNorm : Module
{
    public readonly Tensor Weight, Bias;
    public TinyLayerNorm(int c)
    {
        Weight = RegisterParameter("weight", Tensor.Ones(1, c));
        Bias = RegisterParameter("bias", Tensor.Zeros(1, c));
    }
    public override Tensor Forward(Tensor x)
    {
        var mu = x.Mean(-1, keepDim: true);
        var xc = x - mu;
        return xc / (xc.Square().Mean(-1, keepDim: true) + 1e-5f).Sqrt() * Weight + Bias;
    }
}

internal sealed class TinyBatchNorm2d : Module
{
    public readonly Tensor Weight;
    public TinyBatchNorm2d(int c) { Weight = RegisterParameter("weight", Tensor.Ones(c, 1)); }
}

internal sealed class Backbone : Module
{
    public readonly TinyLinear Fc1;
    public readonly TinyLayerNorm Norm;
    public readonly TinyBatchNorm2d Bn;
    public Backbone()
    {
        Fc1 = RegisterModule("fc1", new TinyLinear(4, 6));
        Norm = RegisterModule("norm", new TinyLayerNorm(6));
        Bn = RegisterModule("bn", new TinyBatchNorm2d(6));
    }
    public override Tensor Forward(Tensor x) => Norm.Forward(Fc1.Forward(x)).Tanh();
}

internal sealed class Net : Module
{
    public readonly Backbone Backbone;
    public readonly TinyLinear Neck, Head;
    public Net()
    {
        Backbone = RegisterModule("backbone", new Backbone());
        Neck = RegisterModule("neck", new TinyLinear(6, 6));
        Head = RegisterModule("head", new TinyLinear(6, 3));
    }
    public override Tensor Forward(Tensor x) => Head.Forward(Neck.Forward(Backbone.Forward(x)).Tanh());
}
