namespace Engine;

/// <summary>
/// Layer normalization over the last dims (normalizedShape): y = (x - mean) / sqrt(var + eps) * weight + bias,
/// mean and biased variance per sample. Weight (ones) and bias (zeros) have shape normalizedShape.
/// </summary>
public sealed class LayerNorm : Module
{
    public int[] NormalizedShape { get; }
    public double Eps { get; }
    public Tensor? Weight { get; }
    public Tensor? Bias { get; }

    public LayerNorm(int normalizedShape, double eps = 1e-5, bool elementwiseAffine = true) : this([normalizedShape], eps, elementwiseAffine) { }

    public LayerNorm(int[] normalizedShape, double eps = 1e-5, bool elementwiseAffine = true)
    {
        if (normalizedShape.Length == 0 || normalizedShape.Any(d => d <= 0)) throw new ArgumentException($"LayerNorm: normalizedShape {Shape.Format(normalizedShape)} must be non-empty and positive");
        (NormalizedShape, Eps) = (normalizedShape, eps);
        if (elementwiseAffine)
        {
            Weight = RegisterParameter("weight", Tensor.Ones(new Shape(normalizedShape)));
            Bias = RegisterParameter("bias", Tensor.Zeros(new Shape(normalizedShape)));
        }
    }

    public override Tensor Forward(Tensor input)
    {
        int k = NormalizedShape.Length;
        bool ok = input.Rank >= k;
        for (int i = 0; ok && i < k; i++) ok = input.Shape[input.Rank - k + i] == NormalizedShape[i];
        if (!ok) throw new ShapeException($"LayerNorm: input {input.Shape} must end in {Shape.Format(NormalizedShape)}");
        var dims = Enumerable.Range(input.Rank - k, k).ToArray();
        var centered = input.Sub(input.Mean(dims, keepDim: true));
        var y = centered.Mul(centered.Square().Mean(dims, keepDim: true).Add((float)Eps).Pow(-0.5f));
        return Weight != null ? y.Mul(Weight).Add(Bias!) : y;
    }

    public override string ExtraRepr() => $"{Shape.Format(NormalizedShape)}, eps={Eps}, elementwiseAffine={Weight != null}";
}
