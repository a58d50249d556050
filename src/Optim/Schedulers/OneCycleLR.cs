namespace Engine;

/// <summary>
/// The one-cycle policy (Smith and Topin 2018), as torch OneCycleLR, stepped once per batch:
/// the lr rises from max_lr / divFactor to max_lr over the first pctStart of totalSteps, then anneals
/// to (max_lr / divFactor) / finalDivFactor; momentum (SGD's momentum or Adam's β₁) moves the opposite
/// way, from maxMomentum down to baseMomentum and back. With threePhase the lr comes back to the start
/// before a final anneal (fast.ai's original shape).
/// </summary>
/// <remarks>
/// Defaults as PyTorch: cosine annealing, pctStart 0.3, divFactor 25, finalDivFactor 1e4, momentum
/// cycled between 0.85 and 0.95. Cycling momentum overwrites the optimizer's momentum (also an SGD built
/// with momentum 0), as in PyTorch; pass cycleMomentum: false to keep it. Stepping past totalSteps is an error.
/// </remarks>
public sealed class OneCycleLR : LrScheduler
{
    private readonly record struct Phase(double EndStep, string StartLr, string EndLr, string StartMomentum, string EndMomentum);

    private readonly Phase[] _phases;
    private readonly string? _momentumKey;

    public int TotalSteps { get; }
    public bool CosineAnneal { get; }

    /// <param name="maxLr">Peak lr of every group (or one per group with the other constructor).</param>
    /// <param name="totalSteps">Batches in the whole run (epochs × batches per epoch).</param>
    /// <param name="anneal">"cos" or "linear".</param>
    public OneCycleLR(Optimizer optimizer, double maxLr, int totalSteps, double pctStart = 0.3, string anneal = "cos",
        bool cycleMomentum = true, double baseMomentum = 0.85, double maxMomentum = 0.95,
        double divFactor = 25, double finalDivFactor = 1e4, bool threePhase = false)
        : this(optimizer, optimizer.ParamGroups.Select(_ => maxLr).ToArray(), totalSteps, pctStart, anneal, cycleMomentum,
               baseMomentum, maxMomentum, divFactor, finalDivFactor, threePhase) { }

    public OneCycleLR(Optimizer optimizer, IReadOnlyList<double> maxLrs, int totalSteps, double pctStart = 0.3, string anneal = "cos",
        bool cycleMomentum = true, double baseMomentum = 0.85, double maxMomentum = 0.95,
        double divFactor = 25, double finalDivFactor = 1e4, bool threePhase = false)
        : base(PrepareGroups(optimizer, maxLrs, divFactor, finalDivFactor))
    {
        if (totalSteps < 1) throw new ArgumentOutOfRangeException(nameof(totalSteps), totalSteps, "OneCycleLR: totalSteps must be >= 1");
        if (!(pctStart >= 0 && pctStart <= 1)) throw new ArgumentOutOfRangeException(nameof(pctStart), pctStart, "OneCycleLR: pctStart must be in [0, 1]");
        CosineAnneal = anneal switch
        {
            "cos" => true,
            "linear" => false,
            _ => throw new ArgumentException($"OneCycleLR: anneal must be \"cos\" or \"linear\", got \"{anneal}\"", nameof(anneal)),
        };
        TotalSteps = totalSteps;
        _phases = threePhase
            ? [
                new(pctStart * totalSteps - 1, "initial_lr", "max_lr", "max_momentum", "base_momentum"),
                new(2 * pctStart * totalSteps - 2, "max_lr", "initial_lr", "base_momentum", "max_momentum"),
                new(totalSteps - 1, "initial_lr", "min_lr", "max_momentum", "max_momentum"),
            ]
            : [
                new(pctStart * totalSteps - 1, "initial_lr", "max_lr", "max_momentum", "base_momentum"),
                new(totalSteps - 1, "max_lr", "min_lr", "base_momentum", "max_momentum"),
            ];

        if (cycleMomentum)
        {
            // Adam-like optimizers cycle β₁, SGD and RMSprop their momentum
            _momentumKey = Groups.Any(g => g.Has("beta1")) ? "beta1" : Groups.Any(g => g.Has("momentum")) ? "momentum"
                : throw new ArgumentException($"OneCycleLR: {optimizer.GetType().Name} has no momentum or beta1 to cycle; pass cycleMomentum: false");
            foreach (var g in Groups)
            {
                g[_momentumKey] = maxMomentum;
                g["max_momentum"] = maxMomentum;
                g["base_momentum"] = baseMomentum;
            }
        }
        InitialStep();
    }

    private static Optimizer PrepareGroups(Optimizer optimizer, IReadOnlyList<double> maxLrs, double divFactor, double finalDivFactor)
    {
        ArgumentNullException.ThrowIfNull(optimizer);
        if (maxLrs.Count != optimizer.ParamGroups.Count)
            throw new ArgumentException($"OneCycleLR: got {maxLrs.Count} max learning rates for {optimizer.ParamGroups.Count} param groups");
        // the start is max_lr / divFactor, the end that divided by finalDivFactor
        for (int i = 0; i < maxLrs.Count; i++)
        {
            var g = optimizer.ParamGroups[i];
            g["initial_lr"] = maxLrs[i] / divFactor;
            g["max_lr"] = maxLrs[i];
            g["min_lr"] = g["initial_lr"] / finalDivFactor;
        }
        return optimizer;
    }

    protected override double[] ComputeLr()
    {
        int t = LastEpoch;
        if (t > TotalSteps)
            throw new InvalidOperationException($"OneCycleLR: stepped {t} times, more than totalSteps = {TotalSteps}; make totalSteps epochs × batches per epoch");
        var lrs = new double[Groups.Count];
        for (int i = 0; i < Groups.Count; i++)
        {
            var g = Groups[i];
            double start = 0;
            for (int k = 0; k < _phases.Length; k++)
            {
                var ph = _phases[k];
                if (t <= ph.EndStep || k == _phases.Length - 1)
                {
                    // a phase of zero length (pctStart · totalSteps = 1) is already complete; PyTorch gives NaN here
                    double pct = ph.EndStep == start ? 1 : (t - start) / (ph.EndStep - start);
                    lrs[i] = Anneal(g[ph.StartLr], g[ph.EndLr], pct);
                    if (_momentumKey != null) g[_momentumKey] = Anneal(g[ph.StartMomentum], g[ph.EndMomentum], pct);
                    break;
                }
                start = ph.EndStep;
            }
        }
        return lrs;
    }

    // cos: end + (start - end) (1 + cos(π pct)) / 2 ; linear: start + (end - start) pct
    private double Anneal(double start, double end, double pct) =>
        CosineAnneal ? end + (start - end) / 2.0 * (Math.Cos(Math.PI * pct) + 1) : (end - start) * pct + start;
}
