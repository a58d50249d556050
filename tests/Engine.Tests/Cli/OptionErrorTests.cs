using Engine.Cli;

namespace Engine.Tests.Cli;

/// <summary>Bad input: one line naming the problem, non-zero exit, nothing trained.</summary>
[Collection("Cli")]
public class OptionErrorTests
{
    [Fact]
    public void UnknownOptionIsNamed()
    {
        var (code, _, err) = CliRun.Run("train", "--bogus", "1");
        Assert.Equal(2, code);
        Assert.Contains("unknown option --bogus", err);
        Assert.Single(err.Trim().Split('\n'));
    }

    [Fact]
    public void UnknownVerbIsNamed()
    {
        var (code, _, err) = CliRun.Run("trian");
        Assert.Equal(2, code);
        Assert.Contains("unknown verb 'trian'", err);
    }

    [Theory]
    [InlineData("--lr", "fast", "--lr expects a number")]
    [InlineData("--epochs", "0", "--epochs must be between 1")]
    [InlineData("--model", "transformer", "--model must be one of mlp, cnn, resnet, mobilenet, lstm")]
    [InlineData("--augment", "cutout,flip", "unknown item 'flip'")]
    [InlineData("--balance", "smite", "--balance must be one of smote, oversample, undersample")]
    public void BadValueIsNamed(string option, string value, string expected)
    {
        var (code, _, err) = CliRun.Run("train", option, value);
        Assert.Equal(2, code);
        Assert.Contains(expected, err);
    }

    [Fact]
    public void SwitchWithBadValueIsNamed()
    {
        var (code, _, err) = CliRun.Run("train", "--amp=maybe");
        Assert.Equal(2, code);
        Assert.Contains("--amp is a switch", err);
    }

    [Fact]
    public void MissingValueIsNamed()
    {
        var (code, _, err) = CliRun.Run("train", "--epochs");
        Assert.Equal(2, code);
        Assert.Contains("--epochs needs a value", err);
    }

    [Fact]
    public void PlateauWithWarmupIsRefused()
    {
        var (code, _, err) = CliRun.Run("train", "--plateau", "--warmup", "10");
        Assert.Equal(2, code);
        Assert.Contains("--plateau and --warmup cannot be combined", err);
    }

    [Fact]
    public void MissingDataFolderIsNamed()
    {
        var dir = Path.Combine(CliRun.TempDir(), "nope");
        var (code, _, err) = CliRun.Run(["train", "--data", dir, .. CliRun.Tiny, "--run-dir", CliRun.TempDir()]);
        Assert.Equal(1, code);
        Assert.Contains($"--data {dir}: no such folder", err);
    }

    [Fact]
    public void FolderWithoutDataFilesIsNamed()
    {
        var dir = CliRun.TempDir();
        var (code, _, err) = CliRun.Run(["train", "--data", dir, .. CliRun.Tiny, "--run-dir", CliRun.TempDir()]);
        Assert.Equal(1, code);
        Assert.Contains("train-images", err);
    }

    [Fact]
    public void CorruptedCheckpointIsNamedOnResume()
    {
        var run = CliRun.TempDir();
        File.WriteAllBytes(Path.Combine(run, "last.safetensors"), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
        var (code, _, err) = CliRun.Run(["train", .. CliRun.Tiny, "--resume", run]);
        Assert.Equal(1, code);
        Assert.Contains("last.safetensors", err);
        Assert.Contains("corrupted", err);
    }

    [Fact]
    public void ResumeWithoutCheckpointIsNamed()
    {
        var run = CliRun.TempDir();
        var (code, _, err) = CliRun.Run(["train", .. CliRun.Tiny, "--resume", run]);
        Assert.Equal(1, code);   // a missing file (docs/cli.md: 1 files, 2 usage)
        Assert.Contains("no checkpoint (last.safetensors)", err);
    }

    [Fact]
    public void ConfigFileSuppliesDefaultsAndCommandLineWins()
    {
        var cfg = Path.Combine(CliRun.TempDir(), "c.json");
        File.WriteAllText(cfg, """{"epochs": 3, "lr": 0.05, "amp": true, "augment": ["cutout", "erasing"], "model": "cnn"}""");
        var o = Options.Parse(["--config", cfg, "--epochs", "5"], TrainSettings.Known, TrainSettings.Flags);
        var s = TrainSettings.From(o);
        Assert.Equal(5, s.Epochs);            // command line wins
        Assert.Equal(0.05f, s.Lr);
        Assert.True(s.Amp);
        Assert.Equal(["cutout", "erasing"], s.Augment);
        Assert.Equal("cnn", s.Model);
    }

    [Fact]
    public void BadConfigKeyAndValueAreNamedWithTheFile()
    {
        var dir = CliRun.TempDir();
        var cfg = Path.Combine(dir, "c.json");
        File.WriteAllText(cfg, """{"epocs": 3}""");
        var (code, _, err) = CliRun.Run("train", "--config", cfg);
        Assert.Equal(2, code);
        Assert.Contains("unknown key 'epocs'", err);

        File.WriteAllText(cfg, """{"lr": "fast"}""");
        (code, _, err) = CliRun.Run("train", "--config", cfg);
        Assert.Equal(2, code);
        Assert.Contains($"'lr' in {cfg} expects a number", err);

        File.WriteAllText(cfg, """{"lr": """);
        (code, _, err) = CliRun.Run("train", "--config", cfg);
        Assert.Equal(2, code);
        Assert.Contains("not valid JSON", err);
    }

    [Fact]
    public void EvalNeedsAModelFile()
    {
        var (code, _, err) = CliRun.Run("eval");
        Assert.Equal(2, code);
        Assert.Contains("--model-file", err);

        var bad = Path.Combine(CliRun.TempDir(), "model.safetensors");
        File.WriteAllText(bad, "not a model");
        (code, _, err) = CliRun.Run("eval", "--model-file", bad);
        Assert.Equal(1, code);
        Assert.Contains(bad, err);
    }

    [Fact]
    public void CorruptedDataFileIsNamed()
    {
        var dir = CliRun.TempDir();
        foreach (var f in new[] { "train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte" })
            File.WriteAllBytes(Path.Combine(dir, f), [0, 0, 8, 3, 0, 0, 0, 5]);   // header promises 5 images, then nothing
        var (code, _, err) = CliRun.Run(["train", "--data", dir, .. CliRun.Tiny, "--run-dir", CliRun.TempDir()]);
        Assert.Equal(1, code);
        Assert.Contains("train-images-idx3-ubyte", err);
        Assert.Single(err.Trim().Split('\n'));
    }

    [Fact]
    public void ModelFileOfAnotherArchitectureIsNamed()
    {
        var path = Path.Combine(CliRun.TempDir(), "model.safetensors");
        Seed.Everything(3);
        var mlp = ModelZoo.Build("mlp", hidden: 8);
        Safetensors.Save(path, mlp.StateDict(), new Dictionary<string, string> { [ModelFile.Key] = "cnn", ["hidden"] = "8", ["mean"] = "0", ["std"] = "1" });
        var (code, _, err) = CliRun.Run("eval", "--model-file", path);
        Assert.Equal(1, code);
        Assert.Contains("do not fit a 'cnn' model", err);
    }
}
