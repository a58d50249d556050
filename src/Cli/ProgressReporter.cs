using System.Diagnostics;
using System.Globalization;
using Engine.Training;
using Spectre.Console;

namespace Engine.Cli;

/// <summary>
/// Live progress of a run: loss and accuracy of the epoch so far, learning rate, samples/s and ETA.
/// <see cref="Live"/> draws a Spectre.Console progress bar on an interactive terminal; otherwise
/// (output redirected, tests) it writes plain lines: a few per epoch and one at each epoch's end.
/// </summary>
public sealed class ProgressReporter : Callback
{
    private static readonly CultureInfo Ci = CultureInfo.InvariantCulture;
    private readonly TextWriter _out;
    private readonly int _batchesPerEpoch;
    private readonly Stopwatch _epochClock = new(), _runClock = new();
    private long _samples, _correct;
    private double _lossSum;
    private int _batches, _epochsThisRun;
    private double _trainSeconds;   // the epoch's training time, without the validation pass
    private ProgressTask? _task;

    public ProgressReporter(TextWriter output, int batchesPerEpoch) { _out = output; _batchesPerEpoch = Math.Max(1, batchesPerEpoch); }

    /// <summary>Lines of the per-epoch log, also shown above the live bar.</summary>
    public List<string> EpochLines { get; } = new();

    /// <summary>True when stdout is a terminal the live bar can draw on.</summary>
    public static bool CanDrawLive(TextWriter output) =>
        ReferenceEquals(output, Console.Out) && !Console.IsOutputRedirected && AnsiConsole.Profile.Capabilities.Interactive;

    /// <summary>Runs <paramref name="fit"/> under a live Spectre.Console progress bar.</summary>
    public T Live<T>(int epochs, int startEpoch, Func<T> fit)
    {
        T result = default!;
        AnsiConsole.Progress()
            .AutoClear(false)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn(), new SpinnerColumn())
            .Start(p =>
            {
                _task = p.AddTask("training", maxValue: (double)(epochs - startEpoch) * _batchesPerEpoch);
                result = fit();
                _task.Value = _task.MaxValue;
            });
        _task = null;
        return result;
    }

    public override void OnTrainStart(TrainContext ctx) => _runClock.Restart();

    public override void OnEpochStart(TrainContext ctx)
    {
        _epochClock.Restart();
        _samples = _correct = 0; _lossSum = 0; _batches = 0; _trainSeconds = 0;
    }

    public override void OnBatchEnd(TrainContext ctx)
    {
        int b = ctx.Output.Shape[0];
        _samples += b; _batches++;
        _lossSum += ctx.LossValue * b;
        using (Tensor.NoGrad())
        {
            var target = ctx.Y.Rank == 2 ? ctx.Y.Argmax(1) : ctx.Y;
            _correct += (long)ctx.Output.Argmax(1).Eq(target.ToDType(DType.Int32)).Sum().Item();
        }
        double sps = _samples / Math.Max(1e-9, _epochClock.Elapsed.TotalSeconds);
        string status = string.Format(Ci, "epoch {0}/{1}  loss {2:F4}  acc {3:P1}  lr {4:G3}  {5:F0} samples/s",
            ctx.Epoch + 1, ctx.Epochs, _lossSum / _samples, (double)_correct / _samples, ctx.Optimizer.ParamGroups[0].Lr, sps);
        if (_task != null)
        {
            _task.Description = Markup.Escape(status);
            _task.Increment(1);
        }
        else if (_batches % Math.Max(1, _batchesPerEpoch / 4) == 0 && _batches < _batchesPerEpoch)
        {
            double eta = (_batchesPerEpoch - _batches) * _epochClock.Elapsed.TotalSeconds / _batches;
            _out.WriteLine(string.Format(Ci, "  {0}  batch {1}/{2}  ETA {3:F0} s", status, _batches, _batchesPerEpoch, eta));
        }
    }

    public override void OnValidationStart(TrainContext ctx) => _trainSeconds = _epochClock.Elapsed.TotalSeconds;

    public override void OnEpochEnd(TrainContext ctx)
    {
        _epochsThisRun++;
        double secs = _epochClock.Elapsed.TotalSeconds, trainSecs = _trainSeconds > 0 ? _trainSeconds : secs;
        var v = ctx.ValidationMetrics;
        double remaining = (ctx.Epochs - ctx.Epoch - 1) * _runClock.Elapsed.TotalSeconds / _epochsThisRun;
        var line = string.Format(Ci, "epoch {0,3}/{1}  train loss {2:F4} acc {3:P2}  test loss {4:F4} acc {5:P2}  lr {6:G3}  {7:F1} s, {8:F0} train samples/s, ETA {9:F0} s",
            ctx.Epoch + 1, ctx.Epochs, _samples == 0 ? double.NaN : _lossSum / _samples, _samples == 0 ? double.NaN : (double)_correct / _samples,
            v.GetValueOrDefault("val_loss", double.NaN), v.GetValueOrDefault("val_accuracy", double.NaN),
            ctx.Optimizer.ParamGroups[0].Lr, secs, _samples / Math.Max(1e-9, trainSecs), remaining);
        EpochLines.Add(line);
        if (_task != null) AnsiConsole.MarkupLine(Markup.Escape(line));
        else _out.WriteLine(line);
    }
}
