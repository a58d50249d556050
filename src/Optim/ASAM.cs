namespace Engine;

/// <summary>
/// ASAM, adaptive sharpness-aware minimization (Kwon, Kim, Park and Choi, "ASAM: Adaptive Sharpness-Aware
/// Minimization for Scale-Invariant Learning of Deep Neural Networks", ICML 2021, Algorithm 1): <see cref="SAM"/>
/// with a neighbourhood scaled per weight by T = |θ| + η, so that rescaling a layer does not change its sharpness:
/// <code>
/// e = ρ T² ∇L / ‖T ∇L‖,   T = |θ| + η
/// θ = θ + e;  g = ∇L(θ) (the closure);  θ = θ - e;  base step with g
/// </code>
/// </summary>
/// <remarks>Defaults as the paper's code: ρ 0.5, η 0.01 (ASAM's ρ is about ten times SAM's, since T ≪ 1).</remarks>
public sealed class ASAM : SAM
{
    public ASAM(Optimizer baseOptimizer, double rho = 0.5, double eta = 0.01)
        : base(baseOptimizer, rho, adaptive: true, eta) { }
}
