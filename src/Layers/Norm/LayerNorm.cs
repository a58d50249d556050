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

    /// <summary>F.LayerNorm: the backend's fused kernel where it has one, else the composed ops.</summary>
    public override Tensor Forward(Tensor input) => F.LayerNorm(input, NormalizedShape, Weight, Bias, Eps);

    public override string ExtraRepr() => $"{Shape.Format(NormalizedShape)}, eps={Eps}, elementwiseAffine={Weight != null}";
}
