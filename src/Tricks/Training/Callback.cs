namespace Engine.Training;

/// <summary>
/// A trick plugged into the <see cref="Trainer"/>. Every hook does nothing by default; a trick
/// overrides the ones it needs. Hooks run in the order the callbacks were given to <see cref="Trainer.With"/>.
/// </summary>
/// <remarks>
/// One batch: OnBatchStart, forward, loss, <see cref="OnLoss"/> (may replace <see cref="TrainContext.Loss"/>:
/// scaling, distillation), backward, <see cref="AfterBackward"/> (may set <see cref="TrainContext.SkipStep"/>),
/// optimizer step and zero-grad unless skipped, <see cref="AfterStep"/>, <see cref="OnBatchEnd"/>.
/// One epoch: OnEpochStart, the batches, the validation pass (OnValidationStart/End), OnEpochEnd.
/// </remarks>
public abstract class Callback
{
    public virtual void OnTrainStart(TrainContext ctx) { }
    public virtual void OnEpochStart(TrainContext ctx) { }
    public virtual void OnBatchStart(TrainContext ctx) { }
    public virtual void OnLoss(TrainContext ctx) { }
    public virtual void AfterBackward(TrainContext ctx) { }
    public virtual void AfterStep(TrainContext ctx) { }
    public virtual void OnBatchEnd(TrainContext ctx) { }
    public virtual void OnValidationStart(TrainContext ctx) { }
    public virtual void OnValidationEnd(TrainContext ctx) { }
    public virtual void OnEpochEnd(TrainContext ctx) { }
    public virtual void OnTrainEnd(TrainContext ctx) { }
    /// <summary>Always runs last, even when training throws: undo global settings here.</summary>
    public virtual void OnTrainExit(TrainContext ctx) { }
}
