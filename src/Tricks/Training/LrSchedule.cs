namespace Engine.Training;

/// <summary>
/// Steps a learning-rate scheduler from the trainer: after every optimizer step (warmup, one-cycle,
/// cosine per batch) or at the end of every epoch. <see cref="ReduceLROnPlateau"/> is stepped with a
/// validation metric ("val_loss" by default) at the end of each epoch.
/// </summary>
public sealed class LrSchedule : Callback
{
    private readonly LrScheduler? _scheduler;
    private readonly ReduceLROnPlateau? _plateau;

    public LrSchedule(LrScheduler scheduler, bool perBatch = true) { _scheduler = scheduler; PerBatch = perBatch; }

    public LrSchedule(ReduceLROnPlateau plateau, string monitor = "val_loss") { _plateau = plateau; Monitor = monitor; }

    public bool PerBatch { get; }
    public string Monitor { get; } = "val_loss";
    public ILrScheduler Scheduler => (ILrScheduler?)_scheduler ?? _plateau!;

    public override void AfterStep(TrainContext ctx)
    {
        if (PerBatch) _scheduler?.Step();
    }

    public override void OnEpochEnd(TrainContext ctx)
    {
        if (_scheduler != null && !PerBatch) _scheduler.Step();
        if (_plateau == null) return;
        if (!ctx.ValidationMetrics.TryGetValue(Monitor, out var v) && !ctx.TrainMetrics.TryGetValue(Monitor.Replace("val_", "train_"), out v))
            throw new InvalidOperationException($"reduce-on-plateau: no metric '{Monitor}' this epoch (give the trainer validation data)");
        _plateau.Step(v);
    }
}
