using Engine.Cli;
using Engine.Training;

namespace Engine.Tests.Cli;

/// <summary>Short real runs on a slice of the embedded subset: files written, resume, interrupt, eval.</summary>
[Collection("Cli")]
public class TrainEndToEndTests
{
    private static int EpochRows(string run) => File.ReadAllLines(Path.Combine(run, "history.csv")).Length - 1;

    private static void AssertPng(string path)
    {
        Assert.True(File.Exists(path), $"{path} missing");
        var head = File.ReadAllBytes(path)[..8];
        Assert.Equal(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A }, head);
    }

    [Fact]
    public void TrainWritesCheckpointHistoryPlotsThenResumeContinues()
    {
        var run = CliRun.TempDir();
        var (code, stdout, err) = CliRun.Run(["train", .. CliRun.Tiny, "--run-dir", run]);
        Assert.True(code == 0, err + stdout);
        Assert.Contains("epoch   1/1", stdout);
        Assert.Contains("run summary", stdout);
        Assert.Contains("test accuracy", stdout);
        foreach (var f in new[] { "last.safetensors", "best.safetensors", "epoch-0001.safetensors", "history.json", "model.safetensors", "config.json" })
            Assert.True(File.Exists(Path.Combine(run, f)), $"{f} missing");
        Assert.Equal(1, EpochRows(run));
        foreach (var png in new[] { "loss.png", "accuracy.png", "lr.png" }) AssertPng(Path.Combine(run, png));
        Assert.Contains("\"seed\"", File.ReadAllText(Path.Combine(run, "history.json")));

        // Resume with more epochs: the saved options (limit, batch) come back from config.json; history grows to 2 epochs.
        (code, stdout, err) = CliRun.Run("train", "--resume", run, "--epochs", "2", "--plain");
        Assert.True(code == 0, err + stdout);
        Assert.Contains("resuming", stdout);
        Assert.Contains("256 train", stdout);
        Assert.DoesNotContain("epoch   1/2", stdout);   // epoch 1 is not trained again
        Assert.Contains("epoch   2/2", stdout);
        Assert.Equal(2, EpochRows(run));
        Assert.True(File.Exists(Path.Combine(run, "epoch-0002.safetensors")));

        // eval of the final model: accuracy and a confusion matrix over the 2,000 test images.
        (code, stdout, err) = CliRun.Run("eval", "--model-file", Path.Combine(run, "model.safetensors"));
        Assert.True(code == 0, err + stdout);
        Assert.Contains("confusion matrix", stdout);
        Assert.Contains("of 2000)", stdout);
    }

    [Fact]
    public void InterruptStopsAfterTheBatchAndLeavesTheCheckpointIntact()
    {
        var run = CliRun.TempDir();
        Assert.Equal(0, CliRun.Run(["train", .. CliRun.Tiny, "--run-dir", run]).code);
        var last = Path.Combine(run, "last.safetensors");
        var before = File.ReadAllBytes(last);

        var stop = new Interrupt(hookConsole: false);
        stop.Request();                                   // as if Ctrl-C came during the first batch
        var o = new StringWriter(); var e = new StringWriter();
        int code = TrainCommand.Run(["--resume", run, "--epochs", "2", "--plain"], o, e, stop);
        Assert.Equal(130, code);
        Assert.Contains("interrupted in epoch 2, batch 1", e.ToString());
        Assert.Contains($"engine train --resume {run}", e.ToString());
        Assert.Equal(before, File.ReadAllBytes(last));   // no half-epoch checkpoint
        Assert.False(File.Exists(Path.Combine(run, "epoch-0002.safetensors")));

        // ...and the run is still resumable.
        var (again, stdout, err) = CliRun.Run("train", "--resume", run, "--epochs", "2", "--plain");
        Assert.True(again == 0, err + stdout);
        Assert.Equal(2, EpochRows(run));
    }

    [Fact]
    public void ResumedRunMatchesAnUninterruptedOne()
    {
        // Same seed: 2 epochs at once vs a run interrupted in epoch 2 and resumed. Model, optimizer, schedule,
        // EMA and the loader's shuffling all come back from the checkpoint, so the second epoch is the same.
        string[] opts = ["--limit", "192", "--batch", "32", "--epochs", "2", "--plain", "--optimizer", "adam", "--ema", "0.9", "--augment", "cutout,ricap"];
        var whole = CliRun.TempDir();
        Assert.Equal(0, CliRun.Run(["train", .. opts, "--run-dir", whole]).code);
        var split = CliRun.TempDir();
        var stop = new Interrupt(hookConsole: false) { When = ctx => ctx.Epoch == 1 && ctx.Batch == 2 };
        Assert.Equal(130, TrainCommand.Run([.. opts, "--run-dir", split], TextWriter.Null, TextWriter.Null, stop));
        Assert.Equal(0, CliRun.Run("train", "--resume", split, "--plain").code);
        string LastRow(string run) => File.ReadAllLines(Path.Combine(run, "history.csv"))[2];
        Assert.Equal(LastRow(whole), LastRow(split));
    }

    [Fact]
    public void EveryTrickRunsTogether()
    {
        var run = CliRun.TempDir();
        var (code, stdout, err) = CliRun.Run(["train", "--limit", "128", "--epochs", "2", "--batch", "32", "--plain", "--run-dir", run,
            "--optimizer", "adamw", "--label-smoothing", "0.1", "--ema", "0.99", "--accumulate", "2", "--amp", "--warmup", "2",
            "--clip-norm", "1", "--augment", "cutout,erasing,ricap,autoaugment", "--balance", "oversample", "--early-stop", "3"]);
        Assert.True(code == 0, err + stdout);
        Assert.Contains("label smoothing 0.1, EMA 0.99, accumulate 2, mixed precision, warmup 2 steps, clip norm 1", stdout);
        Assert.Contains("oversample", stdout);
        Assert.Equal(2, EpochRows(run));
        Assert.Contains("grad_norm", File.ReadAllText(Path.Combine(run, "history.json")));
    }

    [Fact]
    public void SmoteAndPlateauRun()
    {
        var run = CliRun.TempDir();
        var (code, stdout, err) = CliRun.Run(["train", "--limit", "128", "--epochs", "1", "--plain", "--run-dir", run, "--balance", "smote", "--plateau"]);
        Assert.True(code == 0, err + stdout);
        Assert.Contains("smote", stdout);
        Assert.Contains("reduce-on-plateau", stdout);
    }

    [Theory]
    [InlineData("cnn")]
    [InlineData("resnet")]
    [InlineData("mobilenet")]
    [InlineData("lstm")]
    public void EveryModelMapsImagesToTenLogits(string name)
    {
        using var scope = Tensor.Scope();
        Seed.Everything(1);
        var model = ModelZoo.Build(name, hidden: 32);
        var y = model.Forward(Tensor.Randn(new Shape(2, 1, 28, 28)));
        Assert.Equal(new Shape(2, 10), y.Shape);
        Assert.True(model.ParameterCount() > 0);
    }
}
