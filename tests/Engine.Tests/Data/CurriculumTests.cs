using Engine.Data;

namespace Engine.Tests.Data;

public class CurriculumTests
{
    [Fact]
    public void PacingSchedules()
    {
        var lin = Pacing.Linear(0.2, 4);
        Assert.Equal(new[] { 0.2, 0.4, 0.6, 0.8, 1.0, 1.0 }, Enumerable.Range(0, 6).Select(e => Math.Round(lin.Fraction(e), 10)));
        var step = Pacing.Step(0.1, 2, 3);
        Assert.Equal(new[] { 0.1, 0.1, 0.1, 0.2, 0.2, 0.2, 0.4, 0.4, 0.4, 0.8, 0.8, 0.8, 1.0 }, Enumerable.Range(0, 13).Select(e => Math.Round(step.Fraction(e), 10)));
        var root = Pacing.Root(0.5, 3);
        Assert.Equal(0.5, root.Fraction(0), 10);
        Assert.Equal(Math.Sqrt(0.25 + 0.75 / 3), root.Fraction(1), 10);
        Assert.Equal(1.0, root.Fraction(3), 10);
        Assert.Throws<ArgumentOutOfRangeException>(() => Pacing.Step(0.1, 1.0, 2));   // would never reach the full set
    }

    [Fact]
    public void OpensEasyToHardThenMixesTheWholeSet()
    {
        // Difficulty of sample i: (i * 7) % 20, so the ranking is a known permutation.
        var diff = Enumerable.Range(0, 20).Select(i => (float)(i * 7 % 20)).ToArray();
        var cs = new CurriculumSampler(diff, Pacing.Linear(0.25, 3));
        var ranking = Enumerable.Range(0, 20).OrderBy(i => diff[i]).ToArray();
        Assert.Equal(ranking, cs.Ranking);
        var g = new Generator(1);
        int[] sizes = [5, 10, 15, 20, 20];
        int[]? lastFull = null;
        for (int e = 0; e < 5; e++)
        {
            var idx = cs.EpochIndices(e, g);
            Assert.Equal(sizes[e], idx.Length);
            Assert.Equal(sizes[e], cs.NumSamples(e));
            // Exactly the easiest ones are available, each once.
            Assert.Equal(ranking.Take(sizes[e]).Order(), idx.Order());
            if (sizes[e] == 20)
            {
                Assert.NotEqual(ranking, idx);   // the full set is mixed, not in difficulty order
                if (lastFull != null) Assert.NotEqual(lastFull, idx);
                lastFull = idx;
            }
        }
    }

    [Fact]
    public void OrderedModeStagesEasyFirstAndTiesKeepIndexOrder()
    {
        float[] diff = [3, 1, 2, 1, 0, 5];
        var cs = new CurriculumSampler(diff, Pacing.Step(0.5, 2, 1), ordered: true);
        Assert.Equal(new[] { 4, 1, 3 }, cs.EpochIndices(0, new Generator(0)));
        var full = cs.EpochIndices(1, new Generator(0));
        Assert.Equal(Enumerable.Range(0, 6), full.Order());
        // Self-paced: re-rank with per-sample losses of the last epoch.
        cs.UpdateDifficulty([0, 9, 9, 9, 9, 1]);
        Assert.Equal(new[] { 0, 5, 1 }, cs.EpochIndices(0, new Generator(0)));
        Assert.Throws<ArgumentException>(() => cs.UpdateDifficulty([float.NaN]));
    }

    [Fact]
    public void DrivesADataLoaderWithGrowingEpochs()
    {
        var ds = TestData.Numbered(40);
        var diff = Enumerable.Range(0, 40).Select(i => (float)(40 - i)).ToArray();   // later samples are easier
        var loader = new DataLoader(ds, 8, sampler: new CurriculumSampler(diff, Pacing.Linear(0.25, 2)), generator: new Generator(2));
        var seen = new List<int[]>();
        for (int e = 0; e < 3; e++)
            seen.Add(loader.SelectMany(b => b.x.ToArray().Where((_, i) => i % 4 == 0).Select(v => (int)v)).ToArray());
        Assert.Equal(new[] { 10, 25, 40 }, seen.Select(s => s.Length));
        Assert.All(seen[0], i => Assert.True(i >= 30));
        Assert.All(seen[1], i => Assert.True(i >= 15));
    }
}
