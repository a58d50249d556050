using System.Globalization;
using Engine.Tools;
using Engine.Training;

// gallery [OUTDIR] [STEPS]: runs the optimizer gallery (each optimizer at its tuned learning rate), prints the table,
// writes the raster PNGs (GalleryPlot, as `engine optimizers`) and labelled ScottPlot figures of the ten best runs
// (<function>-paths.png, <function>-losses.png). GALLERY_SWEEP=1 also prints the final value at every rate of the search.
string dir = args.Length > 0 ? args[0] : "gallery";
int steps = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : OptimizerGallery.DefaultSteps;
var runs = OptimizerGallery.RunAll(steps);
foreach (var r in runs)
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| {r.Function} | {r.Optimizer} | {r.Lr:G3} | {(r.Diverged ? "diverged" : r.FinalLoss.ToString("G4", CultureInfo.InvariantCulture))} | ({r.X[^1]:F3}, {r.Y[^1]:F3}) |"));
var files = GalleryPlot.WriteAll(runs, Path.Combine(dir, "raster"));
Console.WriteLine($"wrote {files.Count} raster images to {Path.Combine(dir, "raster")}");
foreach (var f in TestFunction.All)
{
    var mine = OptimizerGallery.Ranking(runs, f).Take(10).ToList();
    Console.WriteLine(ScottFigures.Paths(f, mine, Path.Combine(dir, $"{f.Name}-paths.png")));
    Console.WriteLine(ScottFigures.Losses(f, mine, Path.Combine(dir, $"{f.Name}-losses.png")));
}
if (Environment.GetEnvironmentVariable("GALLERY_SWEEP") == "1")
    foreach (var f in TestFunction.All)
        foreach (var o in OptimizerGallery.Optimizers)
            Console.WriteLine($"{f.Name} {o.Name}: " + string.Join("  ", OptimizerGallery.LrGrid.Select(lr => { var r = OptimizerGallery.Run(f, o, steps, lr); return $"{lr:G2}:{(r.Diverged ? "div" : r.FinalLoss.ToString("G2", CultureInfo.InvariantCulture))}"; })));
