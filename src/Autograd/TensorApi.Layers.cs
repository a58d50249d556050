namespace Engine;

// Ops that the layers need beyond the core API.
public static partial class TensorApi
{
    extension(Tensor)
    {
        /// <summary>
        /// Row lookup: y[*, D] = weight[indices[*]] for Int32 indices of any shape. The gradient of
        /// weight touches only the looked-up rows, and never the paddingIdx row.
        /// </summary>
        public static Tensor Embedding(Tensor indices, Tensor weight, int? paddingIdx = null) => Functions.Embedding.Forward(indices, weight, paddingIdx);
    }
}

public static partial class TensorApi
{
    extension(Tensor x)
    {
        /// <summary>
        /// Unreduced binary cross-entropy on logits, stable at any magnitude:
        /// (1 - t) x + (1 + (posWeight - 1) t) * log(1 + exp(-x)). posWeight broadcasts over x.
        /// </summary>
        public Tensor BinaryCrossEntropyWithLogits(Tensor target, Tensor? posWeight = null) =>
            Functions.BinaryCrossEntropyWithLogits.Forward(x, target, posWeight);
    }
}

public static partial class TensorApi
{
    extension(Tensor x)
    {
        /// <summary>
        /// Standardizes x over dims: xhat = (x - mean) / sqrt(var + eps) with the biased variance, in one autograd
        /// node with a hand-written backward. Also returns mean and var (keepDim, no gradient) for running statistics.
        /// </summary>
        public (Tensor Xhat, Tensor Mean, Tensor Var) Normalize(int[] dims, float eps = 1e-5f) => Functions.Normalize.Forward(x, dims, eps);
    }
}

public static partial class TensorApi
{
    extension(Tensor x)
    {
        /// <summary>
        /// Per-row cross-entropy of logits x [M, C] against Int32 class indices [M] (all valid):
        /// loss_i = logsumexp(x_i) - x[i, t_i], one fused node with dx = dy (softmax - onehot).
        /// </summary>
        public Tensor SoftmaxCrossEntropy(Tensor target) => Functions.SoftmaxCrossEntropy.Forward(x, target);
    }
}
