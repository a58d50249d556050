namespace Engine;

/// <summary>Multiplies the lr by gamma every stepSize steps: η = η₀ γ^⌊t / stepSize⌋ (torch StepLR).</summary>
/// <example><code>var sched = new StepLR(opt, stepSize: 30, gamma: 0.1);   // per epoch: ÷10 at 30, 60, 90</code></example>
public sealed class StepLR : LrScheduler
{
    public int StepSize { get; }
    public double Gamma { get; }

    public StepLR(Optimizer optimizer, int stepSize, double gamma = 0.1) : base(optimizer)
    {
        if (stepSize < 1) throw new ArgumentOutOfRangeException(nameof(stepSize), stepSize, "StepLR: stepSize must be >= 1");
        StepSize = stepSize;
        Gamma = gamma;
        InitialStep();
    }

    protected override double[] ComputeLr() =>
        LastEpoch == 0 || LastEpoch % StepSize != 0 ? CurrentLrs() : CurrentLrs().Select(lr => lr * Gamma).ToArray();
}

/// <summary>Multiplies the lr by gamma at each milestone (a milestone listed twice applies gamma twice) (torch MultiStepLR).</summary>
/// <example><code>var sched = new MultiStepLR(opt, milestones: [30, 80], gamma: 0.1);</code></example>
public sealed class MultiStepLR : LrScheduler
{
    private readonly Dictionary<int, int> _milestones;
    public double Gamma { get; }
    public IReadOnlyList<int> Milestones { get; }

    public MultiStepLR(Optimizer optimizer, IEnumerable<int> milestones, double gamma = 0.1) : base(optimizer)
    {
        Milestones = milestones.Order().ToArray();
        _milestones = Milestones.GroupBy(m => m).ToDictionary(g => g.Key, g => g.Count());
        Gamma = gamma;
        InitialStep();
    }

    protected override double[] ComputeLr() =>
        _milestones.TryGetValue(LastEpoch, out int n) ? CurrentLrs().Select(lr => lr * Math.Pow(Gamma, n)).ToArray() : CurrentLrs();
}

/// <summary>Multiplies the lr by gamma every step: η = η₀ γᵗ (torch ExponentialLR).</summary>
public sealed class ExponentialLR : LrScheduler
{
    public double Gamma { get; }

    public ExponentialLR(Optimizer optimizer, double gamma) : base(optimizer)
    {
        Gamma = gamma;
        InitialStep();
    }

    protected override double[] ComputeLr() => LastEpoch == 0 ? CurrentLrs() : CurrentLrs().Select(lr => lr * Gamma).ToArray();
}
