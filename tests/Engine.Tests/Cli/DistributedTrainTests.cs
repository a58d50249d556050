using Engine.Cli;

namespace Engine.Tests.Cli;

/// <summary>`engine train --distributed` started alone: a 1-rank job, without MPI, reproducible (it is the reference a
/// 2-rank run at half the batch matches: its batches come from the DistributedSampler's seed + epoch permutation, not the loader's shuffle).</summary>
[Collection("Cli")]
public class DistributedTrainTests
{
    [Fact]
    public void DistributedWithoutMpirunIsAReproducibleOneRankRun()
    {
        var plainRun = CliRun.TempDir();
        var ddpRun = CliRun.TempDir();
        var (code, stdout, err) = CliRun.Run(["train", .. CliRun.Tiny, "--run-dir", plainRun, "--distributed"]);
        Assert.True(code == 0, err + stdout);
        (code, stdout, err) = CliRun.Run(["train", .. CliRun.Tiny, "--run-dir", ddpRun, "--distributed"]);
        Assert.True(code == 0, err + stdout);
        Assert.Contains("distributed: 1 rank(s), batch 64 per rank; 0 gradient all-reduces", stdout);
        Assert.Contains("test accuracy", stdout);
        var a = Safetensors.Load(Path.Combine(plainRun, "model.safetensors"));
        var b = Safetensors.Load(Path.Combine(ddpRun, "model.safetensors"));
        Assert.Equal(a.Keys.Order(), b.Keys.Order());
        foreach (var k in a.Keys) Assert.Equal(a[k].ToArray(), b[k].ToArray());
    }

    [Fact]
    public void DistributedRefusesTheUnshardedBalanceSamplers()
    {
        var (code, stdout, err) = CliRun.Run(["train", .. CliRun.Tiny, "--run-dir", CliRun.TempDir(), "--distributed", "--balance", "oversample"]);
        Assert.NotEqual(0, code);
        Assert.Contains("--distributed cannot be combined with --balance", err + stdout);
    }

    [Fact]
    public void SyncBnOnOneRankIsBatchNormAndNeedsDistributedAndABatchNormModel()
    {
        string[] resnet = ["--model", "resnet", "--limit", "128", "--epochs", "1", "--batch", "32", "--plain"];
        var plainRun = CliRun.TempDir();
        var syncRun = CliRun.TempDir();
        var (code, stdout, err) = CliRun.Run(["train", .. resnet, "--run-dir", plainRun, "--distributed"]);
        Assert.True(code == 0, err + stdout);
        (code, stdout, err) = CliRun.Run(["train", .. resnet, "--run-dir", syncRun, "--distributed", "--sync-bn"]);
        Assert.True(code == 0, err + stdout);
        Assert.Contains("sync-bn: 9 BatchNorm layer(s) take their batch statistics over all 1 rank(s)", stdout);
        var a = Safetensors.Load(Path.Combine(plainRun, "model.safetensors"));
        var b = Safetensors.Load(Path.Combine(syncRun, "model.safetensors"));
        Assert.Equal(a.Keys.Order(), b.Keys.Order());                  // BatchNorm's names: running_mean, running_var, ...
        Assert.Contains(a.Keys, k => k.EndsWith("running_var", StringComparison.Ordinal));
        foreach (var k in a.Keys) Assert.Equal(a[k].ToArray(), b[k].ToArray());   // 1 rank: SyncBatchNorm is BatchNorm exactly

        (code, stdout, err) = CliRun.Run(["train", .. CliRun.Tiny, "--run-dir", CliRun.TempDir(), "--sync-bn"]);
        Assert.Equal(2, code);
        Assert.Contains("--sync-bn synchronizes BatchNorm over the ranks of a --distributed run", err + stdout);
        (code, stdout, err) = CliRun.Run(["train", .. CliRun.Tiny, "--model", "cnn", "--run-dir", CliRun.TempDir(), "--distributed", "--sync-bn"]);
        Assert.Equal(2, code);
        Assert.Contains("--sync-bn: model cnn has no BatchNorm layer", err + stdout);
    }
}
