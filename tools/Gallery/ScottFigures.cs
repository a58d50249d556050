using Engine.Training;
using ScottPlot;

namespace Engine.Tools;

/// <summary>Labelled gallery figures with ScottPlot: paths over the heatmap with a legend, and loss curves.</summary>
public static class ScottFigures
{
    private static Color ColorOf(string optimizer)
    {
        int i = Math.Max(0, OptimizerGallery.Optimizers.Select(o => o.Name).ToList().IndexOf(optimizer));
        var (r, g, b) = GalleryPlot.ColorOf(i);
        return new Color(r, g, b);
    }

    /// <summary>Every run's path over log(1 + f); start white, minimum red. Returns the file written.</summary>
    public static string Paths(TestFunction f, IReadOnlyList<Trajectory> runs, string path, int size = 200)
    {
        var plt = new Plot();
        var (x0, x1) = f.XRange; var (y0, y1) = f.YRange;
        var z = new double[size, size];
        for (int j = 0; j < size; j++)          // row 0 = top = y1
            for (int i = 0; i < size; i++)
                z[j, i] = Math.Log(1 + f.Value(x0 + (x1 - x0) * i / (size - 1), y1 - (y1 - y0) * j / (size - 1)));
        var hm = plt.Add.Heatmap(z);
        hm.Extent = new CoordinateRect(x0, x1, y0, y1);
        hm.Colormap = new ScottPlot.Colormaps.Viridis();
        foreach (var r in runs)
        {
            var sc = plt.Add.ScatterLine(r.X, r.Y);
            sc.Color = ColorOf(r.Optimizer);
            sc.LineWidth = 2;
            sc.LegendText = $"{r.Optimizer} (lr {r.Lr:G2}): {(r.Diverged ? "diverged" : r.FinalLoss.ToString("G3", System.Globalization.CultureInfo.InvariantCulture))}";
        }
        var start = plt.Add.Marker(f.Start.X, f.Start.Y, MarkerShape.FilledCircle, 10, Colors.White);
        start.LegendText = "start";
        var min = plt.Add.Marker(f.Minimum.X, f.Minimum.Y, MarkerShape.FilledCircle, 10, Colors.Red);
        min.LegendText = "minimum";
        plt.Axes.SetLimits(x0, x1, y0, y1);
        plt.Title($"{f.Name}: {runs.Max(r => r.Steps)} steps from ({f.Start.X}, {f.Start.Y})");
        plt.ShowLegend(Alignment.LowerRight);
        plt.SavePng(path, 800, 700);
        return path;
    }

    /// <summary>log10 f against the step for every run.</summary>
    public static string Losses(TestFunction f, IReadOnlyList<Trajectory> runs, string path)
    {
        var plt = new Plot();
        foreach (var r in runs)
        {
            var ys = r.Loss.Select(v => Math.Log10(Math.Max(v, 1e-12))).ToArray();
            var sc = plt.Add.ScatterLine(Enumerable.Range(0, ys.Length).Select(i => (double)i).ToArray(), ys);
            sc.Color = ColorOf(r.Optimizer);
            sc.LineWidth = 2;
            sc.LegendText = r.Optimizer;
        }
        plt.Title($"{f.Name}: loss curves");
        plt.XLabel("step");
        plt.YLabel("log10 f(x, y)");
        plt.ShowLegend(Alignment.UpperRight);
        plt.SavePng(path, 800, 500);
        return path;
    }
}
