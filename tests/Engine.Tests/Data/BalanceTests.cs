using Engine.Data;

namespace Engine.Tests.Data;

public class BalanceTests
{
    private static readonly int[] Labels = [.. Enumerable.Repeat(0, 50), .. Enumerable.Repeat(1, 10), .. Enumerable.Repeat(2, 5)];

    [Fact]
    public void UndersamplerCutsEveryClassToTheSmallest()
    {
        var us = new RandomUnderSampler(Labels);
        Assert.Equal(new[] { 50, 10, 5 }, us.Report.Before);
        Assert.Equal(new[] { 5, 5, 5 }, us.Report.After);
        var idx = us.Resample(new Generator(1));
        Assert.Equal(15, idx.Distinct().Count());
        Assert.Equal(new[] { 5, 5, 5 }, ClassIndex.Counts(idx.Select(i => Labels[i]).ToArray()));
        Assert.Contains("random undersampling", us.Report.ToString());
        // As a sampler: a new subset every epoch, class 2 always whole.
        var g = new Generator(2);
        var e0 = us.EpochIndices(0, g); var e1 = us.EpochIndices(1, g);
        Assert.NotEqual(e0.Order(), e1.Order());
        Assert.Equal(Enumerable.Range(60, 5), e0.Where(i => Labels[i] == 2).Order());
    }

    [Fact]
    public void OversamplerDuplicatesMinoritiesUpToTheLargest()
    {
        var os = new RandomOverSampler(Labels);
        Assert.Equal(new[] { 50, 50, 50 }, os.Report.After);
        var idx = os.Resample(new Generator(1));
        Assert.Equal(new[] { 50, 50, 50 }, ClassIndex.Counts(idx.Select(i => Labels[i]).ToArray()));
        Assert.Equal(Enumerable.Range(0, 65), idx.Take(65));   // every original kept
        Assert.Equal(150, new DataLoader(new TensorDataset(new float[65], Labels, 1), 10, sampler: os, generator: new Generator(3)).Sum(b => b.y.Size(0)));
    }

    [Fact]
    public void WeightedSamplerDrawsClassesEqually()
    {
        var ws = WeightedRandomSampler.FromClassFrequencies(Labels, numSamples: 30000);
        Assert.Equal(1.0 / 50, ws.Weights[0], 12);
        Assert.Equal(1.0 / 5, ws.Weights[64], 12);
        var idx = ws.EpochIndices(0, new Generator(5));
        var after = ws.Report!.After;
        Assert.Equal(new[] { 50, 10, 5 }, ws.Report.Before);
        Assert.Equal(30000, after.Sum());
        // Each class has probability 1/3: binomial std sqrt(30000 * 1/3 * 2/3) = 82, allow 5 sigma.
        Assert.All(after, c => Assert.InRange(c, 10000 - 410, 10000 + 410));
        Assert.Equal(ClassIndex.Counts(idx.Select(i => Labels[i]).ToArray()), after);
    }

    [Fact]
    public void WeightedSamplerNeverPicksZeroWeights()
    {
        var ws = new WeightedRandomSampler([0, 1, 0, 0, 3, 0], 2000);
        var idx = ws.EpochIndices(0, new Generator(9));
        Assert.All(idx, i => Assert.True(i == 1 || i == 4));
        Assert.InRange(idx.Count(i => i == 4), 1500 - 120, 1500 + 120);
    }

    [Fact]
    public void SmoteSamplesLieOnSegmentsToNearestMinorityNeighbours()
    {
        // Majority: 40 points around (5, 5); minority: 8 points on a ring around (0, 0).
        var g = new Generator(7);
        var x = new List<float>(); var y = new List<int>();
        for (int i = 0; i < 40; i++) { x.Add(5 + (float)g.NextGaussian()); x.Add(5 + (float)g.NextGaussian()); y.Add(0); }
        for (int i = 0; i < 8; i++) { x.Add(MathF.Cos(i * 0.785f) * (1 + i * 0.1f)); x.Add(MathF.Sin(i * 0.785f)); y.Add(1); }
        var xs = x.ToArray(); var ys = y.ToArray();
        const int k = 3;
        var r = new Smote(k: k, targetRatio: 1.0, seed: 1).FitResample(xs, 2, ys);
        Assert.Equal(new[] { 40, 8 }, r.Report.Before);
        Assert.Equal(new[] { 40, 40 }, r.Report.After);
        Assert.Equal(32, r.Synthetic.Length);
        Assert.Equal(xs, r.X.Take(xs.Length));
        var minority = Enumerable.Range(40, 8).ToArray();
        for (int s = 0; s < r.Synthetic.Length; s++)
        {
            var (a, b, u) = r.Synthetic[s];
            Assert.Equal(1, ys[a]); Assert.Equal(1, ys[b]); Assert.NotEqual(a, b);
            Assert.InRange(u, 0f, 1f);
            // b is among the k nearest minority neighbours of a.
            float D(int i) => (xs[2 * i] - xs[2 * a]) * (xs[2 * i] - xs[2 * a]) + (xs[2 * i + 1] - xs[2 * a + 1]) * (xs[2 * i + 1] - xs[2 * a + 1]);
            var nearest = minority.Where(i => i != a).OrderBy(D).Take(k).ToArray();
            Assert.Contains(b, nearest);
            // The new point is a + u (b - a): on the segment.
            int row = xs.Length / 2 + s;
            for (int f = 0; f < 2; f++)
                Assert.Equal(xs[2 * a + f] + u * (xs[2 * b + f] - xs[2 * a + f]), r.X[2 * row + f], 5);
            Assert.Equal(1, r.Y[row]);
        }
        // Bases are used in turns: 32 synthetic from 8 samples = 4 each.
        Assert.All(r.Synthetic.GroupBy(t => t.sample), grp => Assert.Equal(4, grp.Count()));
    }

    [Fact]
    public void SmoteTargetRatioAndSeed()
    {
        var xs = Enumerable.Range(0, 26).Select(i => (float)i).ToArray();
        var ys = Enumerable.Range(0, 26).Select(i => i < 20 ? 0 : 1).ToArray();
        var a = new Smote(k: 2, targetRatio: 0.5, seed: 3).FitResample(xs, 1, ys);
        Assert.Equal(new[] { 20, 10 }, a.Report.After);
        var b = new Smote(k: 2, targetRatio: 0.5, seed: 3).FitResample(xs, 1, ys);
        Assert.Equal(a.X, b.X);
        Assert.Throws<ArgumentException>(() => new Smote(seed: 0).FitResample([0, 1, 2], 1, [0, 0, 1]));
    }
}
