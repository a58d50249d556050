using Engine.Kernels.Ops;
using Engine.Optim.Ops;

namespace Engine;

/// <summary>
/// RMSprop (Hinton's lecture 6e) with optional momentum and the centered variant (Graves 2013), as
/// torch.optim.RMSprop:
/// <code>
/// g = ∇ + λ θ
/// s = α s + (1 - α) g²
/// a = α a + (1 - α) g                 (centered only)
/// d = sqrt(s - a²) or sqrt(s), + ε
/// b = μ b + g / d ; θ = θ - η b      (momentum μ > 0)
/// θ = θ - η g / d                     (otherwise)
/// </code>
/// </summary>
/// <remarks>Defaults as PyTorch: lr 1e-2, α 0.99, ε 1e-8 (ε is outside the square root, unlike TensorFlow's).</remarks>
public sealed class RMSprop : Optimizer
{
    public RMSprop(IEnumerable<Tensor> parameters, double lr = 1e-2, double alpha = 0.99, double eps = 1e-8, double weightDecay = 0, double momentum = 0, bool centered = false)
        : this([new ParamGroup(parameters)], lr, alpha, eps, weightDecay, momentum, centered) { }

    public RMSprop(IEnumerable<ParamGroup> groups, double lr = 1e-2, double alpha = 0.99, double eps = 1e-8, double weightDecay = 0, double momentum = 0, bool centered = false)
        : base(groups, new Dictionary<string, double>
        {
            ["lr"] = lr, ["alpha"] = alpha, ["eps"] = eps, ["weight_decay"] = weightDecay,
            ["momentum"] = momentum, ["centered"] = centered ? 1 : 0,
        })
    { }

    protected override void Validate(ParamGroup group, int index)
    {
        base.Validate(group, index);
        Require(group, index, "alpha", v => v >= 0, ">= 0");
        Require(group, index, "eps", v => v >= 0, ">= 0");
        Require(group, index, "momentum", v => v >= 0, ">= 0");
    }

    protected override void Update(Tensor param, Tensor grad, ParamGroup group, ParamState state)
    {
        double lr = group.Lr, alpha = group["alpha"], eps = group["eps"], wd = group.WeightDecay, mu = group["momentum"];
        var be = param.Backend;
        var s = state.Zeros("square_avg", param);
        state.Step++;

        // g = ∇ + λ θ
        var g = wd != 0 ? be.Zip(grad, param, new AddScaledOp((float)wd)) : grad;
        // s = α s + (1 - α) g²          (running mean of the squared gradient)
        s.Apply_(g, new SquareLerpOp((float)alpha, (float)(1 - alpha)));

        Tensor d;
        if (group.Flag("centered"))
        {
            // a = α a + (1 - α) g       (running mean of the gradient)
            var a = state.Zeros("grad_avg", param).Lerp_(g, (float)alpha, (float)(1 - alpha));
            // d = sqrt(s - a²) + ε      (divide by the standard deviation rather than the RMS)
            d = be.Zip(s, a, new SubSquareOp());
            d.Apply_(new SqrtDivAddOp(1f, (float)eps));
        }
        // d = sqrt(s) + ε
        else d = s.Map(new SqrtDivAddOp(1f, (float)eps));

        // d = g / d                     (the normalized gradient)
        d.Apply_(g, new DivideIntoOp());
        if (mu > 0)
        {
            // b = μ b + g / d ; θ = θ - η b
            var b = state.Zeros("momentum_buffer", param).Lerp_(d, (float)mu, 1f);
            param.Add_(b, (float)-lr);
        }
        // θ = θ - η g / d
        else param.Add_(d, (float)-lr);
    }
}
