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
