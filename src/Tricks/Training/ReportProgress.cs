using System.Diagnostics;

namespace Engine.Training;

/// <summary>
/// Reports progress from the <see cref="Trainer"/>: a <see cref="TrainProgress"/> at the start, after every batch,
/// after every epoch and at the end, to an <see cref="IProgress{T}"/> and to the <see cref="Reported"/> event. Both
/// run on the training thread, between batches: keep them short (a UI posts to its own thread, as
/// <see cref="Progress{T}"/> does). <code>trainer.With(new ReportProgress(new Progress&lt;TrainProgress&gt;(p => bar.Value = p.Fraction ?? 0)))</code>
/// </summary>
public class ReportProgress : Callback
{
    private readonly IProgress<TrainProgress>? _sink;
    private readonly Stopwatch _epochClock = new(), _runClock = new();
    private double _lossSum, _trainSeconds;
    private long _samples;
    private int _batches, _epochsDone;

    public ReportProgress(IProgress<TrainProgress>? progress = null) { _sink = progress; }

    /// <summary>Raised with every report (after the IProgress given to the constructor).</summary>
    public event Action<TrainProgress>? Reported;

    public override void OnTrainStart(TrainContext ctx)
    {
        _runClock.Restart(); _epochClock.Restart();
        _epochsDone = 0; Reset();
        Emit(ctx, ProgressKind.TrainStart, new Dictionary<string, double>());
    }

    public override void OnEpochStart(TrainContext ctx) { _epochClock.Restart(); Reset(); }

    public override void OnBatchEnd(TrainContext ctx)
    {
        long b = ctx.Output.Rank > 0 ? ctx.Output.Shape[0] : 1;
        _samples += b; _batches++;
        _lossSum += ctx.LossValue * (double)b;
        Emit(ctx, ProgressKind.Batch, new Dictionary<string, double>());
    }

    public override void OnValidationStart(TrainContext ctx) => _trainSeconds = _epochClock.Elapsed.TotalSeconds;

    public override void OnEpochEnd(TrainContext ctx)
    {
        _epochsDone++;
        Emit(ctx, ProgressKind.EpochEnd, ctx.ValidationMetrics);
    }

    public override void OnTrainEnd(TrainContext ctx) => Emit(ctx, ProgressKind.TrainEnd, ctx.ValidationMetrics);

    private void Reset() { _lossSum = 0; _samples = 0; _batches = 0; _trainSeconds = 0; }

    private void Emit(TrainContext ctx, ProgressKind kind, IReadOnlyDictionary<string, double> validation)
    {
        var epochTime = _epochClock.Elapsed;
        double trainSecs = _trainSeconds > 0 ? _trainSeconds : epochTime.TotalSeconds;
        var m = ctx.EpochMetrics;
        var p = new TrainProgress(kind, ctx.Epoch, ctx.Epochs, ctx.StartEpoch, _batches, ctx.BatchesPerEpoch, _samples,
            _samples == 0 ? double.NaN : _lossSum / _samples, m.Samples == 0 ? double.NaN : m.Accuracy,
            ctx.Optimizer.ParamGroups[0].Lr, epochTime, _runClock.Elapsed,
            trainSecs > 0 ? _samples / trainSecs : 0, Remaining(ctx, kind), validation);
        _sink?.Report(p);
        Reported?.Invoke(p);
    }

    // Remaining time: the finished epochs' mean length for the epochs left, and within an epoch the time per batch
    // for its batches left (the first epoch, before any epoch has ended, is estimated from its batches alone).
    private TimeSpan? Remaining(TrainContext ctx, ProgressKind kind)
    {
        if (kind == ProgressKind.TrainEnd) return TimeSpan.Zero;
        int epochsLeft = ctx.Epochs - ctx.Epoch - 1;   // after the current one
        if (kind == ProgressKind.EpochEnd)
            return _epochsDone == 0 ? null : TimeSpan.FromSeconds(epochsLeft * _runClock.Elapsed.TotalSeconds / _epochsDone);
        if (kind != ProgressKind.Batch || _batches == 0 || ctx.BatchesPerEpoch is not int n) return null;
        double perBatch = _epochClock.Elapsed.TotalSeconds / _batches;
        double epochSecs = _epochsDone > 0 ? (_runClock.Elapsed.TotalSeconds - _epochClock.Elapsed.TotalSeconds) / _epochsDone : perBatch * n;
        return TimeSpan.FromSeconds(Math.Max(0, n - _batches) * perBatch + epochsLeft * epochSecs);
    }
}
