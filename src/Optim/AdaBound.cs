using Engine.Kernels.Ops;
using Engine.Optim.Ops;

namespace Engine;

/// <summary>
/// AdaBound (Luo, Xiong, Liu and Sun, ICLR 2019): Adam whose per-element step size is clipped into
/// bounds that start wide and close in on a final SGD learning rate, so training begins adaptive and
/// ends like SGD. With <c>amsbound</c> the second moment is AMSGrad's running maximum (AMSBound).
/// As the authors' reference implementation (github.com/Luolc/AdaBound):
/// <code>
/// g  = ∇ + λ θ
/// m  = β₁ m + (1 - β₁) g
/// v  = β₂ v + (1 - β₂) g²              (v̂ = max(v̂, v) for AMSBound)
/// η̂  = η sqrt(1 - β₂ᵗ) / (1 - β₁ᵗ)
/// η* = final_lr · η / η₀               (η₀ = the group's lr when the optimizer was built, so schedulers scale the bounds too)
/// lo = η* (1 - 1 / (γ t + 1)),  hi = η* (1 + 1 / (γ t))
/// θ  = θ - clamp(η̂ / (sqrt(v̂) + ε), lo, hi) · m
/// </code>
/// </summary>
/// <remarks>Defaults as the reference: lr 1e-3, betas (0.9, 0.999), final_lr 0.1, γ 1e-3, ε 1e-8.</remarks>
public class AdaBound : Optimizer
{
    public AdaBound(IEnumerable<Tensor> parameters, double lr = 1e-3, double beta1 = 0.9, double beta2 = 0.999, double finalLr = 0.1, double gamma = 1e-3, double eps = 1e-8, double weightDecay = 0, bool amsbound = false)
        : this([new ParamGroup(parameters)], lr, beta1, beta2, finalLr, gamma, eps, weightDecay, amsbound) { }

    public AdaBound(IEnumerable<ParamGroup> groups, double lr = 1e-3, double beta1 = 0.9, double beta2 = 0.999, double finalLr = 0.1, double gamma = 1e-3, double eps = 1e-8, double weightDecay = 0, bool amsbound = false)
        : base(groups, new Dictionary<string, double>
        {
            ["lr"] = lr, ["beta1"] = beta1, ["beta2"] = beta2, ["final_lr"] = finalLr, ["gamma"] = gamma,
            ["eps"] = eps, ["weight_decay"] = weightDecay, ["amsbound"] = amsbound ? 1 : 0,
        })
    { }

    protected override void Validate(ParamGroup group, int index)
    {
        base.Validate(group, index);
        AdamMath.Validate(this, group, index);
        Require(group, index, "final_lr", v => v >= 0, ">= 0");
        Require(group, index, "gamma", v => v >= 0 && v < 1, "in [0, 1)");
        // η₀: the bounds scale with lr / η₀, so a scheduler that lowers lr lowers the final lr as well
        group.SetDefault("base_lr", group.Lr);
    }

    protected override void Update(Tensor param, Tensor grad, ParamGroup group, ParamState state)
    {
        double lr = group.Lr, b1 = group["beta1"], b2 = group["beta2"], eps = group["eps"], wd = group.WeightDecay;
        var m = state.Zeros("exp_avg", param);
        var v = state.Zeros("exp_avg_sq", param);
        long t = ++state.Step;

        // g = ∇ + λ θ
        var g = wd != 0 ? param.Backend.Zip(grad, param, new AddScaledOp((float)wd)) : grad;
        // m = β₁ m + (1 - β₁) g
        m.Lerp_(g, (float)b1, (float)(1 - b1));
        // v = β₂ v + (1 - β₂) g²
        v.Apply_(g, new SquareLerpOp((float)b2, (float)(1 - b2)));
        // v̂ = max(v̂, v) for AMSBound
        var vHat = group.Flag("amsbound") ? state.Zeros("max_exp_avg_sq", param).Apply_(v, new MaximumOp()) : v;

        // η̂ = η sqrt(1 - β₂ᵗ) / (1 - β₁ᵗ)   (Adam's bias correction moved into the step size)
        double stepSize = lr * Math.Sqrt(1 - Math.Pow(b2, t)) / (1 - Math.Pow(b1, t));
        // the bounds: both tend to η* as t grows; γ sets how fast
        double finalLr = group["final_lr"] * lr / group["base_lr"];
        double lower = finalLr * (1 - 1 / (group["gamma"] * t + 1));
        double upper = finalLr * (1 + 1 / (group["gamma"] * t));

        // d = clamp(η̂ / (sqrt(v̂) + ε), lo, hi) · m
        var d = vHat.Map(new SqrtDivAddOp(1f, (float)eps));
        d.Apply_(new BoundedStepOp((float)stepSize, (float)lower, (float)upper));
        d.Mul_(m);
        // θ = θ - d
        param.Add_(d, -1f);
    }
}

/// <summary>AMSBound: <see cref="AdaBound"/> with AMSGrad's running maximum of the second moment.</summary>
public sealed class AMSBound : AdaBound
{
    public AMSBound(IEnumerable<Tensor> parameters, double lr = 1e-3, double beta1 = 0.9, double beta2 = 0.999, double finalLr = 0.1, double gamma = 1e-3, double eps = 1e-8, double weightDecay = 0)
        : base(parameters, lr, beta1, beta2, finalLr, gamma, eps, weightDecay, amsbound: true) { }

    public AMSBound(IEnumerable<ParamGroup> groups, double lr = 1e-3, double beta1 = 0.9, double beta2 = 0.999, double finalLr = 0.1, double gamma = 1e-3, double eps = 1e-8, double weightDecay = 0)
        : base(groups, lr, beta1, beta2, finalLr, gamma, eps, weightDecay, amsbound: true) { }
}
