using Engine.Training;

namespace Engine.Cli;

/// <summary>PNG charts of a run, drawn with ScottPlot (SkiaSharp, headless).</summary>
public static class Plots
{
    public const int Width = 800, Height = 500;

    /// <summary>loss.png (train/test loss), accuracy.png (train/test accuracy), lr.png (learning rate per step); returns the files written.</summary>
    public static List<string> WriteHistory(History h, string dir)
    {
        var files = new List<string>();
        void Epochs(string file, string title, string ylabel, params (string key, string label)[] series)
        {
            var plt = new ScottPlot.Plot();
            int drawn = 0;
            foreach (var (key, label) in series)
            {
                if (!h.Epochs.TryGetValue(key, out var ys) || ys.Count == 0) continue;
                var xs = Enumerable.Range(1, ys.Count).Select(i => (double)i).ToArray();
                var sc = plt.Add.Scatter(xs, ys.ToArray());
                sc.LegendText = label;
                drawn++;
            }
            if (drawn == 0) return;
            plt.Title(title); plt.XLabel("epoch"); plt.YLabel(ylabel); plt.ShowLegend();
            var path = Path.Combine(dir, file);
            plt.SavePng(path, Width, Height);
            files.Add(path);
        }
        Epochs("loss.png", "loss", "cross-entropy", ("train_loss", "train"), ("val_loss", "test"));
        Epochs("accuracy.png", "accuracy", "accuracy", ("train_accuracy", "train"), ("val_accuracy", "test"));
        if (h.Steps.TryGetValue("lr", out var lr) && lr.Count > 0)
            files.Add(Curve(Path.Combine(dir, "lr.png"), "learning rate", "step", "learning rate", lr.ToArray()));
        return files;
    }

    /// <summary>One curve over steps (the learning rate, a loss curve).</summary>
    public static string Curve(string path, string title, string xlabel, string ylabel, IReadOnlyList<double> ys)
    {
        var plt = new ScottPlot.Plot();
        var xs = Enumerable.Range(0, ys.Count).Select(i => (double)i).ToArray();
        var finite = ys.Select(y => double.IsFinite(y) ? y : double.NaN).ToArray();
        var sc = plt.Add.Scatter(xs, finite);
        sc.MarkerSize = 0;
        plt.Title(title); plt.XLabel(xlabel); plt.YLabel(ylabel);
        plt.SavePng(path, Width, Height);
        return path;
    }
}
