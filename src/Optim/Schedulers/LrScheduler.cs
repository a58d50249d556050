namespace Engine;

/// <summary>What every learning-rate scheduler offers, whatever drives its steps (a counter or a metric).</summary>
public interface ILrScheduler
{
    Optimizer Optimizer { get; }
    /// <summary>The learning rate of each param group after the last step (or after construction).</summary>
    IReadOnlyList<double> GetLastLr();
    StateDict StateDict();
    void LoadStateDict(StateDict state);
}

/// <summary>
/// Base of the schedulers stepped by a counter, as torch.optim.lr_scheduler._LRScheduler. Call
/// <see cref="Step"/> once per batch or once per epoch (the unit is yours: a step size of 30 means
/// 30 calls). Construction performs step 0, which sets each group's lr to the schedule's start.
/// </summary>
/// <remarks>
/// The first scheduler built on an optimizer records each group's <c>initial_lr</c> (the lr it had);
/// <see cref="BaseLrs"/> are those. Several schedulers share them, as in PyTorch. Derived classes
/// compute the new rates in <see cref="ComputeLr"/> (PyTorch's chainable form: from the current lr where
/// PyTorch does, so schedulers compose the same way) and call <see cref="InitialStep"/> at the end of
/// their constructor.
/// </remarks>
public abstract class LrScheduler : ILrScheduler
{
    private double[] _lastLr = [];

    protected LrScheduler(Optimizer optimizer)
    {
        ArgumentNullException.ThrowIfNull(optimizer);
        Optimizer = optimizer;
        foreach (var g in optimizer.ParamGroups)
            if (!g.Has("initial_lr")) g["initial_lr"] = g.Lr;
        BaseLrs = optimizer.ParamGroups.Select(g => g["initial_lr"]).ToArray();
        LastEpoch = -1;
    }

    public Optimizer Optimizer { get; }

    /// <summary>Steps taken (0 right after construction), PyTorch's <c>last_epoch</c>.</summary>
    public int LastEpoch { get; protected set; }

    /// <summary>Each group's learning rate at the start of the schedule.</summary>
    public double[] BaseLrs { get; protected set; }

    /// <summary>Times <see cref="Step"/> ran, counting the one in the constructor.</summary>
    protected int StepCount { get; set; }

    protected IReadOnlyList<ParamGroup> Groups => Optimizer.ParamGroups;

    /// <summary>Step 0: called by derived constructors once their fields are set.</summary>
    protected void InitialStep()
    {
        StepCount = 0;
        Step();
    }

    /// <summary>Advances the schedule by one batch or epoch and writes the new lr into every group.</summary>
    public virtual void Step()
    {
        StepCount++;
        LastEpoch++;
        SetLrs(ComputeLr());
    }

    /// <summary>The lr of each group at <see cref="LastEpoch"/> (already advanced).</summary>
    protected abstract double[] ComputeLr();

    protected void SetLrs(IReadOnlyList<double> lrs)
    {
        if (lrs.Count != Groups.Count)
            throw new InvalidOperationException($"{GetType().Name}: the optimizer has {Groups.Count} param groups, the scheduler was built for {lrs.Count} (rebuild it after AddParamGroup)");
        for (int i = 0; i < lrs.Count; i++) Groups[i].Lr = lrs[i];
        _lastLr = lrs.ToArray();
    }

    public IReadOnlyList<double> GetLastLr() => _lastLr;

    /// <summary>The step counters, base and last rates, and the scheduler's own fields.</summary>
    public StateDict StateDict()
    {
        var sd = new StateDict();
        sd.Values["last_epoch"] = LastEpoch;
        sd.Values["step_count"] = StepCount;
        for (int i = 0; i < BaseLrs.Length; i++) sd.Values[$"base_lrs.{i}"] = BaseLrs[i];
        for (int i = 0; i < _lastLr.Length; i++) sd.Values[$"last_lr.{i}"] = _lastLr[i];
        SaveExtra(sd);
        return sd;
    }

    /// <summary>
    /// Restores what <see cref="StateDict"/> saved. The learning rates of the groups come from the
    /// optimizer's own state dict (load both); the scheduler does not write them here.
    /// </summary>
    public void LoadStateDict(StateDict state)
    {
        ArgumentNullException.ThrowIfNull(state);
        string who = GetType().Name;
        LastEpoch = (int)state.Value("last_epoch", who);
        StepCount = (int)state.Value("step_count", who);
        var baseLrs = new List<double>();
        while (state.Values.TryGetValue($"base_lrs.{baseLrs.Count}", out var b)) baseLrs.Add(b);
        if (baseLrs.Count != Groups.Count)
            throw new ArgumentException($"{who}.LoadStateDict: the state has base rates for {baseLrs.Count} param groups, the optimizer has {Groups.Count}");
        BaseLrs = baseLrs.ToArray();
        var last = new List<double>();
        while (state.Values.TryGetValue($"last_lr.{last.Count}", out var l)) last.Add(l);
        _lastLr = last.ToArray();
        LoadExtra(state);
    }

    protected virtual void SaveExtra(StateDict state) { }
    protected virtual void LoadExtra(StateDict state) { }

    /// <summary>Each group's current lr (the chainable schedulers multiply it).</summary>
    protected double[] CurrentLrs() => Groups.Select(g => g.Lr).ToArray();
}
