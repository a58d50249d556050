namespace Engine.Tests.Tricks;

/// <summary>A two-layer perceptron built from autograd primitives, for trick tests that need a Module.</summary>
internal sealed class TinyNet : Module
{
    public readonly Tensor W1, B1, W2, B2;

    public TinyNet(int inputs, int hidden, int classes, Generator g)
    {
        W1 = RegisterParameter("w1", Tensor.Randn(new Shape(inputs, hidden), g).Mul(MathF.Sqrt(2f / inputs)));
        B1 = RegisterParameter("b1", Tensor.Zeros(hidden));
        W2 = RegisterParameter("w2", Tensor.Randn(new Shape(hidden, classes), g).Mul(MathF.Sqrt(1f / hidden)));
        B2 = RegisterParameter("b2", Tensor.Zeros(classes));
    }

    public override Tensor Forward(Tensor x) => x.Matmul(W1).Add(B1).Relu().Matmul(W2).Add(B2);

    public static Tensor CrossEntropy(Tensor logits, Tensor labels) =>
        logits.LogSoftmax(1).Gather(1, labels.Reshape(labels.Numel, 1)).Mean().Neg();

    public void Sgd(float lr)
    {
        using var _ = Tensor.NoGrad();
        foreach (var p in Parameters()) { if (p.Grad != null) p.Add_(p.Grad, -lr); p.ZeroGrad(); }
    }
}
