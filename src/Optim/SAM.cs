namespace Engine;

/// <summary>
/// SAM, sharpness-aware minimization (Foret, Kleiner, Mobahi and Neyshabur, "Sharpness-Aware Minimization for
/// Efficiently Improving Generalization", ICLR 2021, Algorithm 1) around any optimizer. Each step takes the
/// gradient at the worst nearby point instead of at θ: it climbs to θ + e, the steepest point within radius ρ,
/// evaluates the loss there (the closure), comes back, and lets the base optimizer step with that gradient:
/// <code>
/// e = ρ T² ∇L(θ) / ‖T ∇L(θ)‖              (T = 1 for SAM; ASAM: T = |θ| + η)
/// θ = θ + e;   g = ∇L(θ)  (the closure);   θ = θ - e
/// base step with g
/// </code>
/// </summary>
/// <remarks>
/// Default ρ 0.05 (the paper's). Two forward-backward passes per step: the caller's (which gives ∇L(θ)) and the
/// closure's (<see cref="ClosureKind.Loss"/>). Without a closure, call <see cref="FirstStep"/>, backward again,
/// then <see cref="SecondStep"/>. The norm runs over every parameter of every group, on the device.
/// </remarks>
public class SAM : Optimizer
{
    private readonly List<(Tensor Param, Tensor Saved)> _saved = new();

    public SAM(Optimizer baseOptimizer, double rho = 0.05)
        : this(baseOptimizer, rho, adaptive: false, eta: 0) { }

    protected SAM(Optimizer baseOptimizer, double rho, bool adaptive, double eta)
        : base((baseOptimizer ?? throw new ArgumentNullException(nameof(baseOptimizer))).ParamGroups,
               new Dictionary<string, double> { ["rho"] = rho, ["adaptive"] = adaptive ? 1 : 0, ["eta"] = eta })
    {
        BaseOptimizer = baseOptimizer;
    }

    /// <summary>The optimizer that takes the step with the gradient of the perturbed point.</summary>
    public Optimizer BaseOptimizer { get; }

    /// <summary>ε added to the gradient norm.</summary>
    public const double PerturbEps = 1e-12;

    public override ClosureKind ClosureKind => ClosureKind.Loss;

    protected override void Validate(ParamGroup group, int index)
    {
        base.Validate(group, index);
        Require(group, index, "rho", v => v >= 0, ">= 0");
        Require(group, index, "eta", v => v >= 0, ">= 0");
    }

    public override void AddParamGroup(ParamGroup group)
    {
        BaseOptimizer?.AddParamGroup(group);
        base.AddParamGroup(group);
    }

    public override float Step(Func<float> closure)
    {
        ArgumentNullException.ThrowIfNull(closure);
        FirstStep();
        float loss = Evaluate(closure);     // ∇L at θ + e
        SecondStep();
        return loss;
    }

    /// <summary>Climbs to θ + e using the gradients now in place, and zeroes them.</summary>
    public void FirstStep()
    {
        if (_saved.Count > 0) throw new InvalidOperationException($"{GetType().Name}.FirstStep: called twice without SecondStep");
        using var scope = Tensor.Scope();
        using var noGrad = Tensor.NoGrad();
        // ‖T ∇L‖ over all parameters, as a scalar tensor on the device
        Tensor? sq = null;
        var scaled = new List<(Tensor p, Tensor tg, ParamGroup group)>();
        foreach (var group in ParamGroups)
            foreach (var (p, g) in WithGrad(group))
            {
                // T ∇L   (ASAM: scaled by |θ| + η, so the neighbourhood is relative to each weight's size)
                var tg = group.Flag("adaptive") ? p.Abs().Add((float)group["eta"]).Mul(g) : g;
                var s = tg.Square().Sum();
                sq = sq is null ? s : sq.Add(s);
                scaled.Add((p, tg, group));
            }
        if (sq is null) return;
        var norm = sq.Sqrt().Add((float)PerturbEps);
        foreach (var (p, tg, group) in scaled)
        {
            // e = ρ T (T ∇L) / ‖T ∇L‖
            var e = group.Flag("adaptive") ? p.Abs().Add((float)group["eta"]).Mul(tg) : tg.Clone();
            e.Apply_(norm, new Kernels.Ops.DivOp()).Mul_((float)group["rho"]);
            _saved.Add((p, p.Detach().Clone().Keep()));
            p.Add_(e);
        }
        ZeroGrad();
    }

    /// <summary>Returns to θ (bit for bit) and lets the base optimizer step with the gradients of θ + e.</summary>
    public void SecondStep()
    {
        using (Tensor.NoGrad())
            foreach (var (p, saved) in _saved) { p.Copy_(saved); saved.Dispose(); }
        _saved.Clear();
        BaseOptimizer.Step();
    }

    public override void Train() => BaseOptimizer.Train();
    public override void Eval() => BaseOptimizer.Eval();

    public override StateDict StateDict()
    {
        var sd = base.StateDict();
        sd.Include("inner", BaseOptimizer.StateDict());
        return sd;
    }

    public override void LoadStateDict(StateDict state)
    {
        ArgumentNullException.ThrowIfNull(state);
        base.LoadStateDict(state.Without("inner"));
        BaseOptimizer.LoadStateDict(state.Sub("inner"));
    }

    public override string ToString() => $"{GetType().Name}({BaseOptimizer})";
}
