using Engine.Training;
using ScottPlot;

namespace Engine.Cli;

/// <summary>
/// Labelled gallery figures with ScottPlot: the ten best paths over the heatmap with a legend, and their loss curves.
/// The library computes the runs (<see cref="OptimizerGallery"/>); drawing is the CLI's, with the one plotting
/// library of the repository.
/// </summary>
public static class GalleryFigures
{
    /// <summary>Line colours (Sasha Trubetskoy's 20 distinct colours), one per optimizer in <see cref="OptimizerGallery.Optimizers"/> order.</summary>
    public static IReadOnlyList<Color> Palette { get; } =
    [
        new(230, 25, 75), new(245, 130, 48), new(255, 225, 25), new(60, 180, 75), new(70, 240, 240),
        new(0, 130, 200), new(240, 50, 230), new(210, 245, 60), new(250, 190, 212), new(0, 128, 128),
        new(220, 190, 255), new(170, 110, 40), new(255, 250, 200), new(128, 0, 0), new(170, 255, 195),
        new(128, 128, 0), new(255, 215, 180), new(0, 0, 128), new(128, 128, 128), new(255, 255, 255),
    ];

    /// <summary>The optimizer's colour: its place in the zoo's order, modulo the palette.</summary>
    public static Color ColorOf(string optimizer)
    {
        int i = Math.Max(0, OptimizerGallery.Optimizers.Select(o => o.Name).ToList().IndexOf(optimizer));
        return Palette[i % Palette.Count];
    }

    /// <summary>Writes <c>&lt;function&gt;-paths.png</c> and <c>&lt;function&gt;-losses.png</c> of the ten best runs on each function; returns the files.</summary>
    public static List<string> WriteAll(IReadOnlyList<Trajectory> runs, string dir, int best = 10)
    {
        Directory.CreateDirectory(dir);
        var files = new List<string>();
        foreach (var f in TestFunction.All)
        {
            var top = OptimizerGallery.Ranking(runs, f).Take(best).ToList();
            if (top.Count == 0) continue;
            files.Add(Paths(f, top, Path.Combine(dir, $"{f.Name}-paths.png")));
            files.Add(Losses(f, top, Path.Combine(dir, $"{f.Name}-losses.png")));
        }
        return files;
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
