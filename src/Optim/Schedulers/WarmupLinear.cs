namespace Engine;

/// <summary>
/// BERT's schedule (Hugging Face's <c>get_linear_schedule_with_warmup</c>): from 0 up to η₀ over warmupSteps, then
/// linearly down to 0 at totalSteps, stepped per batch:
/// <code>η_t = η₀ t / W  (t &lt; W),      η_t = η₀ max(0, (T - t) / (T - W))  (t ≥ W)</code>
/// </summary>
public sealed class WarmupLinear : LrScheduler
{
    public int WarmupSteps { get; }
    public int TotalSteps { get; }

    public WarmupLinear(Optimizer optimizer, int warmupSteps, int totalSteps) : base(optimizer)
    {
        if (warmupSteps < 0) throw new ArgumentOutOfRangeException(nameof(warmupSteps), warmupSteps, "WarmupLinear: warmupSteps must be >= 0");
        if (totalSteps <= warmupSteps) throw new ArgumentOutOfRangeException(nameof(totalSteps), totalSteps, $"WarmupLinear: totalSteps must exceed warmupSteps ({warmupSteps})");
        (WarmupSteps, TotalSteps) = (warmupSteps, totalSteps);
        InitialStep();
    }

    /// <summary>The factor of η₀ at step t.</summary>
    public double Factor(int t) => t < WarmupSteps ? (double)t / WarmupSteps : Math.Max(0, (double)(TotalSteps - t) / (TotalSteps - WarmupSteps));

    protected override double[] ComputeLr() => BaseLrs.Select(b => b * Factor(LastEpoch)).ToArray();
}
