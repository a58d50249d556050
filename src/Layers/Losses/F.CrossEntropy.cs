namespace Engine;

public static partial class F
{
    /// <summary>Cross-entropy with PyTorch's defaults (mean, no weights, no smoothing); usable as a delegate <c>loss: F.CrossEntropy</c>.</summary>
    public static Tensor CrossEntropy(Tensor input, Tensor target) => CrossEntropy(input, target, null);

    /// <summary>
    /// Cross-entropy on logits, PyTorch's definition. input [N, C] or [N, C, d...]; target either Int32
    /// class indices [N] / [N, d...] or float class probabilities of input's shape.
    /// <para>Class indices: logp = log_softmax(x); nll_i = -w[t_i] logp[i, t_i]; with label smoothing eps,
    /// smooth_i = -sum_c w_c logp[i, c] and loss = (1 - eps) nll + (eps / C) smooth. Mean divides both sums by
    /// sum_i w[t_i] over non-ignored samples; targets equal to ignoreIndex contribute nothing.</para>
    /// <para>Probabilities: q = (1 - eps) p + eps / C, loss_i = -sum_c w_c q_c logp[i, c]; mean divides by the sample count.</para>
    /// Stable for logits of any magnitude (log-softmax subtracts the max).
    /// </summary>
    public static Tensor CrossEntropy(Tensor input, Tensor target, Tensor? weight, int ignoreIndex = -100, Reduction reduction = Reduction.Mean, double labelSmoothing = 0)
    {
        if (labelSmoothing < 0 || labelSmoothing > 1) throw new ArgumentOutOfRangeException(nameof(labelSmoothing), $"cross_entropy: labelSmoothing must be in [0, 1], got {labelSmoothing}");
        if (reduction == Reduction.BatchMean) throw new ArgumentException("cross_entropy: reduction BatchMean is for KL divergence only");
        var (x, C) = ClassesLast(input, "cross_entropy");
        CheckWeight(weight, C, input, "cross_entropy");
        var logp = x.LogSoftmax(-1);                                                   // [M, C]
        float eps = (float)labelSmoothing;
        if (target.DType != DType.Int32)
        {
            if (target.Shape != input.Shape) throw new ShapeException($"cross_entropy: probability targets {target.Shape} must have the shape of the input {input.Shape} (or pass Int32 class indices)");
            var (q, _) = ClassesLast(target, "cross_entropy");
            if (eps > 0) q = q.Mul(1 - eps).Add(eps / C);
            var wlogp = weight == null ? logp : logp.Mul(weight);
            var perSample = q.Mul(wlogp).Sum(-1).Neg();                                // [M]
            return reduction == Reduction.None ? perSample.Reshape(SampleShape(input)) : Reduce(perSample, reduction, "cross_entropy");
        }
        var (nll, ws) = PickedNll(logp, target, weight, ignoreIndex, C, input, "cross_entropy");
        if (eps == 0) return ReduceNll(nll, ws, reduction, input);
        var smooth = (weight == null ? logp : logp.Mul(weight)).Sum(-1).Neg().Mul(IgnoreMask(target, ignoreIndex, logp.Device));
        return ReduceNll(nll, ws, reduction, input).Mul(1 - eps).Add(ReduceNll(smooth, ws, reduction, input).Mul(eps / C));
    }

    /// <summary>
    /// Negative log-likelihood on log-probabilities: loss_i = -w[t_i] input[i, t_i]; mean divides by sum_i w[t_i]
    /// over non-ignored samples. input [N, C] or [N, C, d...], target Int32 [N] or [N, d...].
    /// </summary>
    public static Tensor NllLoss(Tensor input, Tensor target, Tensor? weight = null, int ignoreIndex = -100, Reduction reduction = Reduction.Mean)
    {
        if (reduction == Reduction.BatchMean) throw new ArgumentException("nll_loss: reduction BatchMean is for KL divergence only");
        var (x, C) = ClassesLast(input, "nll_loss");
        CheckWeight(weight, C, input, "nll_loss");
        var (nll, ws) = PickedNll(x, target, weight, ignoreIndex, C, input, "nll_loss");
        return ReduceNll(nll, ws, reduction, input);
    }

    // [N, C, d...] -> [N * d..., C] (the class dim last, one row per sample).
    private static (Tensor x, int C) ClassesLast(Tensor input, string op)
    {
        if (input.Rank < 2) throw new ShapeException($"{op}: input must be [N, C] or [N, C, d...], got {input.Shape}");
        int C = input.Shape[1];
        if (input.Rank == 2) return (input, C);
        var perm = new List<int> { 0 };
        for (int d = 2; d < input.Rank; d++) perm.Add(d);
        perm.Add(1);
        return (input.Permute(perm.ToArray()).Reshape(-1, C), C);
    }

    private static int[] SampleShape(Tensor input) => input.Shape.ToArray().Where((_, i) => i != 1).ToArray();

    private static void CheckWeight(Tensor? weight, int C, Tensor input, string op)
    {
        if (weight != null && (weight.Rank != 1 || weight.Shape[0] != C))
            throw new ShapeException($"{op}: class weights {weight.Shape} must be [{C}] for input {input.Shape}");
    }

    // Per-sample -w[t] logp[t] (0 for ignored samples) and the per-sample weights w[t] (0 when ignored).
    private static (Tensor nll, Tensor ws) PickedNll(Tensor logp, Tensor target, Tensor? weight, int ignoreIndex, int C, Tensor input, string op)
    {
        if (target.DType != DType.Int32) throw new ArgumentException($"{op}: class-index targets must be Int32, got {target.DType} of shape {target.Shape}");
        var expect = SampleShape(input);
        if (target.Shape != new Shape(expect)) throw new ShapeException($"{op}: target {target.Shape} must be {Shape.Format(expect)} for input {input.Shape}");
        int M = logp.Shape[0];
        var t = target.ToIntArray();
        float[]? w = weight?.ToArray();
        var safe = new int[M];
        var ws = new float[M];
        for (int i = 0; i < M; i++)
        {
            if (t[i] == ignoreIndex) continue;
            if (t[i] < 0 || t[i] >= C) throw new ArgumentOutOfRangeException(nameof(target), $"{op}: target {t[i]} at sample {i} is outside the {C} classes [0, {C - 1}] (and is not ignoreIndex {ignoreIndex})");
            safe[i] = t[i];
            ws[i] = w == null ? 1f : w[t[i]];
        }
        var idx = Tensor.FromArray(safe, M, 1).To(logp.Device);
        var wsT = Tensor.FromArray(ws, [M], logp.Device);
        var nll = logp.Gather(1, idx).Reshape(M).Mul(wsT).Neg();
        return (nll, wsT);
    }

    private static Tensor IgnoreMask(Tensor target, int ignoreIndex, Device device)
    {
        var t = target.ToIntArray();
        var m = new float[t.Length];
        for (int i = 0; i < t.Length; i++) m[i] = t[i] == ignoreIndex ? 0f : 1f;
        return Tensor.FromArray(m, [m.Length], device);
    }

    // Mean divides by the total weight of the non-ignored samples (PyTorch's weighted mean).
    private static Tensor ReduceNll(Tensor perSample, Tensor ws, Reduction reduction, Tensor input) => reduction switch
    {
        Reduction.None => perSample.Reshape(SampleShape(input)),
        Reduction.Sum => perSample.Sum(),
        _ => perSample.Sum().Div(ws.Sum()),
    };
}
