using System.Globalization;
using Engine.Training;

// gallery [OUTDIR] [STEPS]: runs the optimizer gallery, prints the table, writes the PNGs.
string dir = args.Length > 0 ? args[0] : "gallery";
int steps = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : OptimizerGallery.DefaultSteps;
var runs = OptimizerGallery.RunAll(steps);
foreach (var r in runs)
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{r.Function,-11} {r.Optimizer,-13} lr {r.Lr,-8:G3} final {(r.Diverged ? "diverged" : r.FinalLoss.ToString("G4", CultureInfo.InvariantCulture)),-10} at ({r.X[^1]:F3}, {r.Y[^1]:F3}) after {r.Steps} steps"));
var files = GalleryPlot.WriteAll(runs, dir);
Console.WriteLine($"wrote {files.Count} raster images to {dir}");
if (Environment.GetEnvironmentVariable("GALLERY_SWEEP") == "1")
    foreach (var f in TestFunction.All)
        foreach (var o in OptimizerGallery.Optimizers)
            Console.WriteLine($"{f.Name} {o.Name}: " + string.Join("  ", new[] { 1e-4, 3e-4, 1e-3, 3e-3, 1e-2, 3e-2, 0.1, 0.3, 1.0 }.Select(lr => { var r = OptimizerGallery.Run(f, o, steps, lr); return $"{lr:G2}:{(r.Diverged ? "div" : r.FinalLoss.ToString("G2", CultureInfo.InvariantCulture))}"; })));
