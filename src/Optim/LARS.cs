using Engine.Kernels.Ops;

namespace Engine;

/// <summary>
/// LARS, layer-wise adaptive rate scaling (You, Gitman and Ginsburg, "Large Batch Training of Convolutional
/// Networks", 2017, Algorithm 1): SGD with momentum whose step for each weight tensor is scaled by a local
/// learning rate, the ratio of the weight norm to the gradient norm, so that every layer moves by about the same
/// fraction of itself. L2 weight decay joins the gradient, as in the paper:
/// <code>
/// rank ≥ 2:  ℓ = η_tc ‖θ‖ / (‖∇‖ + λ ‖θ‖)   (1 when ‖θ‖ or ‖∇‖ is 0),   u = ℓ (∇ + λ θ)
/// rank ≤ 1:  u = ∇                                         (biases and norm scales: not adapted, not decayed)
/// b = μ b + (1 - τ) u                                       (b₀ = 0; τ = dampening)
/// θ = θ - η (nesterov ? u + μ b : b)
/// </code>
/// </summary>
/// <remarks>
/// Defaults as pytorch_optimizer: lr 1e-3, momentum 0.9, dampening 0, trust coefficient η_tc 1e-3, weight decay 0.
/// With η_tc 1e-3 the layer rate η η_tc ‖θ‖/‖∇‖ is small: the paper trains with η between about 2 and 30 (the MLP of
/// `engine train` reaches 72% in one epoch at lr 5, 11% at 1e-3).
/// The global rate η multiplies outside the momentum buffer (as PyTorch's SGD), where the paper's buffer holds
/// η u; the two agree at a constant learning rate. Leaving rank ≤ 1 tensors out of both the adaptation and the
/// decay is the convention of the paper's successors (SimCLR, pytorch_optimizer).
/// </remarks>
public sealed class LARS : Optimizer
{
    public LARS(IEnumerable<Tensor> parameters, double lr = 1e-3, double momentum = 0.9, double dampening = 0, double weightDecay = 0, double trustCoefficient = 1e-3, bool nesterov = false)
        : this([new ParamGroup(parameters)], lr, momentum, dampening, weightDecay, trustCoefficient, nesterov) { }

    public LARS(IEnumerable<ParamGroup> groups, double lr = 1e-3, double momentum = 0.9, double dampening = 0, double weightDecay = 0, double trustCoefficient = 1e-3, bool nesterov = false)
        : base(groups, new Dictionary<string, double>
        {
            ["lr"] = lr, ["momentum"] = momentum, ["dampening"] = dampening, ["weight_decay"] = weightDecay,
            ["trust_coefficient"] = trustCoefficient, ["nesterov"] = nesterov ? 1 : 0,
        })
    { }

    protected override void Validate(ParamGroup group, int index)
    {
        base.Validate(group, index);
        Require(group, index, "momentum", v => v >= 0 && v < 1, "in [0, 1)");
        Require(group, index, "dampening", v => v >= 0 && v <= 1, "in [0, 1]");
        Require(group, index, "trust_coefficient", v => v >= 0, ">= 0");
    }

    protected override void Update(Tensor param, Tensor grad, ParamGroup group, ParamState state)
    {
        double lr = group.Lr, mu = group["momentum"], wd = group.WeightDecay;
        state.Step++;
        var u = grad;
        if (param.Rank >= 2)
        {
            // ℓ = η_tc ‖θ‖ / (‖∇‖ + λ ‖θ‖)   (the local learning rate of this layer)
            var wNorm = param.Square().Sum().Sqrt();
            var gNorm = grad.Square().Sum().Sqrt();
            var ratio = TrustRatio.Of(wNorm, gNorm.Add(wNorm.Mul((float)wd)), (float)group["trust_coefficient"]);
            // u = ℓ (∇ + λ θ)
            u = wd != 0 ? param.Backend.Zip(grad, param, new AddScaledOp((float)wd)) : grad.Clone();
            u.Mul_(ratio);
        }
        if (mu != 0)
        {
            // b = μ b + (1 - τ) u
            var b = state.Zeros("momentum_buffer", param).Lerp_(u, (float)mu, (float)(1 - group["dampening"]));
            // step along u + μ b (Nesterov) or b
            u = group.Flag("nesterov") ? param.Backend.Zip(u, b, new AddScaledOp((float)mu)) : b;
        }
        // θ = θ - η u
        param.Add_(u, (float)-lr);
    }
}
