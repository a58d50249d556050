using System.Globalization;
using Engine.Training;
using ScottPlot;

namespace Engine.Cli;

/// <summary>
/// The gallery's grid image, drawn with ScottPlot: one small panel per optimizer (ranked by final f), its path over
/// the function's log(1 + f) heatmap, titled with its name, tuned learning rate and final f.
/// </summary>
public static class GalleryGrid
{
    public const int Columns = 6, PanelSize = 260;

    /// <summary>Writes the grid of the runs on f to path and returns it.</summary>
    public static string Write(TestFunction f, IReadOnlyList<Trajectory> runs, string path)
    {
        var ranked = OptimizerGallery.Ranking(runs, f);
        if (ranked.Count == 0) throw new ArgumentException($"gallery grid: no runs on {f.Name}");
        int rows = (ranked.Count + Columns - 1) / Columns;
        var heat = Heatmap(f, 120);
        var mp = new Multiplot();
        mp.AddPlots(ranked.Count);
        mp.Layout = new ScottPlot.MultiplotLayouts.Grid(rows, Columns);
        for (int i = 0; i < ranked.Count; i++)
        {
            var r = ranked[i];
            var plt = mp.GetPlot(i);
            var hm = plt.Add.Heatmap(heat);
            hm.Extent = new CoordinateRect(f.XRange.Min, f.XRange.Max, f.YRange.Min, f.YRange.Max);
            hm.Colormap = new ScottPlot.Colormaps.Viridis();
            var line = plt.Add.ScatterLine(r.X, r.Y);
            line.Color = Colors.White;
            line.LineWidth = 1.5f;
            plt.Add.Marker(f.Start.X, f.Start.Y, MarkerShape.FilledCircle, 6, Colors.White);
            plt.Add.Marker(f.Minimum.X, f.Minimum.Y, MarkerShape.FilledCircle, 6, Colors.Red);
            plt.Add.Marker(r.X[^1], r.Y[^1], MarkerShape.FilledSquare, 6, Colors.Orange);
            plt.Axes.SetLimits(f.XRange.Min, f.XRange.Max, f.YRange.Min, f.YRange.Max);
            plt.Title($"{i + 1}. {r.Optimizer}  lr {r.Lr.ToString("G2", CultureInfo.InvariantCulture)}\nf = {Final(r)}", size: 11);
            plt.Axes.Bottom.TickLabelStyle.FontSize = 8;
            plt.Axes.Left.TickLabelStyle.FontSize = 8;
        }
        var dir = Path.GetDirectoryName(Path.GetFullPath(path));
        if (dir != null) Directory.CreateDirectory(dir);
        mp.SavePng(path, Columns * PanelSize, rows * PanelSize);
        return path;
    }

    /// <summary>The final f as the table prints it.</summary>
    public static string Final(Trajectory r) => r.Diverged ? "diverged" : r.FinalLoss.ToString("G3", CultureInfo.InvariantCulture);

    private static double[,] Heatmap(TestFunction f, int size)
    {
        var (x0, x1) = f.XRange; var (y0, y1) = f.YRange;
        var z = new double[size, size];
        for (int j = 0; j < size; j++)          // row 0 = top = y1
            for (int i = 0; i < size; i++)
                z[j, i] = Math.Log(1 + f.Value(x0 + (x1 - x0) * i / (size - 1), y1 - (y1 - y0) * j / (size - 1)));
        return z;
    }
}
