namespace Engine;

/// <summary>
/// Inverted dropout: in training each element is zeroed with probability p and the survivors are
/// scaled by 1/(1-p), so that evaluation (which returns the input unchanged) needs no scaling.
/// </summary>
/// <remarks>
/// Do not put it after the last layer of a model: it would randomly zero logits that the loss
/// needs. Masks are drawn from <see cref="Generator.Default"/> (or the given generator), so
/// <see cref="Seed.Everything"/> makes them reproducible.
/// </remarks>
public sealed class Dropout : Module
{
    public double P { get; }
    private readonly Generator? _gen;

    public Dropout(double p = 0.5, Generator? generator = null)
    {
        if (p < 0 || p > 1) throw new ArgumentOutOfRangeException(nameof(p), $"Dropout: probability must be in [0, 1], got {p}");
        P = p; _gen = generator;
    }

    public override Tensor Forward(Tensor input) => F.Dropout(input, P, Training, _gen);
    public override string ExtraRepr() => $"p={P}";
}

/// <summary>Row lookup table [numEmbeddings, embeddingDim], init N(0, 1) with the paddingIdx row zero (as PyTorch).</summary>
public sealed class Embedding : Module
{
    public int NumEmbeddings { get; }
    public int EmbeddingDim { get; }
    public int? PaddingIdx { get; }
    public Tensor Weight { get; }

    public Embedding(int numEmbeddings, int embeddingDim, int? paddingIdx = null)
    {
        if (numEmbeddings <= 0 || embeddingDim <= 0) throw new ArgumentOutOfRangeException(nameof(numEmbeddings), $"Embedding({numEmbeddings}, {embeddingDim}): sizes must be positive");
        if (paddingIdx is int p)
        {
            if (p < -numEmbeddings || p >= numEmbeddings) throw new ArgumentOutOfRangeException(nameof(paddingIdx), $"Embedding: paddingIdx {p} is outside [{-numEmbeddings}, {numEmbeddings - 1}]");
            if (p < 0) paddingIdx = p + numEmbeddings;
        }
        (NumEmbeddings, EmbeddingDim, PaddingIdx) = (numEmbeddings, embeddingDim, paddingIdx);
        Weight = RegisterParameter("weight", Tensor.Zeros(numEmbeddings, embeddingDim));
        Init.Normal(Weight);
        if (PaddingIdx is int q) using (Autograd.NoGrad()) Weight.Narrow(0, q, 1).Fill_(0f);
    }

    /// <summary>indices: Int32 of any shape [*] to [*, embeddingDim]. Out-of-range indices are an error.</summary>
    public override Tensor Forward(Tensor input)
    {
        if (input.DType != DType.Int32) throw new ArgumentException($"Embedding: indices must be Int32, got {input.DType} of shape {input.Shape}");
        foreach (var i in input.ToIntArray())
            if (i < 0 || i >= NumEmbeddings) throw new ArgumentOutOfRangeException(nameof(input), $"Embedding: index {i} is outside [0, {NumEmbeddings - 1}]");
        return Tensor.Embedding(input, Weight, PaddingIdx);
    }

    public override string ExtraRepr() => $"{NumEmbeddings}, {EmbeddingDim}" + (PaddingIdx is int p ? $", paddingIdx={p}" : "");
}
