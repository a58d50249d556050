using Engine.Cli;

namespace Engine.Tests.Cli;

/// <summary>`engine train --distributed` started alone: a 1-rank job, without MPI, that trains exactly as without the flag.</summary>
[Collection("Cli")]
public class DistributedTrainTests
{
    [Fact]
    public void DistributedWithoutMpirunTrainsAsOneRankBitForBit()
    {
        var plainRun = CliRun.TempDir();
        var ddpRun = CliRun.TempDir();
        var (code, stdout, err) = CliRun.Run(["train", .. CliRun.Tiny, "--run-dir", plainRun]);
        Assert.True(code == 0, err + stdout);
        (code, stdout, err) = CliRun.Run(["train", .. CliRun.Tiny, "--run-dir", ddpRun, "--distributed"]);
        Assert.True(code == 0, err + stdout);
        Assert.Contains("distributed: 1 rank(s), batch 64 per rank", stdout);
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
}
