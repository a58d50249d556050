using Engine.Kernels.Ops;

namespace Engine;

/// <summary>
/// Averaged SGD (Polyak and Juditsky, "Acceleration of Stochastic Approximation by Averaging", SIAM J. Control
/// 1992; the step-size schedule of Bottou's SGD), as torch.optim.ASGD. Plain SGD with a decaying step, plus a
/// running average <c>ax</c> of the iterates from step t₀ on (kept in the state as <c>ax</c>; copy it into the
/// model to evaluate the averaged weights):
/// <code>
/// g      = ∇ + λ θ
/// θ      = θ (1 - λ_d ηₜ)                     (λ_d = lambd)
/// θ      = θ - ηₜ g
/// ax     = μₜ = 1 ? θ : ax + μₜ (θ - ax)
/// ηₜ₊₁   = η / (1 + λ_d η t)^α
/// μₜ₊₁   = 1 / max(1, t - t₀)
/// </code>
/// </summary>
/// <remarks>Defaults as PyTorch: lr 1e-2, lambd 1e-4, α 0.75, t₀ 1e6 (so by default no averaging happens for a million steps).</remarks>
public sealed class ASGD : Optimizer
{
    public ASGD(IEnumerable<Tensor> parameters, double lr = 1e-2, double lambd = 1e-4, double alpha = 0.75, double t0 = 1e6, double weightDecay = 0)
        : this([new ParamGroup(parameters)], lr, lambd, alpha, t0, weightDecay) { }

    public ASGD(IEnumerable<ParamGroup> groups, double lr = 1e-2, double lambd = 1e-4, double alpha = 0.75, double t0 = 1e6, double weightDecay = 0)
        : base(groups, new Dictionary<string, double> { ["lr"] = lr, ["lambd"] = lambd, ["alpha"] = alpha, ["t0"] = t0, ["weight_decay"] = weightDecay })
    { }

    protected override void Validate(ParamGroup group, int index)
    {
        base.Validate(group, index);
        Require(group, index, "lambd", v => v >= 0, ">= 0");
        Require(group, index, "alpha", v => v >= 0, ">= 0");
    }

    protected override void Update(Tensor param, Tensor grad, ParamGroup group, ParamState state)
    {
        double lr = group.Lr, lambd = group["lambd"], wd = group.WeightDecay;
        var ax = state.Zeros("ax", param);
        long t = ++state.Step;
        // ηₜ and μₜ were set by the previous step (η and 1 before the first)
        double eta = state.Value("eta", lr), mu = state.Value("mu", 1);

        // g = ∇ + λ θ
        var g = wd != 0 ? param.Backend.Zip(grad, param, new AddScaledOp((float)wd)) : grad;
        // θ = θ (1 - λ_d ηₜ)      (the decay term of the schedule's objective)
        param.Mul_((float)(1 - lambd * eta));
        // θ = θ - ηₜ g
        param.Add_(g, (float)-eta);
        // ax = ax + μₜ (θ - ax)    (μₜ = 1: restart the average at θ)
        if (mu != 1) ax.Lerp_(param, (float)(1 - mu), (float)mu);
        else ax.Copy_(param);
        // ηₜ₊₁ = η / (1 + λ_d η t)^α,  μₜ₊₁ = 1 / max(1, t - t₀)
        state.SetValue("eta", lr / Math.Pow(1 + lambd * lr * t, group["alpha"]));
        state.SetValue("mu", 1 / Math.Max(1, t - group["t0"]));
    }
}
