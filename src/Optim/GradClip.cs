using Engine.Kernels.Ops;
using Engine.Optim.Ops;

namespace Engine;

/// <summary>Gradient clipping, as torch.nn.utils.clip_grad_norm_ and clip_grad_value_. Call after Backward and before Step.</summary>
public static class GradClip
{
    /// <summary>
    /// Scales all gradients together so that their global p-norm is at most maxNorm:
    /// <code>
    /// N = ‖(‖g₁‖ₚ, ‖g₂‖ₚ, ...)‖ₚ        (the norm of all gradients as one vector; p = ∞ takes the max |g|)
    /// g = g · min(1, maxNorm / (N + 1e-6))
    /// </code>
    /// The direction of the update is kept; only its length is capped.
    /// </summary>
    /// <returns>N, the total norm before clipping (log it: spikes announce divergence; 0 when no parameter has a gradient).</returns>
    /// <param name="errorIfNonfinite">Throw when N is NaN or infinite instead of scaling by it.</param>
    public static float ClipGradNorm(IEnumerable<Tensor> parameters, double maxNorm, double normType = 2, bool errorIfNonfinite = false)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        if (!(maxNorm >= 0)) throw new ArgumentOutOfRangeException(nameof(maxNorm), maxNorm, "clip_grad_norm: maxNorm must be >= 0");
        if (!(normType > 0)) throw new ArgumentOutOfRangeException(nameof(normType), normType, "clip_grad_norm: normType must be > 0 (or +infinity)");
        var grads = parameters.Select(p => p.Grad).OfType<Tensor>().ToList();
        if (grads.Count == 0) return 0f;

        using var scope = Tensor.Scope();
        using var noGrad = Tensor.NoGrad();
        double total = 0;
        foreach (var g in grads)
        {
            // ‖g‖ₚ per tensor in float32 on g's device (as PyTorch), combined on the host in double
            if (double.IsPositiveInfinity(normType)) total = Math.Max(total, g.Map(new AbsOp()).Max().Item());
            else if (normType == 2) total += g.Map(new SquareOp()).Sum().Item();
            else total += Math.Pow(Math.Pow(g.Map(new AbsPowOp((float)normType)).Sum().Item(), 1 / normType), normType);
        }
        if (!double.IsPositiveInfinity(normType)) total = Math.Pow(total, 1 / normType);
        float norm = (float)total;

        if (errorIfNonfinite && !float.IsFinite(norm))
            throw new ArithmeticException($"clip_grad_norm: the total {normType}-norm of the gradients of {grads.Count} parameters is {norm}; set errorIfNonfinite false to clip anyway");
        float coef = (float)(maxNorm / (norm + 1e-6));
        if (!(coef >= 1f))      // NaN scales too, as in PyTorch, so the NaN reaches the parameters and is seen
            foreach (var g in grads) g.Mul_(coef);
        return norm;
    }

    /// <summary>Clamps every gradient element into [-clipValue, clipValue] (changes the direction; prefer the norm for most uses).</summary>
    public static void ClipGradValue(IEnumerable<Tensor> parameters, double clipValue)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        if (!(clipValue >= 0)) throw new ArgumentOutOfRangeException(nameof(clipValue), clipValue, "clip_grad_value: clipValue must be >= 0");
        using var noGrad = Tensor.NoGrad();
        foreach (var p in parameters)
            p.Grad?.Apply_(new ClampOp((float)-clipValue, (float)clipValue));
    }
}
