namespace Engine.Cli;

/// <summary>
/// The main job's first model, written with the autograd primitives only:
/// logits[B,10] = relu(x[B,784] W1[784,H] + b1) W2[H,10] + b2.
/// Initialized as PyTorch's nn.Linear: U(-1/sqrt(fan_in), 1/sqrt(fan_in)) for weights and biases.
/// </summary>
public sealed class Mlp
{
    public Tensor W1, B1, W2, B2;

    public Mlp(int inputs, int hidden, int classes)
    {
        W1 = Uniform([inputs, hidden], inputs); B1 = Uniform([hidden], inputs);
        W2 = Uniform([hidden, classes], hidden); B2 = Uniform([classes], hidden);
    }

    public Tensor[] Parameters => [W1, B1, W2, B2];

    private static Tensor Uniform(int[] shape, int fanIn)
    {
        float bound = 1f / MathF.Sqrt(fanIn);
        using (TensorScope.Suspend())
            return Tensor.Rand(new Shape(shape)).Mul(2 * bound).Sub(bound).RequiresGrad_();
    }

    public Tensor Forward(Tensor x) => x.Matmul(W1).Add(B1).Relu().Matmul(W2).Add(B2);

    /// <summary>Mean negative log-likelihood of the true classes: -mean(log_softmax(logits)[i, y_i]).</summary>
    public static Tensor CrossEntropy(Tensor logits, Tensor labels) =>
        logits.LogSoftmax(1).Gather(1, labels.Reshape(labels.Numel, 1)).Mean().Neg();

    /// <summary>Plain SGD: p -= lr * grad, then clear the gradient.</summary>
    public void SgdStep(float lr)
    {
        using var _ = Tensor.NoGrad();
        foreach (var p in Parameters)
        {
            if (p.Grad != null) p.Add_(p.Grad, -lr);
            p.ZeroGrad();
        }
    }
}
