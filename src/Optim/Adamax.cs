using Engine.Kernels.Ops;

namespace Engine;

/// <summary>
/// Adamax, Adam with the infinity norm (Kingma and Ba, "Adam: A Method for Stochastic Optimization", ICLR 2015,
/// section 7.1), as torch.optim.Adamax (L2 weight decay in the gradient). The second moment becomes an
/// exponentially weighted maximum of |g|, which needs no bias correction:
/// <code>
/// g = ∇ + λ θ
/// m = β₁ m + (1 - β₁) g
/// u = max(β₂ u, |g| + ε)
/// θ = θ - η / (1 - β₁ᵗ) · m / u
/// </code>
/// </summary>
/// <remarks>Defaults as PyTorch: lr 2e-3, betas (0.9, 0.999), ε 1e-8 (added to |g|, as PyTorch does).</remarks>
public sealed class Adamax : Optimizer
{
    public Adamax(IEnumerable<Tensor> parameters, double lr = 2e-3, double beta1 = 0.9, double beta2 = 0.999, double eps = 1e-8, double weightDecay = 0)
        : this([new ParamGroup(parameters)], lr, beta1, beta2, eps, weightDecay) { }

    public Adamax(IEnumerable<ParamGroup> groups, double lr = 2e-3, double beta1 = 0.9, double beta2 = 0.999, double eps = 1e-8, double weightDecay = 0)
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
        var u = state.Zeros("exp_inf", param);
        long t = ++state.Step;

        // g = ∇ + λ θ
        var g = wd != 0 ? param.Backend.Zip(grad, param, new AddScaledOp((float)wd)) : grad;
        // m = β₁ m + (1 - β₁) g
        m.Lerp_(g, (float)b1, (float)(1 - b1));
        // u = max(β₂ u, |g| + ε)   (the decayed infinity norm of the past gradients)
        var absG = g.Map(new AbsOp());
        absG.Apply_(new AffineOp(1f, (float)eps));
        u.Mul_((float)b2).Apply_(absG, new MaximumOp());
        // θ = θ - η / (1 - β₁ᵗ) · m / u
        param.Add_(param.Backend.Zip(m, u, new DivOp()), (float)(-lr / (1 - Math.Pow(b1, t))));
    }
}
