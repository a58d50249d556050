namespace Engine;

public static partial class F
{
    /// <summary>
    /// Binary cross-entropy on logits for multi-label classification (one sigmoid per class):
    /// loss = weight * [(1 - t) x + (1 + (posWeight - 1) t) log(1 + exp(-x))], stable for any |x|.
    /// posWeight [C] broadcasts over the last dim (PyTorch's pos_weight); weight broadcasts over the input.
    /// </summary>
    public static Tensor BinaryCrossEntropyWithLogits(Tensor input, Tensor target, Tensor? weight = null, Reduction reduction = Reduction.Mean, Tensor? posWeight = null)
    {
        var loss = input.BinaryCrossEntropyWithLogits(target, posWeight);
        if (weight != null) loss = loss.Mul(weight);
        return Reduce(loss, reduction, "binary_cross_entropy_with_logits");
    }

    /// <summary>
    /// Sigmoid focal loss (Lin et al. 2017, torchvision.ops.sigmoid_focal_loss): p = sigmoid(x),
    /// ce = bce_with_logits(x, t), p_t = p t + (1 - p)(1 - t), loss = alpha_t ce (1 - p_t)^gamma with
    /// alpha_t = alpha t + (1 - alpha)(1 - t) (no alpha weighting when alpha &lt; 0). Targets are float 0/1 of input's shape.
    /// </summary>
    public static Tensor SigmoidFocalLoss(Tensor input, Tensor target, double alpha = 0.25, double gamma = 2, Reduction reduction = Reduction.None)
    {
        if (gamma < 0) throw new ArgumentOutOfRangeException(nameof(gamma), $"sigmoid_focal_loss: gamma must be >= 0, got {gamma}");
        var ce = input.BinaryCrossEntropyWithLogits(target);
        var p = input.Sigmoid();
        var pt = p.Mul(target).Add(p.Neg().Add(1f).Mul(target.Neg().Add(1f)));
        var loss = gamma == 0 ? ce : ce.Mul(pt.Neg().Add(1f).Pow((float)gamma));
        if (alpha >= 0) loss = loss.Mul(target.Mul((float)alpha).Add(target.Neg().Add(1f).Mul((float)(1 - alpha))));
        return Reduce(loss, reduction, "sigmoid_focal_loss");
    }

    /// <summary>
    /// Softmax focal loss for single-label classification: logp = log_softmax(x), p_t = exp(logp[t]),
    /// loss_i = -alpha[t_i] (1 - p_t)^gamma logp[t_i]. alpha: per-class weights [C] or null; target Int32 [N].
    /// Mean averages over samples. gamma = 0 and no alpha is plain cross-entropy.
    /// </summary>
    public static Tensor SoftmaxFocalLoss(Tensor input, Tensor target, Tensor? alpha = null, double gamma = 2, Reduction reduction = Reduction.Mean)
    {
        if (gamma < 0) throw new ArgumentOutOfRangeException(nameof(gamma), $"softmax_focal_loss: gamma must be >= 0, got {gamma}");
        if (input.Rank != 2) throw new ShapeException($"softmax_focal_loss: input must be [N, C], got {input.Shape}");
        int C = input.Shape[1];
        CheckWeight(alpha, C, input, "softmax_focal_loss");
        var (nll, _) = PickedNll(input.LogSoftmax(-1), target, null, int.MinValue, C, input, "softmax_focal_loss");   // -logp_t [N]
        var loss = nll;
        if (gamma != 0) loss = loss.Mul(nll.Neg().Exp().Neg().Add(1f).Pow((float)gamma));
        if (alpha != null) loss = loss.Mul(alpha.IndexSelect(0, target));
        return Reduce(loss, reduction, "softmax_focal_loss");
    }

    /// <summary>Mean squared error: (x - y)^2, reduced.</summary>
    public static Tensor MseLoss(Tensor input, Tensor target, Reduction reduction = Reduction.Mean)
    {
        SameShape(input, target, "mse_loss");
        return Reduce(input.Sub(target).Square(), reduction, "mse_loss");
    }

    /// <summary>Mean absolute error: |x - y|, reduced.</summary>
    public static Tensor L1Loss(Tensor input, Tensor target, Reduction reduction = Reduction.Mean)
    {
        SameShape(input, target, "l1_loss");
        return Reduce(input.Sub(target).Abs(), reduction, "l1_loss");
    }

    /// <summary>Huber-like: 0.5 d^2 / beta where |d| &lt; beta, |d| - 0.5 beta elsewhere (d = x - y); beta = 0 is L1.</summary>
    public static Tensor SmoothL1Loss(Tensor input, Tensor target, Reduction reduction = Reduction.Mean, double beta = 1.0)
    {
        SameShape(input, target, "smooth_l1_loss");
        if (beta < 0) throw new ArgumentOutOfRangeException(nameof(beta), $"smooth_l1_loss: beta must be >= 0, got {beta}");
        var d = input.Sub(target);
        if (beta == 0) return Reduce(d.Abs(), reduction, "smooth_l1_loss");
        var ad = d.Abs();
        var loss = Tensor.Where(ad.Lt((float)beta), d.Square().Mul((float)(0.5 / beta)), ad.Sub((float)(0.5 * beta)));
        return Reduce(loss, reduction, "smooth_l1_loss");
    }

    /// <summary>
    /// KL divergence KL(target || input-distribution) with input as log-probabilities, PyTorch's kl_div:
    /// pointwise target (log target - input), 0 where target = 0; with logTarget the target is log-probabilities:
    /// exp(t) (t - input). Use Reduction.BatchMean for the true KL per sample (PyTorch's Mean averages over every element).
    /// </summary>
    public static Tensor KlDiv(Tensor input, Tensor target, Reduction reduction = Reduction.Mean, bool logTarget = false)
    {
        SameShape(input, target, "kl_div");
        Tensor loss;
        if (logTarget) loss = target.Exp().Mul(target.Sub(input));
        else
        {
            var xlogx = Tensor.Where(target.Gt(0f), target.Mul(target.Clamp(min: 1e-38f).Log()), Tensor.ZerosLike(target));
            loss = xlogx.Sub(target.Mul(input));
        }
        return Reduce(loss, reduction, "kl_div");
    }

    /// <summary>
    /// Knowledge-distillation loss (Hinton et al. 2015): T^2 * KL(softmax(teacher / T) || softmax(student / T)),
    /// per sample (batchmean). The teacher's logits are detached; the T^2 keeps gradient magnitudes independent of T.
    /// Stable at extreme logits (both sides go through log-softmax).
    /// </summary>
    public static Tensor KlDivWithTemperature(Tensor studentLogits, Tensor teacherLogits, double temperature, Reduction reduction = Reduction.BatchMean)
    {
        if (temperature <= 0) throw new ArgumentOutOfRangeException(nameof(temperature), $"kl_div_with_temperature: temperature must be positive, got {temperature}");
        float T = (float)temperature;
        var s = studentLogits.Div(T).LogSoftmax(-1);
        var t = teacherLogits.Detach().Div(T).LogSoftmax(-1);
        return KlDiv(s, t, reduction, logTarget: true).Mul(T * T);
    }

    private static void SameShape(Tensor a, Tensor b, string op)
    {
        if (a.Shape != b.Shape) throw new ShapeException($"{op}: input {a.Shape} and target {b.Shape} must have the same shape");
    }
}
