using Engine.Kernels.Ops;
using Engine.Optim.Ops;

namespace Engine;

/// <summary>
/// LAMB, layer-wise adaptive moments for batch training (You et al., "Large Batch Optimization for Deep
/// Learning: Training BERT in 76 minutes", ICLR 2020, Algorithm 2). Adam's step, with the weight decay added to
/// it (decoupled from the moments), rescaled per parameter tensor so that its norm is proportional to the
/// tensor's norm:
/// <code>
/// m = β₁ m + (1 - β₁) g
/// v = β₂ v + (1 - β₂) g²
/// r = (m / (1 - β₁ᵗ)) / (sqrt(v / (1 - β₂ᵗ)) + ε) + λ θ
/// q = φ(‖θ‖) / ‖r‖,   φ(z) = min(z, 10)          (q = 1 when ‖θ‖ or ‖r‖ is 0)
/// θ = θ - η q r
/// </code>
/// </summary>
/// <remarks>
/// Defaults: lr 1e-3, betas (0.9, 0.999), ε 1e-6, weight decay 0 (the paper's BERT runs used 0.01); φ clamps at 10 as
/// pytorch_optimizer does. The trust ratio q stays on the device (no host round trip per tensor).
/// </remarks>
public sealed class LAMB : Optimizer
{
    /// <summary>φ(z) = min(z, MaxWeightNorm): the cap on the weight norm in the trust ratio.</summary>
    public const double MaxWeightNorm = 10;

    public LAMB(IEnumerable<Tensor> parameters, double lr = 1e-3, double beta1 = 0.9, double beta2 = 0.999, double eps = 1e-6, double weightDecay = 0)
        : this([new ParamGroup(parameters)], lr, beta1, beta2, eps, weightDecay) { }

    public LAMB(IEnumerable<ParamGroup> groups, double lr = 1e-3, double beta1 = 0.9, double beta2 = 0.999, double eps = 1e-6, double weightDecay = 0)
        : base(groups, new Dictionary<string, double> { ["lr"] = lr, ["beta1"] = beta1, ["beta2"] = beta2, ["eps"] = eps, ["weight_decay"] = weightDecay })
    { }

    protected override void Validate(ParamGroup group, int index)
    {
        base.Validate(group, index);
        AdamMath.Validate(this, group, index);
    }

    protected override void Update(Tensor param, Tensor grad, ParamGroup group, ParamState state)
    {
        double lr = group.Lr, b1 = group["beta1"], b2 = group["beta2"], eps = group["eps"], wd = group.WeightDecay;
        var m = state.Zeros("exp_avg", param);
        var v = state.Zeros("exp_avg_sq", param);
        long t = ++state.Step;
        double bc1 = 1 - Math.Pow(b1, t), bc2 = 1 - Math.Pow(b2, t);

        // m = β₁ m + (1 - β₁) g
        m.Lerp_(grad, (float)b1, (float)(1 - b1));
        // v = β₂ v + (1 - β₂) g²
        v.Apply_(grad, new SquareLerpOp((float)b2, (float)(1 - b2)));
        // r = m̂ / (sqrt(v̂) + ε) + λ θ   (Adam's direction plus the decay, before the layer-wise scaling)
        var r = v.Map(new SqrtDivAddOp((float)Math.Sqrt(bc2), (float)eps));
        r.Apply_(m, new DivideIntoOp());
        r.Apply_(param, new LinearCombOp((float)(1 / bc1), (float)wd));
        // q = min(‖θ‖, 10) / ‖r‖, 1 where a norm is 0   (the trust ratio: the step is a fixed fraction of the weights)
        r.Mul_(TrustRatio.Of(param.Square().Sum().Sqrt().Clamp(max: (float)MaxWeightNorm), r.Square().Sum().Sqrt(), 1f));
        // θ = θ - η q r
        param.Add_(r, (float)-lr);
    }
}

/// <summary>The layer-wise trust ratio of LAMB and LARS as a one-element tensor on the parameter's device.</summary>
internal static class TrustRatio
{
    /// <summary>coefficient · num / den where both are positive, else 1 (num, den: scalar tensors).</summary>
    public static Tensor Of(Tensor num, Tensor den, float coefficient)
    {
        var both = num.Gt(0f).Mul(den.Gt(0f));
        return Tensor.Where(both, num.Div(den).Mul(coefficient), Tensor.Scalar(1f, num.Device));
    }
}
