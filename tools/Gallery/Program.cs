using System.Globalization;
using Engine.Cli;
using Engine.Training;

// gallery [OUTDIR] [STEPS]: runs the optimizer gallery (each optimizer at its tuned learning rate), prints the table,
// and writes the labelled ScottPlot figures of the ten best runs (<function>-paths.png, <function>-losses.png; the CLI's
// GalleryFigures, as `engine optimizers`). GALLERY_SWEEP=1 also prints the final value at every rate of the search.
string dir = args.Length > 0 ? args[0] : "gallery";
int steps = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : OptimizerGallery.DefaultSteps;
var runs = OptimizerGallery.RunAll(steps);
foreach (var r in runs)
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| {r.Function} | {r.Optimizer} | {r.Lr:G3} | {(r.Diverged ? "diverged" : r.FinalLoss.ToString("G4", CultureInfo.InvariantCulture))} | ({r.X[^1]:F3}, {r.Y[^1]:F3}) |"));
foreach (var file in GalleryFigures.WriteAll(runs, dir)) Console.WriteLine(file);
if (Environment.GetEnvironmentVariable("GALLERY_SWEEP") == "1")
    foreach (var f in TestFunction.All)
        foreach (var o in OptimizerGallery.Optimizers)
            Console.WriteLine($"{f.Name} {o.Name}: " + string.Join("  ", OptimizerGallery.LrGrid.Select(lr => { var r = OptimizerGallery.Run(f, o, steps, lr); return $"{lr:G2}:{(r.Diverged ? "div" : r.FinalLoss.ToString("G2", CultureInfo.InvariantCulture))}"; })));
