using Engine.Optim.Ops;

namespace Engine;

/// <summary>
/// Muon, momentum orthogonalized by Newton-Schulz (Jordan et al., "Muon: An optimizer for hidden layers in
/// neural networks", 2024, as KellerJordan/Muon's MuonWithAuxAdam): for weight matrices (convolution kernels seen
/// as [out, in·kh·kw]), SGD momentum whose update is replaced by the nearest semi-orthogonal matrix
/// (<see cref="NewtonSchulz"/>), so every direction of the layer moves by about the same amount; every other
/// parameter (biases, norm scales) gets AdamW, as the reference does. Decoupled weight decay on both:
/// <code>
/// Muon  (use_muon):  m = β m + (1 - β) g
///                    u = nesterov ? (1 - β) g + β m : m
///                    O = NS₅(u viewed [rows, cols]) · √max(1, rows / cols)
///                    θ = θ (1 - η λ) - η O
/// AdamW (the rest):  m = β₁ m + (1 - β₁) g,  v = β₂ v + (1 - β₂) g²
///                    θ = θ (1 - η λ) - η (m / (1 - β₁ᵗ)) / (√(v / (1 - β₂ᵗ)) + ε)
/// </code>
/// </summary>
/// <remarks>
/// Defaults as the reference: Muon lr 0.02, momentum 0.95, Nesterov, 5 Newton-Schulz steps, weight decay 0; AdamW
/// lr 3e-4, betas (0.9, 0.95), ε 1e-10. Given plain parameters, Muon takes those of rank ≥ 2 and AdamW the rest, in
/// two groups ("muon" and "adam"). A group that sets <c>use_muon</c> is used as it is; one that does not is split
/// the same way (its AdamW half at adamLr, or at its <c>adam_lr</c> option). The reference advises AdamW for the
/// embedding and the output layer too: give those a group with <c>use_muon</c> 0. The scale √max(1, rows/cols) uses
/// the 2-D view's shape (the reference uses the last two dimensions of the original tensor, which differs for
/// convolutions).
/// </remarks>
public sealed class Muon : Optimizer
{
    public Muon(IEnumerable<Tensor> parameters, double lr = 0.02, double momentum = 0.95, bool nesterov = true, int nsSteps = 5, double weightDecay = 0,
                double adamLr = 3e-4, double adamBeta1 = 0.9, double adamBeta2 = 0.95, double adamEps = 1e-10)
        : this([new ParamGroup(parameters)], lr, momentum, nesterov, nsSteps, weightDecay, adamLr, adamBeta1, adamBeta2, adamEps) { }

    public Muon(IEnumerable<ParamGroup> groups, double lr = 0.02, double momentum = 0.95, bool nesterov = true, int nsSteps = 5, double weightDecay = 0,
                double adamLr = 3e-4, double adamBeta1 = 0.9, double adamBeta2 = 0.95, double adamEps = 1e-10)
        : base(groups, new Dictionary<string, double>
        {
            ["lr"] = lr, ["momentum"] = momentum, ["nesterov"] = nesterov ? 1 : 0, ["ns_steps"] = nsSteps, ["weight_decay"] = weightDecay,
            ["beta1"] = adamBeta1, ["beta2"] = adamBeta2, ["eps"] = adamEps, ["adam_lr"] = adamLr,
        })
    { }

    /// <summary>Adds a group, split into its Muon and AdamW halves unless it sets use_muon.</summary>
    public override void AddParamGroup(ParamGroup group)
    {
        ArgumentNullException.ThrowIfNull(group);
        foreach (var g in Split(group, Defaults["adam_lr"])) base.AddParamGroup(g);
    }

    /// <summary>Groups without use_muon become a Muon group (rank ≥ 2) and an AdamW group (the rest); empty ones are left out.</summary>
    private static IEnumerable<ParamGroup> Split(ParamGroup g, double adamLr)
    {
        if (g.Has("use_muon")) { yield return g; yield break; }
        var matrices = g.Params.Where(p => p.Rank >= 2).ToList();
        var rest = g.Params.Where(p => p.Rank < 2).ToList();
        if (matrices.Count > 0) yield return Copy(g, matrices, "muon", useMuon: true, lr: null);
        if (rest.Count > 0) yield return Copy(g, rest, "adam", useMuon: false, lr: g.Has("adam_lr") ? g["adam_lr"] : adamLr);
    }

    private static ParamGroup Copy(ParamGroup g, List<Tensor> ps, string kind, bool useMuon, double? lr)
    {
        var c = new ParamGroup(ps, name: g.Name is null ? kind : $"{g.Name}.{kind}");
        foreach (var (k, v) in g.Options) c[k] = v;
        if (lr is double l) c.Lr = l;
        c["use_muon"] = useMuon ? 1 : 0;
        return c;
    }

    protected override void Validate(ParamGroup group, int index)
    {
        base.Validate(group, index);
        AdamMath.Validate(this, group, index);
        Require(group, index, "momentum", v => v >= 0 && v < 1, "in [0, 1)");
        Require(group, index, "ns_steps", v => v >= 1 && v == Math.Floor(v), "a positive integer");
        if (group.Flag("use_muon"))
            foreach (var p in group.Params.Where(p => p.Rank < 2))
                throw new ArgumentException($"Muon: param group {index} {group.Label} has use_muon but holds {p.Describe()} of rank {p.Rank}; Newton-Schulz needs matrices (give vectors a use_muon 0 group)");
    }

    protected override void Update(Tensor param, Tensor grad, ParamGroup group, ParamState state)
    {
        double lr = group.Lr;
        // θ = θ (1 - η λ)   (both halves decay the AdamW way)
        if (group.WeightDecay != 0) param.Mul_((float)(1 - lr * group.WeightDecay));
        if (group.Flag("use_muon")) MuonStep(param, grad, group, state);
        else AdamStep(param, grad, group, state);
    }

    private static void MuonStep(Tensor param, Tensor grad, ParamGroup group, ParamState state)
    {
        double beta = group["momentum"];
        var m = state.Zeros("momentum_buffer", param);
        state.Step++;
        // m = β m + (1 - β) g
        m.Lerp_(grad, (float)beta, (float)(1 - beta));
        // u = (1 - β) g + β m (Nesterov) or m
        var u = group.Flag("nesterov") ? param.Backend.Zip(grad, m, new Kernels.Ops.LinearCombOp((float)(1 - beta), (float)beta)) : m;
        // O = NS(u as [rows, cols]) · √max(1, rows / cols)
        int rows = param.Shape[0], cols = param.Numel / rows;
        var o = NewtonSchulz.Orthogonalize(u.Contiguous().Reshape(rows, cols), (int)group["ns_steps"]);
        // θ = θ - η O
        param.Add_(o.Reshape(param.Shape.ToArray()), (float)(-group.Lr * Math.Sqrt(Math.Max(1.0, (double)rows / cols))));
    }

    private static void AdamStep(Tensor param, Tensor grad, ParamGroup group, ParamState state)
    {
        double b1 = group["beta1"], b2 = group["beta2"];
        var m = state.Zeros("exp_avg", param);
        var v = state.Zeros("exp_avg_sq", param);
        long t = ++state.Step;
        // m = β₁ m + (1 - β₁) g,  v = β₂ v + (1 - β₂) g²
        m.Lerp_(grad, (float)b1, (float)(1 - b1));
        v.Apply_(grad, new SquareLerpOp((float)b2, (float)(1 - b2)));
        // θ = θ - η / (1 - β₁ᵗ) · m / (√v / √(1 - β₂ᵗ) + ε)
        var d = v.Map(new SqrtDivAddOp((float)Math.Sqrt(1 - Math.Pow(b2, t)), (float)group["eps"]));
        d.Apply_(m, new DivideIntoOp());
        param.Add_(d, (float)(-group.Lr / (1 - Math.Pow(b1, t))));
    }
}
