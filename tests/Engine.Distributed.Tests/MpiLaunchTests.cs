namespace Engine.Distributed.Tests;

/// <summary>
/// The proof of data parallelism: DdpProbe trains the same MLP (8 → 16 → 3, 64 samples, 2 epochs of
/// 4 steps) at 2 ranks of batch B and at 1 rank of batch 2B; the weights must agree. Each rank starts
/// from different random weights, so agreement also proves rank 0's broadcast.
/// </summary>
public class MpiLaunchTests
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(90);

    [MpiTheory]
    [InlineData("sgd")]
    [InlineData("adam")]
    [InlineData("adam --clip 0.5")]
    [InlineData("sgd --accumulate 3 --epochs 3")]   // 4 steps per epoch: groups of 3 and a last partial one
    public void Two_ranks_at_batch_B_train_as_one_rank_at_batch_2B(string options)
    {
        var dir = Directory.CreateTempSubdirectory("ddp-").FullName;
        try
        {
            var opts = ("--optimizer " + options).Split(' ');
            var one = Mpi.Run(0, [.. opts, "--comm", "local", "--batch", "16", "--out", Path.Combine(dir, "one.txt")], Limit);
            Assert.True(one.exitCode == 0, one.output);
            var two = Mpi.Run(2, [.. opts, "--batch", "8", "--out", Path.Combine(dir, "two.txt")], Limit);
            Assert.True(two.exitCode == 0, two.output);
            Assert.Contains("rank 1 of 2", two.output);
            var a = Mpi.ReadWeights(Path.Combine(dir, "one.txt"));
            var b = Mpi.ReadWeights(Path.Combine(dir, "two.txt"));
            Assert.Equal(a.Select(w => w.name), b.Select(w => w.name));
            Assert.Equal(195, a.Length);                 // 8·16 + 16 + 16·3 + 3
            for (int i = 0; i < a.Length; i++)
                Assert.True(Math.Abs(a[i].value - b[i].value) <= 1e-6, $"{a[i].name}[{i}]: 1 rank {a[i].value}, 2 ranks {b[i].value}");
            // and training moved them: the comparison is not between two untouched initializations
            var init = Mpi.Run(0, [.. opts, "--comm", "local", "--batch", "16", "--epochs", "0", "--out", Path.Combine(dir, "init.txt")], Limit);
            Assert.True(init.exitCode == 0, init.output);
            Assert.Contains(Mpi.ReadWeights(Path.Combine(dir, "init.txt")).Zip(a), p => Math.Abs(p.First.value - p.Second.value) > 1e-3);
        }
        finally { Directory.Delete(dir, recursive: true); }
    }

    [MpiTheory]
    [InlineData("exit")]    // Environment.Exit(7): the rank calls MPI_Abort on its way out
    [InlineData("kill")]    // SIGKILL, a crash: mpirun sees it and ends the job
    public void A_rank_that_dies_ends_the_job_with_an_error_instead_of_a_hang(string how)
    {
        var dir = Directory.CreateTempSubdirectory("ddp-").FullName;
        try
        {
            // 50 epochs of 8 steps would take far longer than the rank lives: rank 0 is mid-run when rank 1 dies
            var r = Mpi.Run(2, ["--batch", "8", "--epochs", "500", "--die-rank", "1", "--die-step", "3", "--die-how", how, "--out", Path.Combine(dir, "w.txt")], Limit);
            Assert.True(r.exitCode != 0, $"mpirun exited 0 although rank 1 died:\n{r.output}");
            Assert.Contains("dies now", r.output);
            Assert.False(File.Exists(Path.Combine(dir, "w.txt")), "rank 0 finished training although rank 1 died");
        }
        finally { Directory.Delete(dir, recursive: true); }
    }

    [MpiFact]
    public void Without_mpirun_an_mpi_program_is_a_one_rank_job()
    {
        var dir = Directory.CreateTempSubdirectory("ddp-").FullName;
        try
        {
            var mpi = Mpi.Run(0, ["--comm", "mpi", "--batch", "16", "--out", Path.Combine(dir, "mpi.txt")], Limit);
            Assert.True(mpi.exitCode == 0, mpi.output);
            Assert.Contains("rank 0 of 1", mpi.output);
            var local = Mpi.Run(0, ["--comm", "local", "--batch", "16", "--out", Path.Combine(dir, "local.txt")], Limit);
            Assert.True(local.exitCode == 0, local.output);
            Assert.Equal(File.ReadAllText(Path.Combine(dir, "local.txt")), File.ReadAllText(Path.Combine(dir, "mpi.txt")));
        }
        finally { Directory.Delete(dir, recursive: true); }
    }

    [Fact]
    public void A_missing_libmpi_is_an_error_that_names_the_package()
    {
        var r = Mpi.Run(0, ["--comm", "mpi", "--out", Path.Combine(Path.GetTempPath(), "never-written.txt")], Limit,
            new Dictionary<string, string> { ["ENGINE_MPI_LIBRARY"] = "/nonexistent/libmpi.so.40" });
        Assert.NotEqual(0, r.exitCode);
        Assert.Contains("apt-get install openmpi-bin libopenmpi3", r.output);
        Assert.Contains("/nonexistent/libmpi.so.40", r.output);
    }
}
