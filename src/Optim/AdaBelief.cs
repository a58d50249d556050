using Engine.Kernels.Ops;
using Engine.Optim.Ops;

namespace Engine;

/// <summary>
/// AdaBelief (Zhuang et al., "AdaBelief Optimizer: Adapting Stepsizes by the Belief in Observed Gradients",
/// NeurIPS 2020, Algorithm 2): Adam whose second moment tracks the squared deviation of the gradient from its
/// running mean (the "belief"), so steps are large where the gradient is predictable and small where it is not.
/// Weight decay is decoupled (AdamW's) by default, as in the authors' release:
/// <code>
/// θ = θ (1 - η λ)               (weight_decouple; else g = ∇ + λ θ)
/// m = β₁ m + (1 - β₁) g
/// s = β₂ s + (1 - β₂) (g - m)² + ε
/// θ = θ - η / (1 - β₁ᵗ) · m / (sqrt(s / (1 - β₂ᵗ)) + ε)
/// </code>
/// </summary>
/// <remarks>Defaults as the paper's release and pytorch_optimizer: lr 1e-3, betas (0.9, 0.999), ε 1e-16, weight decay 0, decoupled. Without rectification (the paper's Algorithm).</remarks>
public sealed class AdaBelief : Optimizer
{
    public AdaBelief(IEnumerable<Tensor> parameters, double lr = 1e-3, double beta1 = 0.9, double beta2 = 0.999, double eps = 1e-16, double weightDecay = 0, bool weightDecouple = true)
        : this([new ParamGroup(parameters)], lr, beta1, beta2, eps, weightDecay, weightDecouple) { }

    public AdaBelief(IEnumerable<ParamGroup> groups, double lr = 1e-3, double beta1 = 0.9, double beta2 = 0.999, double eps = 1e-16, double weightDecay = 0, bool weightDecouple = true)
        : base(groups, new Dictionary<string, double>
        {
            ["lr"] = lr, ["beta1"] = beta1, ["beta2"] = beta2, ["eps"] = eps, ["weight_decay"] = weightDecay, ["weight_decouple"] = weightDecouple ? 1 : 0,
        })
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
        var s = state.Zeros("exp_avg_var", param);
        long t = ++state.Step;

        var g = grad;
        // θ = θ (1 - η λ) decoupled, or g = ∇ + λ θ
        if (group.Flag("weight_decouple")) { if (wd != 0) param.Mul_((float)(1 - lr * wd)); }
        else if (wd != 0) g = param.Backend.Zip(grad, param, new AddScaledOp((float)wd));
        // m = β₁ m + (1 - β₁) g
        m.Lerp_(g, (float)b1, (float)(1 - b1));
        // s = β₂ s + (1 - β₂) (g - m)² + ε   (the variance of g around its prediction m)
        s.Apply_(param.Backend.Zip(g, m, new SubOp()), new SquareLerpOp((float)b2, (float)(1 - b2)));
        s.Apply_(new AffineOp(1f, (float)eps));
        // θ = θ - η / (1 - β₁ᵗ) · m / (sqrt(s) / sqrt(1 - β₂ᵗ) + ε)
        var d = s.Map(new SqrtDivAddOp((float)Math.Sqrt(1 - Math.Pow(b2, t)), (float)eps));
        d.Apply_(m, new DivideIntoOp());
        param.Add_(d, (float)(-lr / (1 - Math.Pow(b1, t))));
    }
}
