using Engine.Data;

namespace Engine.Distributed.Tests;

/// <summary>
/// Mid-epoch resume on another rank count: N ranks take k batches of B each, the position of the epoch they reached
/// is handed to N' fresh samplers, which deal out the rest; together every sample of the epoch is seen once.
/// </summary>
public class DistributedSamplerResumeTests
{
    private static int[][] Shards(int n, int ranks, int epoch, int? resumeAt = null)
    {
        return Enumerable.Range(0, ranks).Select(r =>
        {
            var s = new DistributedSampler(n, ranks, r, seed: 11);
            if (resumeAt is int p) s.ResumeAt(epoch, p);
            return s.EpochIndices(epoch, new Generator(r));
        }).ToArray();
    }

    [Theory]
    [InlineData(96, 2, 8, 3, 1)]     // 2 ranks at 8, 3 batches (48 samples), then 1 rank
    [InlineData(96, 1, 16, 2, 2)]    // 1 rank at 16, then 2 ranks
    [InlineData(96, 2, 8, 1, 3)]     // then 3 ranks: 80 rest samples, 3·27 = 81 with one padded
    [InlineData(100, 3, 5, 4, 2)]    // a padded start (102 entries), resumed on 2
    [InlineData(50, 2, 4, 6, 4)]     // 48 of 50 done, 2 left for 4 ranks: each rank gets 1, two of them repeated
    public void The_rest_of_the_epoch_is_dealt_out_over_the_new_ranks_and_every_sample_is_seen(int n, int ranks, int batch, int batches, int newRanks)
    {
        const int epoch = 3;
        var before = Shards(n, ranks, epoch).Select(s => s.Take(batches * batch).ToArray()).ToArray();
        int position = new DistributedSampler(n, ranks, 0, seed: 11).Position(epoch, batches * batch);
        Assert.Equal(Math.Min(n, batches * batch * ranks), position);
        var after = Shards(n, newRanks, epoch, position);
        int rest = n - position, per = (rest + newRanks - 1) / newRanks;
        Assert.All(after, s => Assert.Equal(per, s.Length));
        var seen = before.SelectMany(s => s).Concat(after.SelectMany(s => s)).ToArray();
        Assert.Equal(Enumerable.Range(0, n), seen.Distinct().Order());
        // repeats only where a shard was padded: the first run's (when it had reached the end) and the new one's
        int padBefore = position == n ? ranks * ((n + ranks - 1) / ranks) - n : 0;
        Assert.Equal(n + padBefore + (per * newRanks - rest), seen.Length);
        // the rest is the uninterrupted permutation's tail, rank r' taking its entries r', r' + N', ...
        var full = new DistributedSampler(n, 1, 0, seed: 11).EpochIndices(epoch, new Generator(0));
        for (int r = 0; r < newRanks; r++)
            for (int i = 0; i < per; i++)
                Assert.Equal(full[position + (r + i * newRanks) % rest], after[r][i]);
    }

    [Fact]
    public void At_the_same_global_batch_the_resumed_batches_are_those_of_an_uninterrupted_run()
    {
        const int n = 96, epoch = 1;
        // 2 ranks at batch 8 stop after 3 batches (48 samples); 1 rank at batch 16 resumes and would have run batch 3 on
        var one = new DistributedSampler(n, 1, 0, seed: 11).EpochIndices(epoch, new Generator(0));
        var resumed = Shards(n, 1, epoch, 48)[0];
        Assert.Equal(one.Skip(48), resumed);
        // and 1 rank at 16 resumed on 2 ranks at 8: batch k of rank r is every 2nd sample of the 1-rank batch 3 + k
        var two = Shards(n, 2, epoch, 48);
        var uninterrupted = Shards(n, 2, epoch);
        Assert.Equal(uninterrupted[0].Skip(24), two[0]);
        Assert.Equal(uninterrupted[1].Skip(24), two[1]);
    }

    [Fact]
    public void Only_the_resumed_epoch_is_shortened_and_bad_positions_are_refused()
    {
        var s = new DistributedSampler(40, 2, 1, seed: 2);
        s.ResumeAt(0, 30);
        Assert.Equal(5, s.NumSamples(0));
        Assert.Equal(5, s.EpochIndices(0, new Generator(0)).Length);
        Assert.Equal(20, s.NumSamples(1));
        Assert.Equal(new DistributedSampler(40, 2, 1, seed: 2).EpochIndices(1, new Generator(0)), s.EpochIndices(1, new Generator(0)));
        Assert.Equal(40, s.Position(0, 5));           // the resumed epoch's position counts from where it started
        Assert.Equal(34, s.Position(0, 2));
        s.ResumeAt(0, 40);
        Assert.Empty(s.EpochIndices(0, new Generator(0)));
        Assert.Throws<ArgumentOutOfRangeException>(() => s.ResumeAt(0, 41));
        Assert.Throws<ArgumentOutOfRangeException>(() => s.ResumeAt(-1, 0));
        var drop = new DistributedSampler(41, 2, 0, seed: 2, dropLast: true);
        drop.ResumeAt(0, 20);                          // 21 left: 10 each, one dropped as at the start of an epoch
        Assert.Equal(10, drop.EpochIndices(0, new Generator(0)).Length);
    }
}
