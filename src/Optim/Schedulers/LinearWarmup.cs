namespace Engine;

/// <summary>
/// Linear warmup, alone or in front of any other scheduler: for the first warmupSteps steps
/// <code>η_t = η₀ (s + (1 - s) t / W)      t = 0 .. W-1,  s = startFactor</code>
/// then the scheduler given as <c>after</c> runs from its own step 0 (η₀ at t = W), as PyTorch's
/// <c>SequentialLR([LinearLR(s, 1, W), after], milestones: [W])</c>. Without <c>after</c> the lr stays at η₀.
/// </summary>
/// <remarks>
/// Warmup keeps the first updates small while Adam's second moment and batch-norm statistics are still
/// noise; large-batch SGD (the linear scaling rule) needs it too. Build <c>after</c> on the same
/// optimizer first: <c>new LinearWarmup(opt, 500, after: new CosineAnnealingLR(opt, tMax: total - 500))</c>.
/// </remarks>
public class LinearWarmup : LrScheduler
{
    private readonly LrScheduler? _after;

    public int WarmupSteps { get; }
    public double StartFactor { get; }
    public LrScheduler? After => _after;

    /// <param name="startFactor">Fraction of η₀ at step 0 (default 1/W: the first step uses η₀/W).</param>
    public LinearWarmup(Optimizer optimizer, int warmupSteps, LrScheduler? after = null, double? startFactor = null) : base(optimizer)
    {
        if (warmupSteps < 1) throw new ArgumentOutOfRangeException(nameof(warmupSteps), warmupSteps, "LinearWarmup: warmupSteps must be >= 1");
        if (after != null && !ReferenceEquals(after.Optimizer, optimizer))
            throw new ArgumentException("LinearWarmup: the scheduler given as 'after' was built on another optimizer");
        double s = startFactor ?? 1.0 / warmupSteps;
        if (!(s > 0 && s <= 1)) throw new ArgumentOutOfRangeException(nameof(startFactor), s, "LinearWarmup: startFactor must be in (0, 1]");
        WarmupSteps = warmupSteps;
        StartFactor = s;
        _after = after;
        InitialStep();
    }

    public override void Step()
    {
        StepCount++;
        LastEpoch++;
        int t = LastEpoch;
        if (t < WarmupSteps || _after == null) SetLrs(ComputeLr());
        // hand over: the next scheduler starts from its step 0 (the rates it set when built)
        else if (t == WarmupSteps) SetLrs(_after.GetLastLr());
        else { _after.Step(); SetLrs(_after.GetLastLr()); }
    }

    protected override double[] ComputeLr()
    {
        double f = LastEpoch >= WarmupSteps ? 1 : StartFactor + (1 - StartFactor) * LastEpoch / WarmupSteps;
        return BaseLrs.Select(b => b * f).ToArray();
    }

    protected override void SaveExtra(StateDict state)
    {
        if (_after != null) state.Include("after", _after.StateDict());
    }

    protected override void LoadExtra(StateDict state) => _after?.LoadStateDict(state.Sub("after"));
}

/// <summary>
/// Linear warmup over warmupSteps, then cosine annealing to minLr at totalSteps: the usual schedule for
/// AdamW and transformers, stepped per batch. <c>new WarmupCosine(opt, warmupSteps: 200, totalSteps: 5_000)</c>.
/// </summary>
public sealed class WarmupCosine : LinearWarmup
{
    public WarmupCosine(Optimizer optimizer, int warmupSteps, int totalSteps, double minLr = 0, double? startFactor = null)
        : base(optimizer, warmupSteps, new CosineAnnealingLR(optimizer, CosineSteps(warmupSteps, totalSteps), minLr), startFactor) { }

    public int TotalSteps => WarmupSteps + ((CosineAnnealingLR)After!).TMax;

    private static int CosineSteps(int warmupSteps, int totalSteps) =>
        totalSteps > warmupSteps ? totalSteps - warmupSteps
            : throw new ArgumentOutOfRangeException(nameof(totalSteps), totalSteps, $"WarmupCosine: totalSteps must exceed warmupSteps ({warmupSteps})");
}
