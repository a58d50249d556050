using Engine.Optim.Ops;

namespace Engine;

/// <summary>
/// Schedule-free AdamW (Defazio et al., "The Road Less Scheduled", NeurIPS 2024, Algorithm 1, as the authors'
/// AdamWScheduleFree): no learning-rate schedule is needed, the averaging of <see cref="ScheduleFree"/> does its
/// work. u is Adam's normalized gradient without momentum (β₁ is the interpolation instead), plus the weight decay
/// taken at y:
/// <code>
/// v = β₂ v + (1 - β₂) g²
/// u = g / (sqrt(v / (1 - β₂ᵏ⁺¹)) + ε) + λ y
/// then y, z move along u (see ScheduleFree); x = the average, for evaluation
/// </code>
/// </summary>
/// <remarks>
/// Defaults as the release: lr 0.0025, betas (0.9, 0.999), ε 1e-8, weight decay 0, warmup 0 steps, r 0,
/// weight_lr_power 2. Call <see cref="Optimizer.Eval"/> before validating or saving the final model and
/// <see cref="Optimizer.Train"/> before training again (the Trainer does both). It starts in train mode.
/// </remarks>
public sealed class ScheduleFreeAdamW : ScheduleFree
{
    public ScheduleFreeAdamW(IEnumerable<Tensor> parameters, double lr = 0.0025, double beta1 = 0.9, double beta2 = 0.999, double eps = 1e-8, double weightDecay = 0,
                             int warmupSteps = 0, double r = 0, double weightLrPower = 2)
        : this([new ParamGroup(parameters)], lr, beta1, beta2, eps, weightDecay, warmupSteps, r, weightLrPower) { }

    public ScheduleFreeAdamW(IEnumerable<ParamGroup> groups, double lr = 0.0025, double beta1 = 0.9, double beta2 = 0.999, double eps = 1e-8, double weightDecay = 0,
                             int warmupSteps = 0, double r = 0, double weightLrPower = 2)
        : base(groups, new Dictionary<string, double>
        {
            ["lr"] = lr, ["beta1"] = beta1, ["beta2"] = beta2, ["eps"] = eps, ["weight_decay"] = weightDecay,
            ["warmup_steps"] = warmupSteps, ["r"] = r, ["weight_lr_power"] = weightLrPower,
        })
    { }

    protected override double Beta(ParamGroup group) => group["beta1"];

    protected override void Validate(ParamGroup group, int index)
    {
        base.Validate(group, index);
        AdamMath.Validate(this, group, index);
    }

    protected override void Update(Tensor param, Tensor grad, ParamGroup group, ParamState state)
    {
        double b2 = group["beta2"], eps = group["eps"], wd = group.WeightDecay;
        var z = Z(param, state);
        var v = state.Zeros("exp_avg_sq", param);
        state.Step++;

        // v = β₂ v + (1 - β₂) g²
        v.Apply_(grad, new SquareLerpOp((float)b2, (float)(1 - b2)));
        // u = g / (sqrt(v) / sqrt(1 - β₂ᵏ⁺¹) + ε)
        var u = v.Map(new SqrtDivAddOp((float)Math.Sqrt(1 - Math.Pow(b2, group["k"] + 1)), (float)eps));
        u.Apply_(grad, new DivideIntoOp());
        // u = u + λ y   (decay at y, outside the normalization)
        if (wd != 0) u.Add_(param, (float)wd);
        Move(param, z, u, group);
    }
}
