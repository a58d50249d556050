namespace Engine;

/// <summary>
/// Lookahead (Zhang, Lucas, Hinton and Ba, "Lookahead Optimizer: k steps forward, 1 step back", NeurIPS 2019,
/// Algorithm 1) around any optimizer: the inner optimizer moves the fast weights θ for k steps, then the slow
/// weights φ move part of the way towards them and the fast weights restart from there:
/// <code>
/// φ = θ                      (when a parameter first has a gradient)
/// every step:  θ = inner step of θ
/// every k-th:  φ = φ + α (θ - φ);   θ = φ
/// </code>
/// </summary>
/// <remarks>
/// Defaults as the paper: k 5, α 0.5. The wrapper shares the inner optimizer's parameter groups (a scheduler on
/// either changes both) and needs the closure the inner one needs. Its state dict holds the slow weights
/// (<c>state.I.slow_param</c>) and the inner optimizer's state under <c>inner.</c>.
/// </remarks>
public class Lookahead : Optimizer
{
    public Lookahead(Optimizer optimizer, int k = 5, double alpha = 0.5)
        : base((optimizer ?? throw new ArgumentNullException(nameof(optimizer))).ParamGroups,
               new Dictionary<string, double> { ["lookahead_k"] = k, ["lookahead_alpha"] = alpha, ["lookahead_counter"] = 0 })
    {
        Inner = optimizer;
    }

    /// <summary>The optimizer that moves the fast weights.</summary>
    public Optimizer Inner { get; }

    public override ClosureKind ClosureKind => Inner.ClosureKind;

    protected override void Validate(ParamGroup group, int index)
    {
        base.Validate(group, index);
        Require(group, index, "lookahead_k", v => v >= 1 && v == Math.Floor(v), "a positive integer");
        Require(group, index, "lookahead_alpha", v => v >= 0 && v <= 1, "in [0, 1]");
    }

    public override void AddParamGroup(ParamGroup group)
    {
        Inner?.AddParamGroup(group);        // null while the base constructor adds the inner optimizer's own groups
        base.AddParamGroup(group);
    }

    public override void Step()
    {
        KeepSlowWeights();
        Inner.Step();
        Synchronize();
    }

    public override float Step(Func<float> closure)
    {
        KeepSlowWeights();
        float loss = Inner.Step(closure);
        Synchronize();
        return loss;
    }

    public override void Train() => Inner.Train();
    public override void Eval() => Inner.Eval();

    /// <summary>φ = θ for parameters about to take their first step.</summary>
    private void KeepSlowWeights()
    {
        foreach (var group in ParamGroups)
            foreach (var (p, _) in WithGrad(group))
            {
                var s = State(p);
                if (!s.Has("slow_param")) s.SetCopy("slow_param", p);
            }
    }

    /// <summary>Every k-th step of a group: φ = φ + α (θ - φ), θ = φ.</summary>
    private void Synchronize()
    {
        using var noGrad = Tensor.NoGrad();
        foreach (var group in ParamGroups)
        {
            group["lookahead_counter"] += 1;
            if (group["lookahead_counter"] < group["lookahead_k"]) continue;
            group["lookahead_counter"] = 0;
            float alpha = (float)group["lookahead_alpha"];
            foreach (var p in group.Params)
            {
                var s = State(p);
                if (!s.Has("slow_param")) continue;
                // φ = (1 - α) φ + α θ, then θ = φ
                var slow = s["slow_param"].Lerp_(p, 1 - alpha, alpha);
                p.Copy_(slow);
                s.Step++;
            }
        }
    }

    public override StateDict StateDict()
    {
        var sd = base.StateDict();
        sd.Include("inner", Inner.StateDict());
        return sd;
    }

    public override void LoadStateDict(StateDict state)
    {
        ArgumentNullException.ThrowIfNull(state);
        base.LoadStateDict(state.Without("inner"));
        Inner.LoadStateDict(state.Sub("inner"));
    }

    public override string ToString() => $"{GetType().Name}({Inner})";
}
