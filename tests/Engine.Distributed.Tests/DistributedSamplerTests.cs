using Engine.Data;

namespace Engine.Distributed.Tests;

public class DistributedSamplerTests
{
    [Theory]
    [InlineData(64, 2)]
    [InlineData(10, 3)]     // padded: 12 indices, 2 repeated
    [InlineData(5, 4)]
    public void Ranks_split_one_seeded_permutation_into_equal_disjoint_shards(int n, int ranks)
    {
        var gen = new Generator(99);   // the loader's generator must not matter: all ranks draw from seed + epoch
        var shards = Enumerable.Range(0, ranks).Select(r => new DistributedSampler(n, ranks, r, seed: 3).EpochIndices(0, gen)).ToArray();
        int per = (n + ranks - 1) / ranks;
        Assert.All(shards, s => Assert.Equal(per, s.Length));
        var full = new DistributedSampler(n, 1, 0, seed: 3).EpochIndices(0, new Generator(1));
        Assert.Equal(Enumerable.Range(0, n), full.Order());
        // rank r holds positions r, r + N, ... of the padded permutation (which repeats its head)
        for (int r = 0; r < ranks; r++)
            for (int i = 0; i < per; i++)
                Assert.Equal(full[(r + i * ranks) % n], shards[r][i]);
        Assert.Equal(Enumerable.Range(0, n), shards.SelectMany(s => s).Distinct().Order());
    }

    [Fact]
    public void Two_ranks_at_batch_B_see_the_samples_of_one_rank_at_batch_2B()
    {
        const int n = 100, b = 8;
        var one = new DistributedSampler(n, 1, 0, seed: 5).EpochIndices(2, new Generator(0));
        var r0 = new DistributedSampler(n, 2, 0, seed: 5).EpochIndices(2, new Generator(1));
        var r1 = new DistributedSampler(n, 2, 1, seed: 5).EpochIndices(2, new Generator(2));
        for (int k = 0; k * 2 * b < n; k++)
        {
            var big = one.Skip(k * 2 * b).Take(2 * b).Order();
            var both = r0.Skip(k * b).Take(b).Concat(r1.Skip(k * b).Take(b)).Order();
            Assert.Equal(big, both);
        }
    }

    [Fact]
    public void Each_epoch_draws_a_new_permutation_and_SetEpoch_fixes_it()
    {
        var s = new DistributedSampler(50, 2, 1, seed: 1);
        var e0 = s.EpochIndices(0, new Generator(0));
        var e1 = s.EpochIndices(1, new Generator(0));
        Assert.NotEqual(e0, e1);
        s.SetEpoch(0);
        Assert.Equal(e0, s.EpochIndices(7, new Generator(0)));
        Assert.Equal(Enumerable.Range(0, 25).Select(i => 1 + 2 * i), new DistributedSampler(50, 2, 1, shuffle: false).EpochIndices(0, new Generator(0)));
    }

    [Fact]
    public void DropLast_cuts_to_equal_shards_without_repeats()
    {
        var shards = Enumerable.Range(0, 3).Select(r => new DistributedSampler(10, 3, r, dropLast: true).EpochIndices(0, new Generator(0))).ToArray();
        Assert.All(shards, s => Assert.Equal(3, s.Length));
        Assert.Equal(9, shards.SelectMany(s => s).Distinct().Count());
    }

    [Fact]
    public void Bad_arguments_name_what_is_wrong()
    {
        Assert.Contains("rank 2 is not in [0, 2)", Assert.Throws<ArgumentOutOfRangeException>(() => new DistributedSampler(10, 2, 2)).Message);
        Assert.Contains("numReplicas", Assert.Throws<ArgumentOutOfRangeException>(() => new DistributedSampler(10, 0, 0)).Message);
        Assert.Contains("leaves every rank empty", Assert.Throws<ArgumentException>(() => new DistributedSampler(1, 2, 0, dropLast: true)).Message);
    }
}
