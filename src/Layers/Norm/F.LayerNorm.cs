namespace Engine;

public static partial class F
{
    /// <summary>
    /// Layer normalization, PyTorch's <c>F.layer_norm</c>: over the last dims (normalizedShape) of input,
    /// y = (x - mean) / sqrt(var + eps) * weight + bias, with the biased variance; weight and bias (optional) have
    /// normalizedShape. Runs the backend's fused kernel where it has one (<see cref="ILayerNormKernels"/>: the CPU),
    /// else the composed <see cref="LayerNormNaive"/>.
    /// </summary>
    public static Tensor LayerNorm(Tensor input, int[] normalizedShape, Tensor? weight = null, Tensor? bias = null, double eps = 1e-5)
    {
        int n = CheckLayerNorm(input, normalizedShape, weight, bias);
        if (input.Backend is ILayerNormKernels) return Tensor.FusedLayerNorm(input, weight, bias, n, (float)eps);
        return LayerNormNaive(input, normalizedShape, weight, bias, eps);
    }

    /// <summary>The composed reference of <see cref="LayerNorm"/>: Normalize (mean, variance, standardize), then weight and bias.</summary>
    public static Tensor LayerNormNaive(Tensor input, int[] normalizedShape, Tensor? weight = null, Tensor? bias = null, double eps = 1e-5)
    {
        CheckLayerNorm(input, normalizedShape, weight, bias);
        var dims = Enumerable.Range(input.Rank - normalizedShape.Length, normalizedShape.Length).ToArray();
        var y = input.Normalize(dims, (float)eps).Xhat;
        if (weight != null) y = y.Mul(weight);
        return bias != null ? y.Add(bias) : y;
    }

    /// <summary>The elements per normalized row; input must end in normalizedShape, weight and bias must have it.</summary>
    private static int CheckLayerNorm(Tensor input, int[] normalizedShape, Tensor? weight, Tensor? bias)
    {
        int k = normalizedShape.Length;
        bool ok = k > 0 && input.Rank >= k;
        for (int i = 0; ok && i < k; i++) ok = input.Shape[input.Rank - k + i] == normalizedShape[i];
        if (!ok) throw new ShapeException($"LayerNorm: input {input.Shape} must end in {Shape.Format(normalizedShape)}");
        var ns = new Shape(normalizedShape);
        if (weight != null && weight.Shape != ns) throw new ShapeException($"LayerNorm: weight {weight.Shape} must be {ns}");
        if (bias != null && bias.Shape != ns) throw new ShapeException($"LayerNorm: bias {bias.Shape} must be {ns}");
        return ns.Numel;
    }
}
