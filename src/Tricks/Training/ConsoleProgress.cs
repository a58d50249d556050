using System.Diagnostics;
using System.Globalization;

namespace Engine.Training;

/// <summary>
/// Progress on a console without any terminal library: one line per epoch (train loss and accuracy, validation
/// metrics, time, samples/s, time left) and, when the output is a terminal, a line redrawn in place after batches
/// (at most ten times a second). Redirected output gets only the epoch lines, so logs stay clean.
/// <code>new Trainer(model, opt, F.CrossEntropy).With(new ConsoleProgress()).Fit(train, valid, epochs: 10);</code>
/// </summary>
public sealed class ConsoleProgress : ReportProgress
{
    private static readonly CultureInfo Ci = CultureInfo.InvariantCulture;
    private readonly TextWriter _out;
    private readonly bool _redraw;
    private readonly Stopwatch _sinceDraw = new();
    private int _drawn;   // characters of the line now on screen, 0 when none

    /// <param name="output">Where to write; Console.Out by default.</param>
    /// <param name="redraw">Redraw a batch line in place; by default only when output is the console and not redirected.</param>
    public ConsoleProgress(TextWriter? output = null, bool? redraw = null)
    {
        _out = output ?? Console.Out;
        _redraw = redraw ?? (ReferenceEquals(_out, Console.Out) && !Console.IsOutputRedirected);
        Reported += Write;
    }

    /// <summary>The line for an epoch's end (as written).</summary>
    public static string EpochLine(TrainProgress p)
    {
        var s = string.Format(Ci, "epoch {0}/{1}  loss {2:F4}", p.Epoch + 1, p.Epochs, p.Loss);
        if (!double.IsNaN(p.Accuracy)) s += string.Format(Ci, "  acc {0:P2}", p.Accuracy);
        foreach (var (k, v) in p.Validation.Where(kv => kv.Key is "val_loss" or "val_accuracy"))
            s += k == "val_loss" ? string.Format(Ci, "  val_loss {0:F4}", v) : string.Format(Ci, "  val_acc {0:P2}", v);
        s += string.Format(Ci, "  lr {0:G3}  {1:F1} s  {2:F0} samples/s", p.Lr, p.EpochTime.TotalSeconds, p.SamplesPerSecond);
        if (p.Remaining is TimeSpan r && p.Epoch + 1 < p.Epochs) s += "  " + Left(r);
        return s;
    }

    /// <summary>The redrawn line after a batch.</summary>
    public static string BatchLine(TrainProgress p)
    {
        string of = p.BatchesPerEpoch is int n ? string.Format(Ci, "{0}/{1}", p.Batch, n) : p.Batch.ToString(Ci);
        var s = string.Format(Ci, "epoch {0}/{1}  batch {2}  loss {3:F4}", p.Epoch + 1, p.Epochs, of, p.Loss);
        if (!double.IsNaN(p.Accuracy)) s += string.Format(Ci, "  acc {0:P1}", p.Accuracy);
        s += string.Format(Ci, "  {0:F0} samples/s", p.SamplesPerSecond);
        if (p.Remaining is TimeSpan r) s += "  " + Left(r);
        return s;
    }

    private static string Left(TimeSpan r) => r.TotalHours >= 1
        ? string.Format(Ci, "{0}h{1:D2}m left", (int)r.TotalHours, r.Minutes)
        : string.Format(Ci, "{0}m{1:D2}s left", (int)r.TotalMinutes, r.Seconds);

    private void Write(TrainProgress p)
    {
        switch (p.Kind)
        {
            case ProgressKind.Batch when _redraw:
                bool last = p.BatchesPerEpoch is int n && p.Batch >= n;
                if (_drawn > 0 && _sinceDraw.ElapsedMilliseconds < 100 && !last) return;
                Draw(BatchLine(p));
                break;
            case ProgressKind.EpochEnd:
                Clear();
                _out.WriteLine(EpochLine(p));
                break;
            case ProgressKind.TrainEnd:
                Clear();
                _out.WriteLine(string.Format(Ci, "trained {0} epoch{1} in {2:F1} s", p.Epoch + 1 - p.StartEpoch, p.Epoch == p.StartEpoch ? "" : "s", p.RunTime.TotalSeconds));
                break;
        }
        _out.Flush();
    }

    private void Draw(string line)
    {
        _out.Write('\r' + line + (line.Length < _drawn ? new string(' ', _drawn - line.Length) : ""));
        _drawn = line.Length;
        _sinceDraw.Restart();
    }

    private void Clear()
    {
        if (_drawn == 0) return;
        _out.Write('\r' + new string(' ', _drawn) + '\r');
        _drawn = 0;
    }
}
