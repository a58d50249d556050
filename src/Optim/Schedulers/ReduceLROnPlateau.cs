namespace Engine;

/// <summary>
/// Lowers the lr when a metric stops improving, as torch ReduceLROnPlateau: call
/// <see cref="Step(double)"/> with the validation loss (mode "min") or accuracy (mode "max") once per
/// epoch. After more than patience epochs without improvement, every group's lr becomes
/// max(lr · factor, minLr); then cooldown epochs pass before bad epochs count again.
/// </summary>
/// <remarks>
/// "Improvement" with threshold θ: rel mode needs a &lt; best (1 - θ) (min) or a &gt; best (1 + θ) (max);
/// abs mode a &lt; best - θ or a &gt; best + θ. A reduction smaller than eps is skipped.
/// The default factor is PyTorch's 0.1; the collection's choice is 0.25 (a gentler cut, taken more often).
/// </remarks>
public sealed class ReduceLROnPlateau : ILrScheduler
{
    private readonly double[] _minLrs;
    private double[] _lastLr;

    public Optimizer Optimizer { get; }
    public bool MaxMode { get; }
    public double Factor { get; }
    public int Patience { get; }
    public double Threshold { get; }
    public bool RelativeThreshold { get; }
    public int Cooldown { get; }
    public double Eps { get; }

    /// <summary>The best metric so far (+∞ in min mode before the first step).</summary>
    public double Best { get; private set; }
    public int NumBadEpochs { get; private set; }
    public int CooldownCounter { get; private set; }
    public int LastEpoch { get; private set; }

    /// <param name="mode">"min" (loss) or "max" (accuracy).</param>
    /// <param name="thresholdMode">"rel" or "abs".</param>
    /// <param name="minLr">Floor of every group's lr (or one per group with minLrs).</param>
    public ReduceLROnPlateau(Optimizer optimizer, string mode = "min", double factor = 0.1, int patience = 10, double threshold = 1e-4,
        string thresholdMode = "rel", int cooldown = 0, double minLr = 0, double eps = 1e-8, IReadOnlyList<double>? minLrs = null)
    {
        ArgumentNullException.ThrowIfNull(optimizer);
        if (!(factor < 1.0 && factor >= 0)) throw new ArgumentOutOfRangeException(nameof(factor), factor, "ReduceLROnPlateau: factor must be in [0, 1)");
        if (patience < 0) throw new ArgumentOutOfRangeException(nameof(patience), patience, "ReduceLROnPlateau: patience must be >= 0");
        if (cooldown < 0) throw new ArgumentOutOfRangeException(nameof(cooldown), cooldown, "ReduceLROnPlateau: cooldown must be >= 0");
        Optimizer = optimizer;
        MaxMode = mode switch { "min" => false, "max" => true, _ => throw new ArgumentException($"ReduceLROnPlateau: mode must be \"min\" or \"max\", got \"{mode}\"", nameof(mode)) };
        RelativeThreshold = thresholdMode switch { "rel" => true, "abs" => false, _ => throw new ArgumentException($"ReduceLROnPlateau: thresholdMode must be \"rel\" or \"abs\", got \"{thresholdMode}\"", nameof(thresholdMode)) };
        Factor = factor; Patience = patience; Threshold = threshold; Cooldown = cooldown; Eps = eps;
        int n = optimizer.ParamGroups.Count;
        if (minLrs != null && minLrs.Count != n) throw new ArgumentException($"ReduceLROnPlateau: got {minLrs.Count} minLrs for {n} param groups");
        _minLrs = minLrs?.ToArray() ?? Enumerable.Repeat(minLr, n).ToArray();
        _lastLr = optimizer.ParamGroups.Select(g => g.Lr).ToArray();
        Reset();
    }

    /// <summary>Forgets the best value and the counters (e.g. after changing the lr by hand).</summary>
    public void Reset()
    {
        Best = MaxMode ? double.NegativeInfinity : double.PositiveInfinity;
        CooldownCounter = 0;
        NumBadEpochs = 0;
    }

    public bool InCooldown => CooldownCounter > 0;

    /// <summary>One epoch's metric. NaN counts as no improvement.</summary>
    public void Step(double metric)
    {
        LastEpoch++;
        if (IsBetter(metric, Best)) { Best = metric; NumBadEpochs = 0; }
        else NumBadEpochs++;

        if (InCooldown)
        {
            CooldownCounter--;
            NumBadEpochs = 0;           // bad epochs during cooldown do not count
        }
        if (NumBadEpochs > Patience)
        {
            ReduceLr();
            CooldownCounter = Cooldown;
            NumBadEpochs = 0;
        }
        _lastLr = Optimizer.ParamGroups.Select(g => g.Lr).ToArray();
    }

    private void ReduceLr()
    {
        var groups = Optimizer.ParamGroups;
        for (int i = 0; i < groups.Count; i++)
        {
            double old = groups[i].Lr;
            double next = Math.Max(old * Factor, i < _minLrs.Length ? _minLrs[i] : 0);
            if (old - next > Eps) groups[i].Lr = next;
        }
    }

    public bool IsBetter(double a, double best) => (MaxMode, RelativeThreshold) switch
    {
        (false, true) => a < best * (1 - Threshold),
        (false, false) => a < best - Threshold,
        (true, true) => a > best * (Threshold + 1),
        (true, false) => a > best + Threshold,
    };

    public IReadOnlyList<double> GetLastLr() => _lastLr;

    public StateDict StateDict()
    {
        var sd = new StateDict();
        sd.Values["best"] = Best;
        sd.Values["num_bad_epochs"] = NumBadEpochs;
        sd.Values["cooldown_counter"] = CooldownCounter;
        sd.Values["last_epoch"] = LastEpoch;
        for (int i = 0; i < _lastLr.Length; i++) sd.Values[$"last_lr.{i}"] = _lastLr[i];
        return sd;
    }

    public void LoadStateDict(StateDict state)
    {
        ArgumentNullException.ThrowIfNull(state);
        const string who = nameof(ReduceLROnPlateau);
        Best = state.Value("best", who);
        NumBadEpochs = (int)state.Value("num_bad_epochs", who);
        CooldownCounter = (int)state.Value("cooldown_counter", who);
        LastEpoch = (int)state.Value("last_epoch", who);
        var last = new List<double>();
        while (state.Values.TryGetValue($"last_lr.{last.Count}", out var l)) last.Add(l);
        _lastLr = last.ToArray();
    }
}
