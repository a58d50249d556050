namespace Engine.Training;

/// <summary>
/// NaN/Inf guard: turns on autograd's anomaly detection for the run, so the first op whose output
/// holds a NaN or Inf throws an <see cref="AnomalyException"/> naming that op (and the epoch and batch).
/// It checks every op's output, which costs a copy per op: use it to find a problem, not for every run.
/// </summary>
public sealed class AnomalyGuard : Callback
{
    private bool _was;

    public override void OnTrainStart(TrainContext ctx) { _was = Autograd.DetectAnomaly; Autograd.DetectAnomaly = true; }
    public override void OnTrainExit(TrainContext ctx) => Autograd.DetectAnomaly = _was;
}
