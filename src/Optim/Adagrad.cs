using Engine.Kernels.Ops;
using Engine.Optim.Ops;

namespace Engine;

/// <summary>
/// Adagrad (Duchi, Hazan and Singer, "Adaptive Subgradient Methods for Online Learning and Stochastic
/// Optimization", JMLR 2011), as torch.optim.Adagrad (L2 weight decay in the gradient). Every coordinate's
/// step shrinks with the sum of its squared gradients, so rare features keep large steps:
/// <code>
/// g  = ∇ + λ θ
/// ηₜ = η / (1 + (t - 1) δ)            (δ = lr_decay)
/// s  = s + g²                         (s₀ = initial_accumulator_value)
/// θ  = θ - ηₜ g / (sqrt(s) + ε)
/// </code>
/// </summary>
/// <remarks>Defaults as PyTorch: lr 1e-2, lr_decay 0, initial_accumulator_value 0, ε 1e-10.</remarks>
public sealed class Adagrad : Optimizer
{
    public Adagrad(IEnumerable<Tensor> parameters, double lr = 1e-2, double lrDecay = 0, double weightDecay = 0, double initialAccumulatorValue = 0, double eps = 1e-10)
        : this([new ParamGroup(parameters)], lr, lrDecay, weightDecay, initialAccumulatorValue, eps) { }

    public Adagrad(IEnumerable<ParamGroup> groups, double lr = 1e-2, double lrDecay = 0, double weightDecay = 0, double initialAccumulatorValue = 0, double eps = 1e-10)
        : base(groups, new Dictionary<string, double>
        {
            ["lr"] = lr, ["lr_decay"] = lrDecay, ["weight_decay"] = weightDecay, ["initial_accumulator_value"] = initialAccumulatorValue, ["eps"] = eps,
        })
    { }

    protected override void Validate(ParamGroup group, int index)
    {
        base.Validate(group, index);
        Require(group, index, "lr_decay", v => v >= 0, ">= 0");
        Require(group, index, "initial_accumulator_value", v => v >= 0, ">= 0");
        Require(group, index, "eps", v => v >= 0, ">= 0");
    }

    protected override void Update(Tensor param, Tensor grad, ParamGroup group, ParamState state)
    {
        double lr = group.Lr, wd = group.WeightDecay, eps = group["eps"];
        var s = state.Full("sum", param, (float)group["initial_accumulator_value"]);
        long t = ++state.Step;

        // g = ∇ + λ θ
        var g = wd != 0 ? param.Backend.Zip(grad, param, new AddScaledOp((float)wd)) : grad;
        // ηₜ = η / (1 + (t - 1) δ)
        double clr = lr / (1 + (t - 1) * group["lr_decay"]);
        // s = s + g²   (the whole history, undecayed)
        s.Apply_(g, new SquareLerpOp(1f, 1f));
        // θ = θ - ηₜ g / (sqrt(s) + ε)
        var d = s.Map(new SqrtDivAddOp(1f, (float)eps));
        d.Apply_(g, new DivideIntoOp());
        param.Add_(d, (float)-clr);
    }
}
