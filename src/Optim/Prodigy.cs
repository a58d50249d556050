using Engine.Kernels.Ops;
using Engine.Optim.Ops;

namespace Engine;

/// <summary>
/// Prodigy (Mishchenko and Defazio, "Prodigy: An Expeditiously Adaptive Parameter-Free Learner", ICML 2024,
/// Algorithm 4, as the authors' release): Adam whose learning rate is d·η, where d estimates the distance from the
/// start to the solution and grows from d₀ as the gradients show how far that is. η stays 1 (or a schedule's
/// factor). Decoupled weight decay. One d for all parameters, so the step looks at all of them at once:
/// <code>
/// dlr = d η (√(1 - β₂ᵗ) / (1 - β₁ᵗ) with bias correction, else 1)
/// r   = β₃ r + (d / d₀) dlr Σ ⟨g, θ₀ - θ⟩
/// m   = β₁ m + (1 - β₁) d g
/// v   = β₂ v + (1 - β₂) d² g²
/// s   = β₃ s + (d / d₀) dlr g             (safeguard warmup: (d / d₀) d g)
/// d̂   = d_coef r / Σ ‖s‖₁
/// d   = min(max over steps of d̂, d · growth_rate)     (d never shrinks)
/// θ   = θ - λ dlr θ - dlr m / (√v + d ε)
/// </code>
/// </summary>
/// <remarks>
/// Defaults as the release: lr 1, betas (0.9, 0.999), β₃ = √β₂, ε 1e-8, weight decay 0, d₀ 1e-6, d_coef 1,
/// growth rate unbounded, no bias correction, no safeguard warmup. All groups share the learning rate (or have 0).
/// The estimate (<c>d</c>, <c>d_max</c>, <c>d_numerator</c>, <c>k</c>) is kept in the group options, as in the release;
/// the scalar products are read back to the host once per parameter per step.
/// </remarks>
public sealed class Prodigy : Optimizer
{
    public Prodigy(IEnumerable<Tensor> parameters, double lr = 1, double beta1 = 0.9, double beta2 = 0.999, double? beta3 = null, double eps = 1e-8,
                   double weightDecay = 0, bool decouple = true, bool useBiasCorrection = false, bool safeguardWarmup = false,
                   double d0 = 1e-6, double dCoef = 1, double growthRate = double.PositiveInfinity)
        : this([new ParamGroup(parameters)], lr, beta1, beta2, beta3, eps, weightDecay, decouple, useBiasCorrection, safeguardWarmup, d0, dCoef, growthRate) { }

    public Prodigy(IEnumerable<ParamGroup> groups, double lr = 1, double beta1 = 0.9, double beta2 = 0.999, double? beta3 = null, double eps = 1e-8,
                   double weightDecay = 0, bool decouple = true, bool useBiasCorrection = false, bool safeguardWarmup = false,
                   double d0 = 1e-6, double dCoef = 1, double growthRate = double.PositiveInfinity)
        : base(groups, new Dictionary<string, double>
        {
            ["lr"] = lr, ["beta1"] = beta1, ["beta2"] = beta2, ["beta3"] = beta3 ?? Math.Sqrt(beta2), ["eps"] = eps,
            ["weight_decay"] = weightDecay, ["decouple"] = decouple ? 1 : 0, ["use_bias_correction"] = useBiasCorrection ? 1 : 0,
            ["safeguard_warmup"] = safeguardWarmup ? 1 : 0, ["d0"] = d0, ["d_coef"] = dCoef,
            // double.MaxValue stands for "unbounded": state dicts go through JSON, which has no infinity
            ["growth_rate"] = Math.Min(growthRate, double.MaxValue),
            ["d"] = d0, ["d_max"] = d0, ["d_numerator"] = 0, ["k"] = 0,
        })
    {
        if (!(d0 > 0)) throw new ArgumentOutOfRangeException(nameof(d0), d0, "Prodigy: d0 must be > 0");
    }

    protected override void Validate(ParamGroup group, int index)
    {
        base.Validate(group, index);
        AdamMath.Validate(this, group, index);
        Require(group, index, "beta3", v => v >= 0 && v < 1, "in [0, 1)");
        Require(group, index, "growth_rate", v => v >= 1, ">= 1");
    }

    public override void Step()
    {
        using var scope = Tensor.Scope();
        using var noGrad = Tensor.NoGrad();
        var first = ParamGroups[0];
        double b1 = first["beta1"], b2 = first["beta2"], b3 = first["beta3"];
        double d = first["d"], dMax = first["d_max"], d0 = first["d0"], k = first["k"];
        double lr = ParamGroups.Max(g => g.Lr);
        foreach (var g in ParamGroups)
            if (g.Lr != lr && g.Lr != 0)
                throw new InvalidOperationException($"Prodigy: param groups share one learning rate (or have 0); group {g.Label} has {g.Lr}, another {lr}");
        double biasCorrection = first.Flag("use_bias_correction") ? Math.Sqrt(1 - Math.Pow(b2, k + 1)) / (1 - Math.Pow(b1, k + 1)) : 1;
        double dlr = d * lr * biasCorrection;
        // r = β₃ r + Σ (d / d₀) dlr ⟨g, θ₀ - θ⟩   (how far the gradients say the start is from here)
        double numerator = first["d_numerator"] * b3, deltaNumerator = 0, denominator = 0;

        foreach (var group in ParamGroups)
        {
            double wd = group.WeightDecay;
            foreach (var (p, grad) in WithGrad(group))
            {
                var state = State(p);
                var g = wd != 0 && !group.Flag("decouple") ? p.Backend.Zip(grad, p, new AddScaledOp((float)wd)) : grad;
                var p0 = state.Has("p0") ? state["p0"] : state.SetCopy("p0", p);
                var s = state.Zeros("s", p);
                var m = state.Zeros("exp_avg", p);
                var v = state.Zeros("exp_avg_sq", p);
                if (group.Lr == 0) continue;
                // ⟨g, θ₀ - θ⟩
                deltaNumerator += d / d0 * dlr * g.Mul(p0.Sub(p)).Sum().Item();
                // m = β₁ m + (1 - β₁) d g
                m.Lerp_(g, (float)b1, (float)(d * (1 - b1)));
                // v = β₂ v + (1 - β₂) d² g²
                v.Apply_(g, new SquareLerpOp((float)b2, (float)(d * d * (1 - b2))));
                // s = β₃ s + (d / d₀) dlr g
                s.Lerp_(g, (float)b3, (float)(d / d0 * (group.Flag("safeguard_warmup") ? d : dlr)));
                denominator += s.Abs().Sum().Item();
            }
        }
        // no gradient (or all zero): nothing to learn from, d stays
        if (denominator == 0) return;

        // d̂ = d_coef r / Σ‖s‖₁; d grows to the largest estimate seen, at most growth_rate per step
        numerator += deltaNumerator;
        double dHat = first["d_coef"] * numerator / denominator;
        if (d == d0) d = Math.Max(d, dHat);
        dMax = Math.Max(dMax, dHat);
        d = Math.Min(dMax, d * first["growth_rate"]);

        foreach (var group in ParamGroups)
        {
            group["d_numerator"] = numerator; group["d"] = d; group["d_max"] = dMax; group["k"] = k + 1;
            double wd = group.WeightDecay, eps = group["eps"];
            foreach (var (p, _) in WithGrad(group))
            {
                var state = State(p);
                state.Step++;
                // θ = θ - λ dlr θ   (decoupled decay)
                if (wd != 0 && group.Flag("decouple")) p.Mul_((float)(1 - wd * dlr));
                // θ = θ - dlr m / (√v + d ε)
                var denom = state["exp_avg_sq"].Map(new SqrtDivAddOp(1f, (float)(d * eps)));
                denom.Apply_(state["exp_avg"], new DivideIntoOp());
                p.Add_(denom, (float)-dlr);
            }
        }
    }
}
