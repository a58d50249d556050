namespace Engine.Distributed.Tests;

/// <summary>
/// A mid-epoch checkpoint of a run on N ranks resumes on N' ranks: DdpProbe trains 2 epochs of 4 steps at global
/// batch 16 (64 samples), checkpointing every 3 steps; the checkpoint of step 3 (epoch 0, batch 3) or step 6 (epoch 1,
/// batch 2) resumed on the other rank count at the same global batch must end with the weights of the run that was
/// never interrupted, which it can only do if the rest of the epoch was dealt out with every sample once.
/// </summary>
public class MidEpochResumeMpiTests
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(90);

    private static (int, string, TimeSpan) Run(int ranks, IEnumerable<string> args) =>
        Mpi.Run(ranks == 1 ? 0 : ranks, [.. args, .. ranks == 1 ? new[] { "--comm", "local" } : [], "--batch", (16 / ranks).ToString()], Limit);

    [MpiTheory]
    [InlineData(2, 1, 3)]
    [InlineData(2, 1, 6)]
    [InlineData(1, 2, 3)]
    [InlineData(1, 2, 6)]
    public void A_mid_epoch_checkpoint_resumes_on_another_rank_count(int saveRanks, int resumeRanks, int step)
    {
        var dir = Directory.CreateTempSubdirectory("ddp-resume-").FullName;
        try
        {
            string[] opts = ["--optimizer", "adam"];
            var straight = Run(1, [.. opts, "--out", Path.Combine(dir, "straight.txt")]);
            Assert.True(straight.Item1 == 0, straight.Item2);
            var ck = Path.Combine(dir, "ck");
            var saved = Run(saveRanks, [.. opts, "--checkpoint-dir", ck, "--checkpoint-steps", "3", "--out", Path.Combine(dir, "saved.txt")]);
            Assert.True(saved.Item1 == 0, saved.Item2);
            var resumeDir = Directory.CreateDirectory(Path.Combine(dir, "resume")).FullName;
            File.Copy(Path.Combine(ck, $"step-{step:D8}.safetensors"), Path.Combine(resumeDir, "last.safetensors"));
            var resumed = Run(resumeRanks, [.. opts, "--resume-dir", resumeDir, "--out", Path.Combine(dir, "resumed.txt")]);
            Assert.True(resumed.Item1 == 0, resumed.Item2);
            var a = Mpi.ReadWeights(Path.Combine(dir, "straight.txt"));
            var b = Mpi.ReadWeights(Path.Combine(dir, "resumed.txt"));
            Assert.Equal(a.Select(w => w.name), b.Select(w => w.name));
            for (int i = 0; i < a.Length; i++)
                Assert.True(Math.Abs(a[i].value - b[i].value) <= 1e-6, $"{a[i].name}[{i}]: uninterrupted {a[i].value}, resumed on {resumeRanks} rank(s) {b[i].value}");
            // and the resumed run did train from the checkpoint: fewer steps than the 8 of a whole run
            Assert.Contains($"{(resumeRanks == 1 ? 0 : 8 - step)} gradient all-reduces", resumed.Item2);
        }
        finally { Directory.Delete(dir, recursive: true); }
    }
}

/// <summary>
/// The same at another global batch (the usual case: --batch is per rank, so 2 ranks at 8 resumed on 1 rank at 8
/// halve it): the batches differ from any uninterrupted run, but within the checkpoint's epoch the samples the first
/// run took up to the checkpoint and those the resumed run took are every sample once, and the next epoch is whole.
/// </summary>
public class MidEpochResumeSamplesMpiTests
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(90);

    private static List<(int step, int epoch, int index)> ReadLog(string file, int ranks) =>
        Enumerable.Range(0, ranks).SelectMany(r => File.ReadAllLines($"{file}.rank{r}"))
            .Select(l => l.Split(' ').Select(int.Parse).ToArray()).Select(v => (v[0], v[1], v[2])).ToList();

    [MpiTheory]
    [InlineData(2, 1, 3)]    // global batch 16 -> 8: epoch 0 had 4 steps, 3 done (48 samples), 2 more of 8
    [InlineData(1, 2, 3)]    // 8 -> 16: epoch 0 had 8 steps, 3 done (24 samples), 40 left over 2 ranks: 3 steps (the last partial)
    [InlineData(2, 1, 6)]    // epoch 1 at its step 2
    public void Every_sample_of_the_interrupted_epoch_is_seen_once_at_another_global_batch(int saveRanks, int resumeRanks, int step)
    {
        var dir = Directory.CreateTempSubdirectory("ddp-resume-").FullName;
        try
        {
            string[] Args(int ranks, params string[] more) => ["--optimizer", "sgd", "--batch", "8", "--samples", "64", .. ranks == 1 ? new[] { "--comm", "local" } : [], .. more];
            var ck = Path.Combine(dir, "ck");
            var saved = Mpi.Run(saveRanks == 1 ? 0 : saveRanks, Args(saveRanks, "--checkpoint-dir", ck, "--checkpoint-steps", "3",
                "--log-samples", Path.Combine(dir, "saved"), "--out", Path.Combine(dir, "saved.txt")), Limit);
            Assert.True(saved.exitCode == 0, saved.output);
            var resumeDir = Directory.CreateDirectory(Path.Combine(dir, "resume")).FullName;
            File.Copy(Path.Combine(ck, $"step-{step:D8}.safetensors"), Path.Combine(resumeDir, "last.safetensors"));
            var resumed = Mpi.Run(resumeRanks == 1 ? 0 : resumeRanks, Args(resumeRanks, "--resume-dir", resumeDir,
                "--log-samples", Path.Combine(dir, "resumed"), "--out", Path.Combine(dir, "resumed.txt")), Limit);
            Assert.True(resumed.exitCode == 0, resumed.output);

            var before = ReadLog(Path.Combine(dir, "saved"), saveRanks).Where(s => s.step <= step).ToList();
            var after = ReadLog(Path.Combine(dir, "resumed"), resumeRanks);
            int epoch = before.Max(s => s.epoch);
            Assert.True(after.Min(s => s.step) > step, "the resumed run repeated a step of the checkpointed run");
            var interrupted = before.Where(s => s.epoch == epoch).Concat(after.Where(s => s.epoch == epoch)).Select(s => s.index).Order();
            Assert.Equal(Enumerable.Range(0, 64), interrupted);
            Assert.Contains(after, s => s.epoch == epoch);       // the checkpoint was mid-epoch: some of it was left
            foreach (var later in after.Select(s => s.epoch).Distinct().Where(e => e > epoch))
                Assert.Equal(Enumerable.Range(0, 64), after.Where(s => s.epoch == later).Select(s => s.index).Order());
        }
        finally { Directory.Delete(dir, recursive: true); }
    }
}
