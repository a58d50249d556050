using System.Globalization;
using Engine.Training;
using Spectre.Console;

namespace Engine.Cli;

/// <summary>
/// The CLI's view of the library's progress events (<see cref="ReportProgress"/>): a Spectre.Console progress bar on
/// an interactive terminal (<see cref="Live"/>), else plain lines: a few per epoch and one at each epoch's end.
/// Everything it shows comes from the <see cref="TrainProgress"/> reports an app would get.
/// </summary>
public sealed class ProgressReporter : ReportProgress
{
    private static readonly CultureInfo Ci = CultureInfo.InvariantCulture;
    private readonly TextWriter _out;
    private readonly int _batchesPerEpoch;
    private ProgressTask? _task;

    public ProgressReporter(TextWriter output, int batchesPerEpoch)
    {
        _out = output; _batchesPerEpoch = Math.Max(1, batchesPerEpoch);
        Reported += Show;
    }

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

    private void Show(TrainProgress p)
    {
        if (p.Kind == ProgressKind.Batch) ShowBatch(p);
        else if (p.Kind == ProgressKind.EpochEnd) ShowEpoch(p);
    }

    private void ShowBatch(TrainProgress p)
    {
        string status = string.Format(Ci, "epoch {0}/{1}  loss {2:F4}  acc {3:P1}  lr {4:G3}  {5:F0} samples/s",
            p.Epoch + 1, p.Epochs, p.Loss, p.Accuracy, p.Lr, p.SamplesPerSecond);
        int n = p.BatchesPerEpoch ?? _batchesPerEpoch;
        if (_task != null)
        {
            _task.Description = Markup.Escape(status);
            _task.Increment(1);
        }
        else if (p.Batch % Math.Max(1, n / 4) == 0 && p.Batch < n)
        {
            double eta = (n - p.Batch) * p.EpochTime.TotalSeconds / p.Batch;
            _out.WriteLine(string.Format(Ci, "  {0}  batch {1}/{2}  ETA {3:F0} s", status, p.Batch, n, eta));
        }
    }

    private void ShowEpoch(TrainProgress p)
    {
        var v = p.Validation;
        var line = string.Format(Ci, "epoch {0,3}/{1}  train loss {2:F4} acc {3:P2}  test loss {4:F4} acc {5:P2}  lr {6:G3}  {7:F1} s, {8:F0} train samples/s, ETA {9:F0} s",
            p.Epoch + 1, p.Epochs, p.Loss, p.Accuracy,
            v.GetValueOrDefault("val_loss", double.NaN), v.GetValueOrDefault("val_accuracy", double.NaN),
            p.Lr, p.EpochTime.TotalSeconds, p.SamplesPerSecond, p.Remaining?.TotalSeconds ?? 0);
        EpochLines.Add(line);
        if (_task != null) AnsiConsole.MarkupLine(Markup.Escape(line));
        else _out.WriteLine(line);
    }
}
