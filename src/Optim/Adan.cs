using Engine.Kernels.Ops;
using Engine.Optim.Ops;

namespace Engine;

/// <summary>
/// Adan, adaptive Nesterov momentum (Xie et al., "Adan: Adaptive Nesterov Momentum Algorithm for Faster
/// Optimizing Deep Models", TPAMI 2024, Algorithm 1 with the bias correction of the authors' release). Besides
/// the gradient's mean it averages the gradient's change, which stands in for Nesterov's look-ahead gradient.
/// The weight decay is the paper's proximal step (a division), or AdamW's multiplication with noProx.
/// Betas are the release's (1 - the paper's β):
/// <code>
/// Δ = g - g_prev                           (0 on the first step)
/// m = β₁ m + (1 - β₁) g
/// v = β₂ v + (1 - β₂) Δ
/// n = β₃ n + (1 - β₃) (g + β₂ Δ)²
/// d = sqrt(n / (1 - β₃ᵗ)) + ε
/// θ = θ - η (m / (1 - β₁ᵗ) + β₂ v / (1 - β₂ᵗ)) / d
/// θ = θ / (1 + η λ)                        (noProx: θ (1 - η λ) before the step)
/// </code>
/// </summary>
/// <remarks>Defaults as the release and pytorch_optimizer: lr 1e-3, betas (0.98, 0.92, 0.99), ε 1e-8, weight decay 0.</remarks>
public sealed class Adan : Optimizer
{
    public Adan(IEnumerable<Tensor> parameters, double lr = 1e-3, double beta1 = 0.98, double beta2 = 0.92, double beta3 = 0.99, double eps = 1e-8, double weightDecay = 0, bool noProx = false)
        : this([new ParamGroup(parameters)], lr, beta1, beta2, beta3, eps, weightDecay, noProx) { }

    public Adan(IEnumerable<ParamGroup> groups, double lr = 1e-3, double beta1 = 0.98, double beta2 = 0.92, double beta3 = 0.99, double eps = 1e-8, double weightDecay = 0, bool noProx = false)
        : base(groups, new Dictionary<string, double>
        {
            ["lr"] = lr, ["beta1"] = beta1, ["beta2"] = beta2, ["beta3"] = beta3, ["eps"] = eps, ["weight_decay"] = weightDecay, ["no_prox"] = noProx ? 1 : 0,
        })
    { }

    protected override void Validate(ParamGroup group, int index)
    {
        base.Validate(group, index);
        AdamMath.Validate(this, group, index);
        Require(group, index, "beta3", v => v >= 0 && v < 1, "in [0, 1)");
    }

    protected override void Update(Tensor param, Tensor grad, ParamGroup group, ParamState state)
    {
        double lr = group.Lr, b1 = group["beta1"], b2 = group["beta2"], b3 = group["beta3"], eps = group["eps"], wd = group.WeightDecay;
        var m = state.Zeros("exp_avg", param);
        var v = state.Zeros("exp_avg_diff", param);
        var n = state.Zeros("exp_avg_sq", param);
        bool first = !state.Has("previous_grad");
        var prev = first ? state.SetCopy("previous_grad", grad) : state["previous_grad"];
        long t = ++state.Step;

        // Δ = g - g_prev   (zero on the first step: g_prev = g)
        var diff = param.Backend.Zip(grad, prev, new SubOp());
        // m = β₁ m + (1 - β₁) g
        m.Lerp_(grad, (float)b1, (float)(1 - b1));
        // v = β₂ v + (1 - β₂) Δ   (the mean change of the gradient)
        v.Lerp_(diff, (float)b2, (float)(1 - b2));
        // n = β₃ n + (1 - β₃) (g + β₂ Δ)²   (second moment of the look-ahead gradient)
        n.Apply_(param.Backend.Zip(grad, diff, new AddScaledOp((float)b2)), new SquareLerpOp((float)b3, (float)(1 - b3)));
        // d = sqrt(n) / sqrt(1 - β₃ᵗ) + ε
        var d = n.Map(new SqrtDivAddOp((float)Math.Sqrt(1 - Math.Pow(b3, t)), (float)eps));

        bool noProx = group.Flag("no_prox");
        if (noProx && wd != 0) param.Mul_((float)(1 - lr * wd));
        // θ = θ - η / (1 - β₁ᵗ) · m / d - η β₂ / (1 - β₂ᵗ) · v / d
        var u = param.Backend.Zip(m, v, new LinearCombOp((float)(1 / (1 - Math.Pow(b1, t))), (float)(b2 / (1 - Math.Pow(b2, t)))));
        u.Apply_(d, new DivOp());
        param.Add_(u, (float)-lr);
        // θ = θ / (1 + η λ)   (the proximal step of the decay)
        if (!noProx && wd != 0) param.Mul_((float)(1 / (1 + lr * wd)));
        // g_prev = g
        if (!first) prev.Copy_(grad);
    }
}
