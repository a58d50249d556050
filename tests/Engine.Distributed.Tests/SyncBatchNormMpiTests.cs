namespace Engine.Distributed.Tests;

/// <summary>
/// SyncBatchNorm under mpirun with 2 ranks at batch B against one BatchNorm at batch 2B (the 1-rank run of the
/// same probe, where SyncBatchNorm is BatchNorm): forward, input and weight gradients, running statistics and eval
/// within 1e-5; and a few steps of data-parallel training with a converted model give one rank's weights.
/// </summary>
public class SyncBatchNormMpiTests
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(90);
    private const float Tol = 1e-5f;

    private static void Close((string name, float value)[] expected, (string name, float value)[] actual)
    {
        Assert.Equal(expected.Select(w => w.name), actual.Select(w => w.name));
        for (int i = 0; i < expected.Length; i++)
            Assert.True(Math.Abs(expected[i].value - actual[i].value) <= Tol * Math.Max(1, Math.Abs(expected[i].value)),
                $"{expected[i].name} (line {i}): 1 rank {expected[i].value}, 2 ranks {actual[i].value}");
    }

    [MpiFact]
    public void Two_ranks_at_batch_B_normalize_as_one_BatchNorm_at_batch_2B()
    {
        var dir = Directory.CreateTempSubdirectory("syncbn-").FullName;
        try
        {
            var one = Mpi.Run(0, ["--mode", "syncbn", "--comm", "local", "--batch", "6", "--out", Path.Combine(dir, "one")], Limit);
            Assert.True(one.exitCode == 0, one.output);
            var two = Mpi.Run(2, ["--mode", "syncbn", "--batch", "3", "--out", Path.Combine(dir, "two")], Limit);
            Assert.True(two.exitCode == 0, two.output);
            Assert.Contains("rank 1 of 2", two.output);
            var reference = Mpi.ReadWeights(Path.Combine(dir, "one.rank0"));
            var r0 = Mpi.ReadWeights(Path.Combine(dir, "two.rank0"));
            var r1 = Mpi.ReadWeights(Path.Combine(dir, "two.rank1"));
            // per-sample outputs: rank 0's rows then rank 1's are the whole batch's
            foreach (var name in new[] { "y0", "dx0", "y1", "dx1", "eval" })
            {
                var whole = reference.Where(w => w.name == name).ToArray();
                Assert.Equal(6 * 4 * 3 * 3, whole.Length);
                Close(whole, [.. r0.Where(w => w.name == name), .. r1.Where(w => w.name == name)]);
            }
            // per-channel values: the same on every rank and equal to the whole batch's
            foreach (var name in new[] { "weight.grad", "bias.grad", "running_mean", "running_var" })
            {
                var whole = reference.Where(w => w.name == name).ToArray();
                Assert.Equal(4, whole.Length);
                Close(whole, r0.Where(w => w.name == name).ToArray());
                Close(whole, r1.Where(w => w.name == name).ToArray());
            }
        }
        finally { Directory.Delete(dir, recursive: true); }
    }

    [MpiTheory]
    [InlineData("sgd")]
    [InlineData("adam")]
    public void Two_ranks_with_SyncBatchNorm_train_as_one_rank_with_BatchNorm_at_batch_2B(string optimizer)
    {
        var dir = Directory.CreateTempSubdirectory("syncbn-").FullName;
        try
        {
            string[] opts = ["--optimizer", optimizer, "--batchnorm", "yes", "--syncbn", "yes"];
            var one = Mpi.Run(0, [.. opts, "--comm", "local", "--batch", "16", "--out", Path.Combine(dir, "one.txt")], Limit);
            Assert.True(one.exitCode == 0, one.output);
            var two = Mpi.Run(2, [.. opts, "--batch", "8", "--out", Path.Combine(dir, "two.txt")], Limit);
            Assert.True(two.exitCode == 0, two.output);
            var a = Mpi.ReadWeights(Path.Combine(dir, "one.txt"));
            Assert.Equal(8 * 16 + 16 * 3 + 3 + 4 * 16 + 1, a.Length);   // the MLP (no bias before the norm) and BatchNorm1d(16): weight, bias, running_mean, running_var, num_batches_tracked
            Close(a, Mpi.ReadWeights(Path.Combine(dir, "two.txt")));
            // without synchronization the 2-rank run is a different one (BatchNorm over 8 samples, not 16)
            var local = Mpi.Run(2, ["--optimizer", optimizer, "--batchnorm", "yes", "--batch", "8", "--out", Path.Combine(dir, "local.txt")], Limit);
            Assert.True(local.exitCode == 0, local.output);
            Assert.Contains(Mpi.ReadWeights(Path.Combine(dir, "local.txt")).Zip(a), p => Math.Abs(p.First.value - p.Second.value) > 1e-3);
        }
        finally { Directory.Delete(dir, recursive: true); }
    }
}
