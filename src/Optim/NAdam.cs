using Engine.Kernels.Ops;
using Engine.Optim.Ops;

namespace Engine;

/// <summary>
/// NAdam, Adam with Nesterov momentum (Dozat, "Incorporating Nesterov Momentum into Adam", ICLR 2016
/// workshop), as torch.optim.NAdam (PyTorch 1.13, L2 weight decay in the gradient). The momentum
/// coefficient warms up with the momentum-decay schedule μₜ, and the step looks one momentum step ahead:
/// <code>
/// g   = ∇ + λ θ
/// μₜ  = β₁ (1 - ½ 0.96^(t ψ)),   μₜ₊₁ = β₁ (1 - ½ 0.96^((t+1) ψ))     (ψ = momentum_decay)
/// Π   = Π μₜ                                                        (Π₀ = 1)
/// m   = β₁ m + (1 - β₁) g
/// v   = β₂ v + (1 - β₂) g²
/// d   = sqrt(v / (1 - β₂ᵗ)) + ε
/// θ   = θ - η (1 - μₜ) / (1 - Π) · g / d - η μₜ₊₁ / (1 - Π μₜ₊₁) · m / d
/// </code>
/// </summary>
/// <remarks>Defaults as PyTorch: lr 2e-3, betas (0.9, 0.999), ε 1e-8, momentum_decay 4e-3.</remarks>
public sealed class NAdam : Optimizer
{
    public NAdam(IEnumerable<Tensor> parameters, double lr = 2e-3, double beta1 = 0.9, double beta2 = 0.999, double eps = 1e-8, double weightDecay = 0, double momentumDecay = 4e-3)
        : this([new ParamGroup(parameters)], lr, beta1, beta2, eps, weightDecay, momentumDecay) { }

    public NAdam(IEnumerable<ParamGroup> groups, double lr = 2e-3, double beta1 = 0.9, double beta2 = 0.999, double eps = 1e-8, double weightDecay = 0, double momentumDecay = 4e-3)
        : base(groups, new Dictionary<string, double>
        {
            ["lr"] = lr, ["beta1"] = beta1, ["beta2"] = beta2, ["eps"] = eps, ["weight_decay"] = weightDecay, ["momentum_decay"] = momentumDecay,
        })
    { }

    protected override void Validate(ParamGroup group, int index)
    {
        base.Validate(group, index);
        AdamMath.Validate(this, group, index);
        Require(group, index, "momentum_decay", v => v >= 0, ">= 0");
    }

    protected override void Update(Tensor param, Tensor grad, ParamGroup group, ParamState state)
    {
        double lr = group.Lr, b1 = group["beta1"], b2 = group["beta2"], eps = group["eps"], wd = group.WeightDecay, psi = group["momentum_decay"];
        var m = state.Zeros("exp_avg", param);
        var v = state.Zeros("exp_avg_sq", param);
        long t = ++state.Step;

        // g = ∇ + λ θ
        var g = wd != 0 ? param.Backend.Zip(grad, param, new AddScaledOp((float)wd)) : grad;
        // μₜ and μₜ₊₁: the momentum schedule (the coefficient grows from β₁/2 towards β₁)
        double mu = b1 * (1 - 0.5 * Math.Pow(0.96, t * psi));
        double muNext = b1 * (1 - 0.5 * Math.Pow(0.96, (t + 1) * psi));
        // Π = Π μₜ   (the product of the schedule: NAdam's bias correction of m)
        double prod = state.Value("mu_product", 1) * mu;
        state.SetValue("mu_product", prod);

        // m = β₁ m + (1 - β₁) g
        m.Lerp_(g, (float)b1, (float)(1 - b1));
        // v = β₂ v + (1 - β₂) g²
        v.Apply_(g, new SquareLerpOp((float)b2, (float)(1 - b2)));
        // d = sqrt(v) / sqrt(1 - β₂ᵗ) + ε
        var d = v.Map(new SqrtDivAddOp((float)Math.Sqrt(1 - Math.Pow(b2, t)), (float)eps));
        // θ = θ - η (1 - μₜ)/(1 - Π) g/d   (the current gradient's share of the look-ahead)
        param.Add_(param.Backend.Zip(d, g, new DivideIntoOp()), (float)(-lr * (1 - mu) / (1 - prod)));
        // θ = θ - η μₜ₊₁/(1 - Π μₜ₊₁) m/d  (the momentum one step ahead)
        d.Apply_(m, new DivideIntoOp());
        param.Add_(d, (float)(-lr * muNext / (1 - prod * muNext)));
    }
}
