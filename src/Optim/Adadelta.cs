using Engine.Kernels.Ops;
using Engine.Optim.Ops;

namespace Engine;

/// <summary>
/// Adadelta (Zeiler, "ADADELTA: An Adaptive Learning Rate Method", 2012), as torch.optim.Adadelta (L2 weight
/// decay in the gradient). The step's units come from the RMS of past updates over the RMS of past gradients,
/// so it needs no learning rate in the paper (η = 1 here scales it):
/// <code>
/// g = ∇ + λ θ
/// v = ρ v + (1 - ρ) g²
/// Δ = sqrt(u + ε) / sqrt(v + ε) · g
/// u = ρ u + (1 - ρ) Δ²
/// θ = θ - η Δ
/// </code>
/// </summary>
/// <remarks>Defaults as PyTorch: lr 1.0, ρ 0.9, ε 1e-6.</remarks>
public sealed class Adadelta : Optimizer
{
    public Adadelta(IEnumerable<Tensor> parameters, double lr = 1.0, double rho = 0.9, double eps = 1e-6, double weightDecay = 0)
        : this([new ParamGroup(parameters)], lr, rho, eps, weightDecay) { }

    public Adadelta(IEnumerable<ParamGroup> groups, double lr = 1.0, double rho = 0.9, double eps = 1e-6, double weightDecay = 0)
        : base(groups, new Dictionary<string, double> { ["lr"] = lr, ["rho"] = rho, ["eps"] = eps, ["weight_decay"] = weightDecay })
    { }

    protected override void Validate(ParamGroup group, int index)
    {
        base.Validate(group, index);
        Require(group, index, "rho", v => v >= 0 && v <= 1, "in [0, 1]");
        Require(group, index, "eps", v => v >= 0, ">= 0");
    }

    protected override void Update(Tensor param, Tensor grad, ParamGroup group, ParamState state)
    {
        double lr = group.Lr, rho = group["rho"], eps = group["eps"], wd = group.WeightDecay;
        var v = state.Zeros("square_avg", param);
        var u = state.Zeros("acc_delta", param);
        state.Step++;

        // g = ∇ + λ θ
        var g = wd != 0 ? param.Backend.Zip(grad, param, new AddScaledOp((float)wd)) : grad;
        // v = ρ v + (1 - ρ) g²            (running mean of squared gradients)
        v.Apply_(g, new SquareLerpOp((float)rho, (float)(1 - rho)));
        // Δ = sqrt(u + ε) / sqrt(v + ε) · g (RMS of past updates over RMS of gradients: the step has θ's units)
        var std = v.Map(new AffineOp(1f, (float)eps));
        std.Apply_(new SqrtOp());
        var delta = u.Map(new AffineOp(1f, (float)eps));
        delta.Apply_(new SqrtOp()).Apply_(std, new DivOp()).Mul_(g);
        // u = ρ u + (1 - ρ) Δ²            (running mean of squared updates)
        u.Apply_(delta, new SquareLerpOp((float)rho, (float)(1 - rho)));
        // θ = θ - η Δ
        param.Add_(delta, (float)-lr);
    }
}
