using Engine.Optim.Ops;

namespace Engine;

/// <summary>The moment updates and step shared by <see cref="Adam"/> and <see cref="AdamW"/>.</summary>
internal static class AdamMath
{
    public static Dictionary<string, double> Defaults(double lr, double beta1, double beta2, double eps, double weightDecay, bool amsgrad) => new()
    {
        ["lr"] = lr, ["beta1"] = beta1, ["beta2"] = beta2, ["eps"] = eps,
        ["weight_decay"] = weightDecay, ["amsgrad"] = amsgrad ? 1 : 0,
    };

    public static void Validate(Optimizer opt, ParamGroup group, int index)
    {
        foreach (var key in new[] { "beta1", "beta2" })
            if (group.Has(key) && !(group[key] >= 0 && group[key] < 1))
                throw new ArgumentOutOfRangeException(key, group[key], $"{opt.GetType().Name}: {key} of param group {index} {group.Label} must be in [0, 1)");
        if (group.Has("eps") && !(group["eps"] >= 0))
            throw new ArgumentOutOfRangeException("eps", group["eps"], $"{opt.GetType().Name}: eps of param group {index} {group.Label} must be >= 0");
    }

    /// <summary>One Adam step of param from gradient g (weight decay already handled by the caller).</summary>
    public static void Step(Tensor param, Tensor g, ParamGroup group, ParamState state, bool amsgrad)
    {
        double lr = group.Lr, b1 = group["beta1"], b2 = group["beta2"], eps = group["eps"];
        var m = state.Zeros("exp_avg", param);
        var v = state.Zeros("exp_avg_sq", param);
        long t = ++state.Step;

        // m = β₁ m + (1 - β₁) g        (first moment: the mean of the gradient)
        m.Lerp_(g, (float)b1, (float)(1 - b1));
        // v = β₂ v + (1 - β₂) g²       (second moment: the uncentered variance)
        v.Apply_(g, new SquareLerpOp((float)b2, (float)(1 - b2)));
        // v̂ = max(v̂, v) with AMSGrad, so the effective step never grows back
        var vHat = v;
        if (amsgrad) vHat = state.Zeros("max_exp_avg_sq", param).Apply_(v, new Kernels.Ops.MaximumOp());

        // Both moments start at 0 and are biased toward it: divide by 1 - βᵗ.
        double bc1 = 1 - Math.Pow(b1, t), bc2 = 1 - Math.Pow(b2, t);
        // d = sqrt(v̂) / sqrt(1 - β₂ᵗ) + ε, then d = m / d   (one temporary)
        var d = vHat.Map(new SqrtDivAddOp((float)Math.Sqrt(bc2), (float)eps));
        d.Apply_(m, new DivideIntoOp());
        // θ = θ - η / (1 - β₁ᵗ) · m / d
        param.Add_(d, (float)(-lr / bc1));
    }
}
