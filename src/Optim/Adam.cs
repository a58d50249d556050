namespace Engine;

/// <summary>
/// Adam (Kingma and Ba 2015) with L2 weight decay added to the gradient and optional AMSGrad
/// (Reddi et al. 2018), as torch.optim.Adam:
/// <code>
/// g = ∇ + λ θ
/// m = β₁ m + (1 - β₁) g
/// v = β₂ v + (1 - β₂) g²
/// v̂ = amsgrad ? max(v̂, v) : v
/// θ = θ - η / (1 - β₁ᵗ) · m / (sqrt(v̂) / sqrt(1 - β₂ᵗ) + ε)
/// </code>
/// </summary>
/// <remarks>
/// The default learning rate is PyTorch's 1e-3; 3e-4 is the usual safe start ("Karpathy's constant").
/// For weight decay prefer <see cref="AdamW"/>: here λθ is divided by sqrt(v̂) like the gradient,
/// so parameters with large gradients are barely decayed.
/// </remarks>
public sealed class Adam : Optimizer
{
    public Adam(IEnumerable<Tensor> parameters, double lr = 1e-3, double beta1 = 0.9, double beta2 = 0.999, double eps = 1e-8, double weightDecay = 0, bool amsgrad = false)
        : this([new ParamGroup(parameters)], lr, beta1, beta2, eps, weightDecay, amsgrad) { }

    public Adam(IEnumerable<ParamGroup> groups, double lr = 1e-3, double beta1 = 0.9, double beta2 = 0.999, double eps = 1e-8, double weightDecay = 0, bool amsgrad = false)
        : base(groups, AdamMath.Defaults(lr, beta1, beta2, eps, weightDecay, amsgrad)) { }

    protected override void Validate(ParamGroup group, int index)
    {
        base.Validate(group, index);
        AdamMath.Validate(this, group, index);
    }

    protected override void Update(Tensor param, Tensor grad, ParamGroup group, ParamState state)
    {
        double wd = group.WeightDecay;
        // g = ∇ + λ θ   (L2: the penalty's gradient joins the moments)
        var g = wd != 0 ? param.Backend.Zip(grad, param, new Kernels.Ops.AddScaledOp((float)wd)) : grad;
        AdamMath.Step(param, g, group, state, amsgrad: group.Flag("amsgrad"));
    }
}

/// <summary>
/// AdamW (Loshchilov and Hutter 2019): Adam with decoupled weight decay, as torch.optim.AdamW.
/// The decay shrinks θ directly instead of passing through the moments:
/// <code>
/// θ = θ (1 - η λ)
/// then Adam's update with g = ∇ (no L2 term)
/// </code>
/// </summary>
/// <remarks>
/// Default weight decay 1e-2 and learning rate 1e-3 as PyTorch; 3e-4 is the usual safe start. Pair with
/// <see cref="ParamGroups.NoDecayOnBiasAndNorm"/> so biases and normalization weights are not decayed.
/// </remarks>
public sealed class AdamW : Optimizer
{
    public AdamW(IEnumerable<Tensor> parameters, double lr = 1e-3, double beta1 = 0.9, double beta2 = 0.999, double eps = 1e-8, double weightDecay = 1e-2, bool amsgrad = false)
        : this([new ParamGroup(parameters)], lr, beta1, beta2, eps, weightDecay, amsgrad) { }

    public AdamW(IEnumerable<ParamGroup> groups, double lr = 1e-3, double beta1 = 0.9, double beta2 = 0.999, double eps = 1e-8, double weightDecay = 1e-2, bool amsgrad = false)
        : base(groups, AdamMath.Defaults(lr, beta1, beta2, eps, weightDecay, amsgrad)) { }

    protected override void Validate(ParamGroup group, int index)
    {
        base.Validate(group, index);
        AdamMath.Validate(this, group, index);
    }

    protected override void Update(Tensor param, Tensor grad, ParamGroup group, ParamState state)
    {
        // θ = θ (1 - η λ)   (decoupled decay, applied before the Adam step as PyTorch does)
        double decay = group.Lr * group.WeightDecay;
        if (decay != 0) param.Mul_((float)(1 - decay));
        AdamMath.Step(param, grad, group, state, amsgrad: group.Flag("amsgrad"));
    }
}
