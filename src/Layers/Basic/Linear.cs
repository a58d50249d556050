namespace Engine;

/// <summary>
/// y = x W^T + b, x [*, inFeatures] to y [*, outFeatures]; W [outFeatures, inFeatures], b [outFeatures].
/// Default init as PyTorch: W ~ kaiming_uniform(a = sqrt 5) = U(-1/sqrt(in), 1/sqrt(in)), b ~ U(-1/sqrt(in), 1/sqrt(in)).
/// </summary>
public sealed class Linear : Module
{
    public int InFeatures { get; }
    public int OutFeatures { get; }
    public Tensor Weight { get; }
    public Tensor? Bias { get; }

    public Linear(int inFeatures, int outFeatures, bool bias = true)
    {
        if (inFeatures <= 0 || outFeatures <= 0) throw new ArgumentOutOfRangeException(nameof(inFeatures), $"Linear({inFeatures}, {outFeatures}): sizes must be positive");
        (InFeatures, OutFeatures) = (inFeatures, outFeatures);
        Weight = RegisterParameter("weight", Tensor.Zeros(outFeatures, inFeatures));
        Bias = bias ? RegisterParameter("bias", Tensor.Zeros(outFeatures)) : null;
        ResetParameters();
    }

    public void ResetParameters()
    {
        Init.KaimingUniform(Weight, a: Math.Sqrt(5));
        if (Bias != null) { double b = 1 / Math.Sqrt(InFeatures); Init.Uniform(Bias, -b, b); }
    }

    public override Tensor Forward(Tensor input)
    {
        if (input.Rank < 1 || input.Shape[^1] != InFeatures)
            throw new ShapeException($"Linear({InFeatures}, {OutFeatures}): input {input.Shape} must end in {InFeatures} features");
        var y = input.Matmul(Weight.T);
        return Bias != null ? y.Add(Bias) : y;
    }

    public override string ExtraRepr() => $"inFeatures={InFeatures}, outFeatures={OutFeatures}, bias={Bias != null}";
}
