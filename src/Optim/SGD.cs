using Engine.Kernels.Ops;

namespace Engine;

/// <summary>
/// Stochastic gradient descent with optional momentum, dampening, Nesterov momentum and L2 weight
/// decay, as torch.optim.SGD:
/// <code>
/// g = ∇ + λ θ
/// b = g                         (first step)
/// b = μ b + (1 - τ) g           (later steps; τ = dampening)
/// g = nesterov ? g + μ b : b    (when μ ≠ 0)
/// θ = θ - η g
/// </code>
/// </summary>
/// <remarks>There is no default learning rate (PyTorch 1.13 requires one too); 0.1 with momentum 0.9 is the classic start for CNNs at batch 256.</remarks>
public sealed class SGD : Optimizer
{
    public SGD(IEnumerable<Tensor> parameters, double lr, double momentum = 0, double dampening = 0, double weightDecay = 0, bool nesterov = false)
        : this([new ParamGroup(parameters)], lr, momentum, dampening, weightDecay, nesterov) { }

    public SGD(IEnumerable<ParamGroup> groups, double lr, double momentum = 0, double dampening = 0, double weightDecay = 0, bool nesterov = false)
        : base(groups, new Dictionary<string, double>
        {
            ["lr"] = lr, ["momentum"] = momentum, ["dampening"] = dampening,
            ["weight_decay"] = weightDecay, ["nesterov"] = nesterov ? 1 : 0,
        })
    { }

    protected override void Validate(ParamGroup group, int index)
    {
        base.Validate(group, index);
        Require(group, index, "momentum", v => v >= 0, ">= 0");
        if (group.Flag("nesterov") && (group["momentum"] <= 0 || group["dampening"] != 0))
            throw new ArgumentException($"SGD: Nesterov momentum needs momentum > 0 and dampening 0 (param group {index} {group.Label} has momentum {group["momentum"]}, dampening {group["dampening"]})");
    }

    protected override void Update(Tensor param, Tensor grad, ParamGroup group, ParamState state)
    {
        double lr = group.Lr, wd = group.WeightDecay, mu = group["momentum"], damp = group["dampening"];
        var be = param.Backend;
        state.Step++;

        // g = ∇ + λ θ   (L2 penalty folded into the gradient; a temporary, the gradient itself stays as it was)
        var g = wd != 0 ? be.Zip(grad, param, new AddScaledOp((float)wd)) : grad;

        if (mu != 0)
        {
            // b = g on the first step, then b = μ b + (1 - τ) g
            Tensor b;
            if (!state.Has("momentum_buffer")) b = state.SetCopy("momentum_buffer", g);
            else b = state["momentum_buffer"].Lerp_(g, (float)mu, (float)(1 - damp));

            // Nesterov looks ahead along the momentum: g + μ b; plain momentum steps along b
            g = group.Flag("nesterov") ? be.Zip(g, b, new AddScaledOp((float)mu)) : b;
        }

        // θ = θ - η g
        param.Add_(g, (float)-lr);
    }
}
