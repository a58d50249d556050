using Engine.Kernels.Ops;

namespace Engine;

/// <summary>
/// Lion, EvoLved Sign Momentum (Chen et al., "Symbolic Discovery of Optimization Algorithms", NeurIPS 2023,
/// Program 1), with the paper's decoupled weight decay. Every coordinate moves by exactly η per step, in the
/// sign of an interpolation between the momentum and the gradient; only one moment is kept:
/// <code>
/// c = β₁ m + (1 - β₁) g
/// θ = θ (1 - η λ)
/// θ = θ - η sign(c)
/// m = β₂ m + (1 - β₂) g
/// </code>
/// </summary>
/// <remarks>
/// Defaults as the paper and pytorch_optimizer: lr 1e-4, betas (0.9, 0.99), weight decay 0. The sign update has a
/// larger norm than Adam's: the paper uses a learning rate 3-10x smaller than AdamW's and a weight decay 3-10x larger.
/// </remarks>
public sealed class Lion : Optimizer
{
    public Lion(IEnumerable<Tensor> parameters, double lr = 1e-4, double beta1 = 0.9, double beta2 = 0.99, double weightDecay = 0)
        : this([new ParamGroup(parameters)], lr, beta1, beta2, weightDecay) { }

    public Lion(IEnumerable<ParamGroup> groups, double lr = 1e-4, double beta1 = 0.9, double beta2 = 0.99, double weightDecay = 0)
        : base(groups, new Dictionary<string, double> { ["lr"] = lr, ["beta1"] = beta1, ["beta2"] = beta2, ["weight_decay"] = weightDecay })
    { }

    protected override void Validate(ParamGroup group, int index)
    {
        base.Validate(group, index);
        AdamMath.Validate(this, group, index);
    }

    protected override void Update(Tensor param, Tensor grad, ParamGroup group, ParamState state)
    {
        double lr = group.Lr, b1 = group["beta1"], b2 = group["beta2"];
        var m = state.Zeros("exp_avg", param);
        state.Step++;

        // c = sign(β₁ m + (1 - β₁) g)   (the direction: momentum nudged by the current gradient)
        var c = param.Backend.Zip(m, grad, new LinearCombOp((float)b1, (float)(1 - b1)));
        c.Apply_(new SignOp());
        // θ = θ (1 - η λ)   (decoupled decay)
        double decay = lr * group.WeightDecay;
        if (decay != 0) param.Mul_((float)(1 - decay));
        // θ = θ - η sign(c)
        param.Add_(c, (float)-lr);
        // m = β₂ m + (1 - β₂) g   (a slower average than the one the step used)
        m.Lerp_(grad, (float)b2, (float)(1 - b2));
    }
}
