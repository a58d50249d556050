using System.Globalization;
using Engine.Training;

namespace Engine.Cli;

/// <summary>
/// `engine optimizers [--out DIR] [--steps N]`: the optimizer gallery. Runs SGD, SGD+momentum, Adam,
/// AdamW, AdaBound, AMSBound and RMSprop on Rosenbrock and Rastrigin from the same start
/// (<see cref="OptimizerGallery"/>), writes the path and loss-curve PNGs (<see cref="GalleryPlot"/>)
/// into DIR (default "gallery") and prints each run's final value.
/// </summary>
public static class OptimizersCommand
{
    public static int Run(string[] args, TextWriter stdout)
    {
        string dir = "gallery";
        int steps = OptimizerGallery.DefaultSteps;
        for (int i = 0; i < args.Length; i++)
        {
            string Next() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"optimizers: {args[i]} needs a value");
            switch (args[i])
            {
                case "--out": dir = Next(); break;
                case "--steps":
                    var s = Next();
                    if (!int.TryParse(s, NumberStyles.Integer, CultureInfo.InvariantCulture, out steps) || steps <= 0)
                        throw new ArgumentException($"optimizers: --steps must be a positive integer, got '{s}'");
                    break;
                case "-h" or "--help":
                    stdout.WriteLine("usage: engine optimizers [--out DIR] [--steps N]   (writes the gallery PNGs into DIR, default 'gallery')");
                    return 0;
                default: throw new ArgumentException($"optimizers: unknown option '{args[i]}' (expected --out DIR, --steps N)");
            }
        }
        var runs = OptimizerGallery.RunAll(steps);
        stdout.WriteLine($"{"function",-11} {"optimizer",-13} {"lr",8} {"final f",12} {"final (x, y)",20}  colour");
        var names = OptimizerGallery.Optimizers.Select(o => o.Name).ToList();
        foreach (var r in runs)
            stdout.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{r.Function,-11} {r.Optimizer,-13} {r.Lr,8:G3} {(r.Diverged ? "diverged" : r.FinalLoss.ToString("G4", CultureInfo.InvariantCulture)),12} {$"({r.X[^1]:F3}, {r.Y[^1]:F3})",20}  {GalleryPlot.Palette[names.IndexOf(r.Optimizer) % GalleryPlot.Palette.Count].Name}"));
        var files = GalleryPlot.WriteAll(runs, dir);
        stdout.WriteLine($"wrote {files.Count} images to {Path.GetFullPath(dir)}");
        return 0;
    }
}
