using System.Text;
using System.Text.Json.Nodes;
using Engine.Cli;
using Engine.Training;

namespace Engine.Tests.Cli;

/// <summary>
/// Damaged or hand-edited files through the command line (issue 24): each is one line naming the file and the field,
/// exit 1, no stack trace, and nothing in the run folder changes (config.json, checkpoints).
/// </summary>
[Collection("Cli")]
public class DamagedFileTests
{
    /// <summary>A finished tiny MLP run: its folder holds config.json, last.safetensors and model.safetensors.</summary>
    private static string TrainedRun()
    {
        var run = CliRun.TempDir();
        var (code, _, err) = CliRun.Run(["train", .. CliRun.Tiny, "--hidden", "16", "--run-dir", run]);
        Assert.True(code == 0, err);
        return run;
    }

    /// <summary>Rewrites the checkpoint's metadata JSON with <paramref name="edit"/>, keeping its tensors.</summary>
    private static void EditCheckpoint(string path, Func<string, string> edit)
    {
        var tensors = Safetensors.Load(path, out var meta);
        meta[Checkpoints.Format] = edit(meta[Checkpoints.Format]);
        Safetensors.Save(path, tensors, meta);
    }

    private static string Set(string json, string key, JsonNode? value)
    {
        var o = JsonNode.Parse(json)!.AsObject();
        o[key] = value;
        return o.ToJsonString();
    }

    private static string Remove(string json, string key)
    {
        var o = JsonNode.Parse(json)!.AsObject();
        Assert.True(o.Remove(key), $"the checkpoint has no '{key}' to remove");
        return o.ToJsonString();
    }

    public static TheoryData<string, string> CheckpointEdits => new()
    {
        { "garbage", "JSON" },
        { "array", "a JSON object" },
        { "no-optimizer", "'optimizer'" },
        { "no-rng", "'rng'" },
        { "rng-not-numeric", "'rng[0]'" },
        { "epochs-two", "'epochs_done'" },
        { "epochs-negative", "'epochs_done'" },
        { "epochs-absurd", "'epochs_done'" },
        { "history-not-object", "'history'" },
        { "history-bad-value", "'history.epochs." },
    };

    [Theory]
    [MemberData(nameof(CheckpointEdits))]
    public void DamagedCheckpointMetadataIsNamedAndNothingChanges(string edit, string field)
    {
        var run = TrainedRun();
        var last = Checkpoints.LastFile(run);
        EditCheckpoint(last, json => edit switch
        {
            "garbage" => "{not json",
            "array" => "[1, 2]",
            "no-optimizer" => Remove(json, "optimizer"),
            "no-rng" => Remove(json, "rng"),
            "rng-not-numeric" => Set(json, "rng", new JsonArray("x", "1", "2", "3", "4", "5", "6")),
            "epochs-two" => Set(json, "epochs_done", "two"),
            "epochs-negative" => Set(json, "epochs_done", -5),
            "epochs-absurd" => Set(json, "epochs_done", 2_000_000_000),
            "history-not-object" => Set(json, "history", 5),
            "history-bad-value" => Set(json, "history", JsonNode.Parse("""{"epochs": {"train_loss": ["oops"]}}""")),
            _ => throw new ArgumentException(edit),
        });
        var before = Snapshot(run);

        var (code, stdout, err) = CliRun.Run(["train", .. CliRun.Tiny, "--epochs", "2", "--resume", run]);

        Assert.True(code == 1, $"exit {code}: {err}{stdout}");
        Assert.Contains("last.safetensors", err);
        Assert.Contains(field, err);
        Assert.DoesNotContain("   at ", err);                      // one message, no stack trace
        Assert.Equal(before, Snapshot(run));                        // nothing written: config.json, checkpoints
    }

    [Fact]
    public void ResumeWithAnotherModelListsTheMismatchAndKeepsConfig()
    {
        var run = TrainedRun();
        var before = Snapshot(run);
        var (code, _, err) = CliRun.Run(["train", .. CliRun.Tiny, "--epochs", "2", "--resume", run, "--hidden", "32"]);
        Assert.True(code == 1, err);
        Assert.Contains("does not fit", err);
        Assert.Contains("[16,784]", err.Replace(" ", ""));          // the checkpoint's shape is in the list
        Assert.Equal(before, Snapshot(run));
        Assert.Equal(0, CliRun.Run(["train", .. CliRun.Tiny, "--epochs", "2", "--resume", run]).code);   // plain --resume still works
    }

    [Fact]
    public void RunDirOfAnExistingRunNeedsResumeOrOverwrite()
    {
        var run = TrainedRun();
        var before = Snapshot(run);
        var (code, _, err) = CliRun.Run(["train", .. CliRun.Tiny, "--run-dir", run]);
        Assert.Equal(2, code);
        Assert.Contains("--resume", err);
        Assert.Contains("--overwrite", err);
        Assert.Equal(before, Snapshot(run));
        Assert.Equal(0, CliRun.Run(["train", .. CliRun.Tiny, "--run-dir", run, "--overwrite"]).code);
    }

    [Fact]
    public void MissingLastCheckpointPointsAtTheEpochFile()
    {
        var run = TrainedRun();
        File.Delete(Checkpoints.LastFile(run));
        var (code, _, err) = CliRun.Run(["train", .. CliRun.Tiny, "--resume", run]);
        Assert.Equal(1, code);
        Assert.Contains("epoch-0001.safetensors", err);
        Assert.DoesNotContain("start it again without --resume", err);
    }

    public static TheoryData<string, string?, string> ModelFileEdits => new()
    {
        { "hidden", "abc", "'hidden'" },
        { "hidden", "2000000000", "'hidden'" },
        { "mean", null, "'mean'" },
        { "mean", "x,y", "'mean'" },
        { "std", "0", "'std'" },
    };

    [Theory]
    [MemberData(nameof(ModelFileEdits))]
    public void DamagedModelFileMetadataIsNamed(string key, string? value, string field)
    {
        var run = TrainedRun();
        var path = Path.Combine(run, "model.safetensors");
        var tensors = Safetensors.Load(path, out var meta);
        if (value is null) meta.Remove(key); else meta[key] = value;
        Safetensors.Save(path, tensors, meta);
        var (code, _, err) = CliRun.Run("eval", "--model-file", path, "--limit", "64");
        Assert.True(code == 1, err);
        Assert.Contains(path, err);
        Assert.Contains(field, err);
        Assert.DoesNotContain("   at ", err);
    }

    [Fact]
    public void AHeaderThatIsNotUtf8IsNamed()
    {
        var path = Path.Combine(CliRun.TempDir(), "model.safetensors");
        var header = Encoding.UTF8.GetBytes("""{"__metadata__":{"engine.cli.model":"mlp?"}}""");
        header[Array.IndexOf(header, (byte)'?')] = 0xFF;            // a byte that is never UTF-8
        using (var f = File.Create(path))
        {
            f.Write(BitConverter.GetBytes((ulong)header.Length));
            f.Write(header);
        }
        var (code, _, err) = CliRun.Run("eval", "--model-file", path);
        Assert.True(code == 1, err);
        Assert.Contains("UTF-8", err);
        Assert.Contains(path, err);
        Assert.DoesNotContain("   at ", err);
    }

    [Fact]
    public void AMissingModelFileExitsOneAsDocumented()
    {
        var (code, _, err) = CliRun.Run("eval", "--model-file", Path.Combine(CliRun.TempDir(), "nope.safetensors"));
        Assert.Equal(1, code);
        Assert.Contains("no such file", err);
    }

    [Fact]
    public void AnEmaStateOfAnotherShapeNamesTheFileAndTheTensors()
    {
        var run = CliRun.TempDir();
        var (trained, _, terr) = CliRun.Run(["train", .. CliRun.Tiny, "--hidden", "16", "--ema", "0.9", "--run-dir", run]);
        Assert.True(trained == 0, terr);
        var last = Path.Combine(run, "last.safetensors");
        var tensors = Safetensors.Load(last, out var meta);
        tensors.Remove("ema.3.bias");
        tensors["ema.1.weight"] = tensors["ema.1.weight"].T.Contiguous();   // [784,16] where the model has [16,784]
        Safetensors.Save(last, tensors, meta);
        var (code, _, err) = CliRun.Run(["train", .. CliRun.Tiny, "--epochs", "2", "--resume", run]);
        Assert.True(code == 1, err);
        Assert.Contains(last, err);
        Assert.Contains("model EMA", err);
        Assert.Contains("'1.weight' is [784,16] in the state,[16,784] in the model", err.Replace(", ", ","));
        Assert.Contains("missing '3.bias'", err);
        Assert.DoesNotContain("expand", err);
        Assert.DoesNotContain("   at ", err);
    }

    [Theory]
    [InlineData(32, 32, 8, "train-images-idx3-ubyte holds 32x32 images; the models of engine train take 28x28")]
    [InlineData(28, 28, 0, "holds no images")]
    public void IdxImagesOfAnotherSizeOrNoneAreNamed(int rows, int cols, int count, string expected)
    {
        var dir = CliRun.TempDir();
        foreach (var split in new[] { "train", "t10k" })
        {
            File.WriteAllBytes(Path.Combine(dir, $"{split}-images-idx3-ubyte"), Engine.Tests.Data.TestData.Idx([count, rows, cols], new byte[count * rows * cols]));
            File.WriteAllBytes(Path.Combine(dir, $"{split}-labels-idx1-ubyte"), Engine.Tests.Data.TestData.Idx([count], new byte[count]));
        }
        var (code, _, err) = CliRun.Run(["train", "--data", dir, .. CliRun.Tiny, "--run-dir", CliRun.TempDir()]);
        Assert.True(code == 1, err);
        Assert.Contains(expected, err);
        Assert.Contains(dir, err);
        Assert.DoesNotContain("Linear(", err);
        Assert.DoesNotContain("   at ", err);
    }

    /// <summary>Every file of the folder with its bytes' hash: equal snapshots mean nothing was written.</summary>
    private static Dictionary<string, string> Snapshot(string dir) =>
        Directory.GetFiles(dir, "*", SearchOption.AllDirectories).ToDictionary(
            f => Path.GetRelativePath(dir, f),
            f => Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(File.ReadAllBytes(f))));
}
