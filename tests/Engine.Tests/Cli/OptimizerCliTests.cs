namespace Engine.Tests.Cli;

/// <summary>The zoo on the command line: `optimizers --list`, the gallery, `train --optimizer NAME` and its errors.</summary>
[Collection("Cli")]
public class OptimizerCliTests
{
    [Fact]
    public void ListNamesEveryOptimizerWithItsPaperAndDefaults()
    {
        var (code, stdout, err) = CliRun.Run("optimizers", "--list");
        Assert.True(code == 0, err);
        foreach (var name in new[] { "radam", "nadam", "adamax", "adagrad", "adadelta", "rprop", "asgd", "lbfgs", "lion", "lamb", "lars", "adabelief",
                                     "adan", "lookahead", "ranger", "sam", "asam", "prodigy", "schedulefree-adamw", "schedulefree-sgd", "sophia", "soap", "muon" })
            Assert.Contains(name, stdout);
        Assert.Contains("Foret", stdout);              // SAM's paper
        Assert.Contains("0.965", stdout);              // Sophia's beta1
    }

    [Fact]
    public void GalleryWritesGridsAndRanking()
    {
        var dir = CliRun.TempDir();
        var (code, stdout, err) = CliRun.Run("optimizers", "--only", "adam,lion,sam", "--steps", "30", "--out", dir);
        Assert.True(code == 0, err + stdout);
        Assert.Contains("rosenbrock", stdout);
        string[] written = ["rosenbrock-grid.png", "rastrigin-grid.png", "ranking.md",
                            "rosenbrock-paths.png", "rosenbrock-losses.png", "rastrigin-paths.png", "rastrigin-losses.png"];
        foreach (var f in written) Assert.True(File.Exists(Path.Combine(dir, f)), $"{f} missing");
        var md = File.ReadAllText(Path.Combine(dir, "ranking.md"));
        Assert.Contains("| 1 |", md);
        Assert.Contains("| sam |", md);
        foreach (var png in written.Where(f => f.EndsWith(".png")))
        {
            var bytes = File.ReadAllBytes(Path.Combine(dir, png));
            Assert.Equal(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G' }, bytes[..4]);
            Assert.True(bytes.Length > 10_000, $"{png}: only {bytes.Length} bytes for a heatmap or curves with a legend");
        }
        Assert.Equal(7, Directory.GetFiles(dir).Length);   // no second plotting stack writes a raster/ folder any more
    }

    [Fact]
    public void GalleryColoursTellTheFirstTwentyOptimizersApart()
    {
        var names = Engine.Training.OptimizerGallery.Optimizers.Select(o => o.Name).Take(20).ToList();
        var colours = names.Select(Engine.Cli.GalleryFigures.ColorOf).ToList();
        Assert.Equal(names.Count, colours.Distinct().Count());
        Assert.Equal(colours[0], Engine.Cli.GalleryFigures.ColorOf("not-an-optimizer"));   // unknown: the first colour, no throw
    }

    [Theory]
    [InlineData("sam")]
    [InlineData("schedulefree-adamw")]
    [InlineData("muon")]
    [InlineData("lookahead", "--base", "radam")]
    public void TrainAcceptsZooOptimizers(string name, params string[] extra)
    {
        var run = CliRun.TempDir();
        var (code, stdout, err) = CliRun.Run(["train", "--limit", "128", "--epochs", "1", "--batch", "64", "--plain", "--optimizer", name, .. extra, "--run-dir", run]);
        Assert.True(code == 0, err + stdout);
        Assert.Contains($", {name}", stdout);
        Assert.True(File.Exists(Path.Combine(run, "last.safetensors")));
    }

    /// <summary>
    /// Through a checkpoint file (safetensors + JSON values): SOAP's preconditioner matrices, Prodigy's estimate in the
    /// group options, schedule-free's z and mode and Sophia's Hessian come back, so a run interrupted in epoch 2 and
    /// resumed ends as the uninterrupted one. (L-BFGS's flat history takes the same path as SOAP's matrices; its
    /// in-memory resume is in ZooResumeTests, a CLI run of it takes seconds.)
    /// </summary>
    [Theory]
    [InlineData("soap")]
    [InlineData("prodigy")]
    [InlineData("schedulefree-sgd")]
    [InlineData("sophia")]
    public void ResumedRunMatchesAnUninterruptedOne(string name)
    {
        string[] opts = ["--limit", "128", "--batch", "32", "--epochs", "2", "--hidden", "32", "--plain", "--optimizer", name];
        var whole = CliRun.TempDir();
        Assert.Equal(0, CliRun.Run(["train", .. opts, "--run-dir", whole]).code);
        var split = CliRun.TempDir();
        var stop = new Engine.Cli.Interrupt(hookConsole: false) { When = ctx => ctx.Epoch == 1 && ctx.Batch == 1 };
        Assert.Equal(130, Engine.Cli.TrainCommand.Run([.. opts, "--run-dir", split], TextWriter.Null, TextWriter.Null, stop));
        Assert.Equal(0, CliRun.Run("train", "--resume", split, "--plain").code);
        string LastRow(string run) => File.ReadAllLines(Path.Combine(run, "history.csv"))[2];
        Assert.Equal(LastRow(whole), LastRow(split));
    }

    [Theory]
    [InlineData(new[] { "--optimizer", "adamm" }, "--optimizer must be one of sgd, adam, adamw")]
    [InlineData(new[] { "--optimizer", "adam", "--momentum", "0.9" }, "adam has no momentum")]
    [InlineData(new[] { "--optimizer", "adam", "--base", "sgd" }, "--base is for lookahead, sam and asam")]
    [InlineData(new[] { "--optimizer", "sam", "--base", "lbfgs" }, "--base must be one of")]
    [InlineData(new[] { "--optimizer", "sam", "--accumulate", "2" }, "--accumulate cannot be combined with --optimizer sam")]
    [InlineData(new[] { "--optimizer", "lbfgs", "--weight-decay", "0.1", "--limit", "64" }, "optimizer 'lbfgs' has no weight decay")]
    public void BadOptimizerOptionsAreNamed(string[] args, string expected)
    {
        var (code, _, err) = CliRun.Run(["train", "--plain", "--run-dir", CliRun.TempDir(), .. args]);
        Assert.Equal(2, code);
        Assert.Contains(expected, err);
    }
}
