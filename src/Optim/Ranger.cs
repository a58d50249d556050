namespace Engine;

/// <summary>
/// Ranger (Wright, "New Deep Learning Optimizer, Ranger: Synergistic combination of RAdam + LookAhead", 2019):
/// <see cref="Lookahead"/> around <see cref="RAdam"/>, with Ranger's defaults. RAdam's rectification replaces the
/// warmup, and Lookahead's slow weights damp the noise of the fast ones.
/// <code>
/// θ = RAdam step of θ                         (β = (0.95, 0.999), ε = 1e-5)
/// every 6th step:  φ = φ + ½ (θ - φ);  θ = φ
/// </code>
/// </summary>
/// <remarks>
/// Defaults as Ranger's release: lr 1e-3, betas (0.95, 0.999), ε 1e-5, k 6, α 0.5, weight decay 0 (L2, RAdam's).
/// Later Ranger versions (and pytorch_optimizer's) also centralize gradients; this is the RAdam + Lookahead original.
/// </remarks>
public sealed class Ranger : Lookahead
{
    public Ranger(IEnumerable<Tensor> parameters, double lr = 1e-3, double beta1 = 0.95, double beta2 = 0.999, double eps = 1e-5, double weightDecay = 0, int k = 6, double alpha = 0.5)
        : base(new RAdam(parameters, lr, beta1, beta2, eps, weightDecay), k, alpha) { }

    public Ranger(IEnumerable<ParamGroup> groups, double lr = 1e-3, double beta1 = 0.95, double beta2 = 0.999, double eps = 1e-5, double weightDecay = 0, int k = 6, double alpha = 0.5)
        : base(new RAdam(groups, lr, beta1, beta2, eps, weightDecay), k, alpha) { }
}
