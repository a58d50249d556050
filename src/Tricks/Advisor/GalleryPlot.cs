namespace Engine.Training;

/// <summary>
/// Draws the optimizer gallery with <see cref="Canvas"/> (no plotting library): each path over a
/// heatmap of log(1 + f), and the loss curves (log scale) of all optimizers on one function.
/// Plots carry no text; <see cref="Palette"/> gives each optimizer's colour for the legend.
/// </summary>
public static class GalleryPlot
{
    /// <summary>Line colours, one per optimizer in <see cref="OptimizerGallery.Optimizers"/> order.</summary>
    public static IReadOnlyList<(string Name, (byte R, byte G, byte B) Rgb)> Palette { get; } =
    [
        ("red", (230, 25, 75)), ("orange", (245, 130, 48)), ("yellow", (255, 225, 25)), ("green", (60, 180, 75)),
        ("cyan", (70, 240, 240)), ("blue", (0, 130, 200)), ("magenta", (240, 50, 230)), ("lime", (210, 245, 60)),
        ("pink", (250, 190, 212)), ("teal", (0, 128, 128)), ("lavender", (220, 190, 255)), ("brown", (170, 110, 40)),
        ("beige", (255, 250, 200)), ("maroon", (128, 0, 0)), ("mint", (170, 255, 195)), ("olive", (128, 128, 0)),
        ("apricot", (255, 215, 180)), ("navy", (0, 0, 128)), ("grey", (128, 128, 128)), ("white", (255, 255, 255)),
    ];

    public static (byte R, byte G, byte B) ColorOf(int optimizerIndex) => Palette[optimizerIndex % Palette.Count].Rgb;

    // viridis at 0, 0.25, 0.5, 0.75, 1
    private static readonly (double R, double G, double B)[] Viridis = [(68, 1, 84), (59, 82, 139), (33, 145, 140), (94, 201, 98), (253, 231, 37)];

    private static (byte, byte, byte) Colormap(double t)
    {
        t = Math.Clamp(double.IsFinite(t) ? t : 1, 0, 1) * (Viridis.Length - 1);
        int i = Math.Min((int)t, Viridis.Length - 2);
        double u = t - i;
        var (a, b) = (Viridis[i], Viridis[i + 1]);
        return ((byte)(a.R + u * (b.R - a.R)), (byte)(a.G + u * (b.G - a.G)), (byte)(a.B + u * (b.B - a.B)));
    }

    /// <summary>
    /// The function's heatmap (log(1 + f), dark = low) over its window, the given paths in their
    /// colours, the start as a white dot and the minimum as a red dot.
    /// </summary>
    public static Canvas Paths(TestFunction f, IReadOnlyList<(Trajectory Run, (byte, byte, byte) Color)> runs, int size = 400)
    {
        var c = new Canvas(size, size, (0, 0, 0));
        var (x0, x1) = f.XRange; var (y0, y1) = f.YRange;
        double Px(double x) => (x - x0) / (x1 - x0) * (size - 1);
        double Py(double y) => (y1 - y) / (y1 - y0) * (size - 1);   // y up
        var grid = new double[size * size];
        double lo = double.MaxValue, hi = double.MinValue;
        for (int j = 0; j < size; j++)
            for (int i = 0; i < size; i++)
            {
                double v = Math.Log(1 + f.Value(x0 + (x1 - x0) * i / (size - 1), y1 - (y1 - y0) * j / (size - 1)));
                grid[j * size + i] = v; lo = Math.Min(lo, v); hi = Math.Max(hi, v);
            }
        for (int j = 0; j < size; j++)
            for (int i = 0; i < size; i++) c.Set(i, j, Colormap((grid[j * size + i] - lo) / (hi - lo)));
        foreach (var (run, color) in runs)
            for (int k = 1; k < run.X.Length; k++)
                c.Line(Px(run.X[k - 1]), Py(run.Y[k - 1]), Px(run.X[k]), Py(run.Y[k]), color, radius: 1);
        c.Dot(Px(f.Start.X), Py(f.Start.Y), 4, (255, 255, 255));
        c.Dot(Px(f.Minimum.X), Py(f.Minimum.Y), 4, (255, 0, 0));
        return c;
    }

    /// <summary>Loss curves: step on x, log10(f) on y between the runs' smallest and largest values, with a grey line per decade.</summary>
    public static Canvas LossCurves(IReadOnlyList<(Trajectory Run, (byte, byte, byte) Color)> runs, int width = 600, int height = 400)
    {
        var c = new Canvas(width, height, (255, 255, 255));
        const double Floor = 1e-12;
        var logs = runs.SelectMany(r => r.Run.Loss).Where(double.IsFinite).Select(v => Math.Log10(Math.Max(v, Floor))).ToList();
        if (logs.Count == 0) return c;
        double lo = Math.Floor(logs.Min()), hi = Math.Ceiling(logs.Max());
        if (hi <= lo) hi = lo + 1;
        int steps = Math.Max(1, runs.Max(r => r.Run.Steps));
        const int M = 10;   // margin in pixels
        double Px(double k) => M + k / steps * (width - 2 * M);
        double Py(double v) => M + (hi - Math.Log10(Math.Max(v, Floor))) / (hi - lo) * (height - 2 * M);
        for (double d = lo; d <= hi; d++) c.Line(M, M + (hi - d) / (hi - lo) * (height - 2 * M), width - M, M + (hi - d) / (hi - lo) * (height - 2 * M), (220, 220, 220));
        c.Line(M, height - M, width - M, height - M, (0, 0, 0));
        c.Line(M, M, M, height - M, (0, 0, 0));
        foreach (var (run, color) in runs)
            for (int k = 1; k < run.Loss.Length; k++)
                c.Line(Px(k - 1), Py(run.Loss[k - 1]), Px(k), Py(run.Loss[k]), color, radius: 1);
        return c;
    }

    /// <summary>
    /// Writes the whole gallery into dir: &lt;function&gt;-&lt;optimizer&gt;.png (one path), &lt;function&gt;-all.png
    /// (the ten best paths) and &lt;function&gt;-loss.png (their loss curves). Returns the files written.
    /// </summary>
    public static List<string> WriteAll(IReadOnlyList<Trajectory> runs, string dir)
    {
        Directory.CreateDirectory(dir);
        var files = new List<string>();
        var names = OptimizerGallery.Optimizers.Select(o => o.Name).ToList();
        (byte, byte, byte) Col(Trajectory t) => ColorOf(Math.Max(0, names.IndexOf(t.Optimizer)));
        foreach (var f in TestFunction.All)
        {
            var mine = runs.Where(r => r.Function == f.Name).Select(r => (r, Col(r))).ToList();
            if (mine.Count == 0) continue;
            foreach (var one in mine)
                files.Add(Save(Paths(f, [one]), Path.Combine(dir, $"{f.Name}-{one.r.Optimizer.ToLowerInvariant()}.png")));
            // the combined picture keeps to the ten best runs, or the paths hide each other
            mine = mine.OrderBy(m => m.r.FinalLoss).Take(10).ToList();
            files.Add(Save(Paths(f, mine), Path.Combine(dir, $"{f.Name}-all.png")));
            files.Add(Save(LossCurves(mine), Path.Combine(dir, $"{f.Name}-loss.png")));
        }
        return files;
    }

    private static string Save(Canvas c, string path) { c.Save(path); return path; }
}
