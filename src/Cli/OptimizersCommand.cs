using System.Globalization;
using System.Text;
using Engine.Training;
using Spectre.Console;

namespace Engine.Cli;

/// <summary>
/// `engine optimizers [--out DIR] [--steps N] [--only a,b] [--list]`: the optimizer gallery. Runs every optimizer of
/// the zoo (and SGD with momentum) on Rosenbrock and Rastrigin from the same start, each at the learning rate a
/// small search finds (<see cref="OptimizerGallery"/>), prints a table per function ranking them by final f, and
/// writes into DIR (default "gallery"): &lt;function&gt;-grid.png (every path, ranked), ranking.md (the tables) and the
/// the labelled figures of the ten best (<see cref="GalleryFigures"/>). With --list: the names, papers and defaults, and nothing is run.
/// </summary>
public static class OptimizersCommand
{
    private static readonly CultureInfo Ci = CultureInfo.InvariantCulture;

    public const string Help = "usage: engine optimizers [--out DIR] [--steps N] [--only NAME,NAME] [--list]\n" +
        "  runs the gallery (every optimizer at its tuned lr on Rosenbrock and Rastrigin) and writes DIR/<function>-grid.png,\n" +
        "  DIR/ranking.md and the raster images (DIR defaults to 'gallery', N to " + "500" + "); --list prints names, papers and defaults";

    public static int Run(string[] args, TextWriter stdout)
    {
        string dir = "gallery";
        int steps = OptimizerGallery.DefaultSteps;
        bool list = false;
        List<OptimizerGallery.Entry>? only = null;
        for (int i = 0; i < args.Length; i++)
        {
            string Next() => i + 1 < args.Length ? args[++i] : throw new UsageException($"optimizers: {args[i]} needs a value");
            switch (args[i])
            {
                case "--out": dir = Next(); break;
                case "--steps":
                    var s = Next();
                    if (!int.TryParse(s, NumberStyles.Integer, Ci, out steps) || steps <= 0)
                        throw new UsageException($"optimizers: --steps must be a positive integer, got '{s}'");
                    break;
                case "--only":
                    only = [];
                    foreach (var name in Next().Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
                    {
                        var e = OptimizerGallery.Optimizers.FirstOrDefault(o => o.Name == name.ToLowerInvariant())
                            ?? throw new UsageException($"optimizers: --only: unknown optimizer '{name}'; choose from {string.Join(", ", OptimizerGallery.Optimizers.Select(o => o.Name))}");
                        only.Add(e);
                    }
                    break;
                case "--list": list = true; break;
                case "-h" or "--help": stdout.WriteLine(Help); return 0;
                default: throw new UsageException($"optimizers: unknown option '{args[i]}' (expected --out DIR, --steps N, --only NAME,..., --list)");
            }
        }
        if (list) { List(stdout); return 0; }

        stdout.WriteLine($"engine optimizers: {(only ?? OptimizerGallery.Optimizers).Count} optimizers x {TestFunction.All.Count} functions x {OptimizerGallery.LrGrid.Count} learning rates, {steps} steps each");
        var runs = OptimizerGallery.RunAll(steps, only);
        var md = new StringBuilder();
        var files = new List<string>();
        foreach (var f in TestFunction.All)
        {
            var ranked = OptimizerGallery.Ranking(runs, f);
            var table = new Table().Title($"{f.Name}: {steps} steps from ({f.Start.X.ToString(Ci)}, {f.Start.Y.ToString(Ci)}), minimum 0 at ({f.Minimum.X.ToString(Ci)}, {f.Minimum.Y.ToString(Ci)})")
                .AddColumn("rank").AddColumn("optimizer").AddColumn(new TableColumn("tuned lr").RightAligned())
                .AddColumn(new TableColumn("final f").RightAligned()).AddColumn(new TableColumn("final (x, y)").RightAligned());
            md.AppendLine($"### {f.Name}, {steps} steps").AppendLine().AppendLine("| rank | optimizer | tuned lr | final f | final (x, y) |").AppendLine("|---:|---|---:|---:|---:|");
            for (int i = 0; i < ranked.Count; i++)
            {
                var r = ranked[i];
                string lr = r.Lr.ToString("G2", Ci), final = GalleryGrid.Final(r), at = string.Create(Ci, $"({r.X[^1]:F3}, {r.Y[^1]:F3})");
                table.AddRow((i + 1).ToString(Ci), r.Optimizer, lr, final, at);
                md.AppendLine($"| {i + 1} | {r.Optimizer} | {lr} | {final} | {at} |");
            }
            md.AppendLine();
            TrainCommand.Render(stdout, table);
            files.Add(GalleryGrid.Write(f, runs, Path.Combine(dir, $"{f.Name}-grid.png")));
        }
        Directory.CreateDirectory(dir);
        var ranking = Path.Combine(dir, "ranking.md");
        File.WriteAllText(ranking, md.ToString());
        files.Add(ranking);
        files.AddRange(GalleryFigures.WriteAll(runs, dir));
        stdout.WriteLine($"wrote {files.Count} files to {Path.GetFullPath(dir)} (the grids: {string.Join(", ", TestFunction.All.Select(f => f.Name + "-grid.png"))})");
        return 0;
    }

    /// <summary>Every optimizer of the zoo: name, paper, defaults and the closure it needs.</summary>
    public static void List(TextWriter stdout)
    {
        var table = new Table().Title("engine train --optimizer NAME").AddColumn("name").AddColumn("paper").AddColumn("defaults");
        foreach (var e in OptimizerZoo.All)
            table.AddRow(Markup.Escape(e.Name), Markup.Escape(e.Paper), Markup.Escape(e.Defaults));
        TrainCommand.Render(stdout, table);
        stdout.WriteLine("--lr, --weight-decay and --momentum override the defaults (--momentum only where the optimizer has one);");
        stdout.WriteLine("lookahead, sam and asam wrap --base NAME. Details: docs/optim.md.");
    }
}
