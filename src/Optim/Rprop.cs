using Engine.Kernels.Ops;
using Engine.Optim.Ops;

namespace Engine;

/// <summary>
/// Rprop, resilient backpropagation (Riedmiller and Braun, "A Direct Adaptive Method for Faster Backpropagation
/// Learning: The RPROP Algorithm", ICNN 1993), as torch.optim.Rprop. Only the sign of the gradient is used;
/// every coordinate has its own step size, grown by η₊ while the sign holds and cut by η₋ when it flips
/// (and that coordinate then skips one step). Meant for full-batch training: minibatch noise flips signs.
/// <code>
/// s = g · g_prev
/// δ = clamp(δ · (s &gt; 0 ? η₊ : s &lt; 0 ? η₋ : 1), δ_min, δ_max)     (δ₀ = lr)
/// g = s &lt; 0 ? 0 : g
/// θ = θ - sign(g) δ
/// g_prev = g
/// </code>
/// </summary>
/// <remarks>Defaults as PyTorch: lr 1e-2, etas (0.5, 1.2), step sizes (1e-6, 50). No weight decay, as in PyTorch.</remarks>
public sealed class Rprop : Optimizer
{
    public Rprop(IEnumerable<Tensor> parameters, double lr = 1e-2, double etaMinus = 0.5, double etaPlus = 1.2, double stepSizeMin = 1e-6, double stepSizeMax = 50)
        : this([new ParamGroup(parameters)], lr, etaMinus, etaPlus, stepSizeMin, stepSizeMax) { }

    public Rprop(IEnumerable<ParamGroup> groups, double lr = 1e-2, double etaMinus = 0.5, double etaPlus = 1.2, double stepSizeMin = 1e-6, double stepSizeMax = 50)
        : base(groups, new Dictionary<string, double>
        {
            ["lr"] = lr, ["eta_minus"] = etaMinus, ["eta_plus"] = etaPlus, ["step_size_min"] = stepSizeMin, ["step_size_max"] = stepSizeMax,
            ["weight_decay"] = 0,
        })
    { }

    protected override void Validate(ParamGroup group, int index)
    {
        base.Validate(group, index);
        Require(group, index, "eta_minus", v => v > 0 && v < 1, "in (0, 1)");
        Require(group, index, "eta_plus", v => v > 1, "> 1");
        Require(group, index, "weight_decay", v => v == 0, "0 (Rprop has no weight decay)");
        if (group["step_size_min"] < 0 || group["step_size_max"] < group["step_size_min"])
            throw new ArgumentOutOfRangeException("step_size_min", $"Rprop: param group {index} {group.Label} needs 0 <= step_size_min <= step_size_max, got {group["step_size_min"]} and {group["step_size_max"]}");
    }

    protected override void Update(Tensor param, Tensor grad, ParamGroup group, ParamState state)
    {
        float down = (float)group["eta_minus"], up = (float)group["eta_plus"];
        var prev = state.Zeros("prev", param);
        var delta = state.Full("step_size", param, (float)group.Lr);
        state.Step++;

        // f = η₊ where the sign held, η₋ where it flipped, 1 where either gradient is 0
        var f = param.Backend.Zip(grad, prev, new RpropFactorOp(down, up));
        // δ = clamp(δ f, δ_min, δ_max)
        delta.Mul_(f).Apply_(new ClampOp((float)group["step_size_min"], (float)group["step_size_max"]));
        // g = 0 where the sign flipped (the last step overshot: wait one step), else g
        var g = f.Ne(down).Mul_(grad);
        // θ = θ - sign(g) δ
        var step = g.Map(new SignOp());
        param.Add_(step.Mul_(delta), -1f);
        // g_prev = g
        prev.Copy_(g);
    }
}
