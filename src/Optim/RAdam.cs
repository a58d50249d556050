using Engine.Kernels.Ops;
using Engine.Optim.Ops;

namespace Engine;

/// <summary>
/// RAdam, rectified Adam (Liu et al., "On the Variance of the Adaptive Learning Rate and Beyond", ICLR 2020),
/// as torch.optim.RAdam (PyTorch 1.13, L2 weight decay in the gradient). While the second moment has seen too
/// few gradients to be trusted (ρₜ ≤ 5), the step is SGD with bias-corrected momentum; after that, Adam's step
/// times the rectification r that undoes the variance of the adaptive learning rate:
/// <code>
/// g  = ∇ + λ θ
/// m  = β₁ m + (1 - β₁) g
/// v  = β₂ v + (1 - β₂) g²
/// m̂  = m / (1 - β₁ᵗ)
/// ρ∞ = 2 / (1 - β₂) - 1,   ρₜ = ρ∞ - 2 t β₂ᵗ / (1 - β₂ᵗ)
/// ρₜ > 5:  r = sqrt((ρₜ - 4)(ρₜ - 2) ρ∞ / ((ρ∞ - 4)(ρ∞ - 2) ρₜ))
///          θ = θ - η r m̂ sqrt(1 - β₂ᵗ) / (sqrt(v) + ε)
/// else:    θ = θ - η m̂
/// </code>
/// </summary>
/// <remarks>Defaults as PyTorch: lr 1e-3, betas (0.9, 0.999), ε 1e-8. No warmup is needed: the rectification is one.</remarks>
public sealed class RAdam : Optimizer
{
    public RAdam(IEnumerable<Tensor> parameters, double lr = 1e-3, double beta1 = 0.9, double beta2 = 0.999, double eps = 1e-8, double weightDecay = 0)
        : this([new ParamGroup(parameters)], lr, beta1, beta2, eps, weightDecay) { }

    public RAdam(IEnumerable<ParamGroup> groups, double lr = 1e-3, double beta1 = 0.9, double beta2 = 0.999, double eps = 1e-8, double weightDecay = 0)
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

        // g = ∇ + λ θ
        var g = wd != 0 ? param.Backend.Zip(grad, param, new AddScaledOp((float)wd)) : grad;
        // m = β₁ m + (1 - β₁) g
        m.Lerp_(g, (float)b1, (float)(1 - b1));
        // v = β₂ v + (1 - β₂) g²
        v.Apply_(g, new SquareLerpOp((float)b2, (float)(1 - b2)));

        // ρ∞ is the length of the moving average v approximates; ρₜ the length it has had so far
        double rhoInf = 2 / (1 - b2) - 1;
        double rhoT = rhoInf - 2 * t * Math.Pow(b2, t) / bc2;
        if (rhoT > 5)
        {
            // r: the ratio of the adaptive rate's variance at ρₜ to its variance at ρ∞
            double r = Math.Sqrt((rhoT - 4) * (rhoT - 2) * rhoInf / ((rhoInf - 4) * (rhoInf - 2) * rhoT));
            // θ = θ - η r sqrt(1 - β₂ᵗ) / (1 - β₁ᵗ) · m / (sqrt(v) + ε)
            var d = v.Map(new SqrtDivAddOp(1f, (float)eps));
            d.Apply_(m, new DivideIntoOp());
            param.Add_(d, (float)(-lr * r * Math.Sqrt(bc2) / bc1));
        }
        // θ = θ - η m̂   (too little history for the variance: momentum SGD)
        else param.Add_(m, (float)(-lr / bc1));
    }
}
