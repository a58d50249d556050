using Engine.Data;

namespace Engine.Tests.Data;

/// <summary>
/// Splits return <see cref="Subset{T}"/> views that scalers, samplers, transforms and loaders accept, and that give
/// the same numbers as the copied rows they stand for.
/// </summary>
public class SubsetCompositionTests
{
    private static TensorDataset Data(int n = 40)
    {
        var g = new Generator(3);
        var x = new float[n * 3];
        for (int i = 0; i < x.Length; i++) x[i] = (i % 3) * 10 + (float)g.NextGaussian();
        return new TensorDataset(x, Enumerable.Range(0, n).Select(i => i % 4 == 0 ? 1 : 0).ToArray(), 3);
    }

    // A dataset that is not in memory: the generic paths.
    private sealed class Generated(TensorDataset inner) : IDataset<(Tensor x, int y)>
    {
        public int Count => inner.Count;
        public (Tensor x, int y) this[int index] => inner[index];
    }

    [Fact]
    public void AStratifiedSplitOfADatasetIsTheSplitOfItsLabels()
    {
        var ds = Data();
        var (t, v) = DataSplit.Stratified(ds, 0.25, seed: 5);
        var (ti, vi) = DataSplit.Stratified(ds.Labels, 0.25, seed: 5);
        Assert.Equal(ti, t.Indices);
        Assert.Equal(vi, v.Indices);
        Assert.Equal(vi.Select(i => ds.Labels[i]), Dataset.Labels(v));
        Assert.Equal(Dataset.Labels(v), Dataset.Labels(new Generated(ds) is var g ? DataSplit.Stratified(g, 0.25, 5).valid : null!));
    }

    [Fact]
    public void ScalersFitOnASubsetAsOnItsCopiedRows()
    {
        var ds = Data();
        var (train, _) = DataSplit.TrainValid(ds, 0.3, seed: 1);
        var copied = ds.Select(train.Indices);
        var a = Standardize.Fit(train); var b = Standardize.Fit(copied); var c = Standardize.Fit(new Subset<(Tensor x, int y)>(new Generated(ds), train.Indices));
        Assert.Equal(b.Mean, a.Mean); Assert.Equal(b.Std, a.Std);
        Assert.Equal(b.Mean, c.Mean); Assert.Equal(b.Std, c.Std);
        var m = MinMaxScale.Fit(train); var mc = MinMaxScale.Fit(copied);
        Assert.Equal(mc.Min, m.Min); Assert.Equal(mc.Max, m.Max);
        Assert.Equal(copied.Data.Where((_, i) => i % 3 == 1).Min(), m.Min[1]);
    }

    [Fact]
    public void LoadersReadASubsetAndAScaledSubsetAsTheCopiedRows()
    {
        var ds = Data();
        var (train, _) = DataSplit.TrainValid(ds, 0.3, seed: 2);
        var nested = new Subset<(Tensor x, int y)>(train, [4, 0, 7]);   // a subset of a subset: rows train[4], train[0], train[7]
        var expect = ds.Select([train.Indices[4], train.Indices[0], train.Indices[7]]);
        var (x, y) = new DataLoader(nested, batchSize: 3, prefetch: 0).First();
        Assert.Equal(expect.Data, x.ToArray());
        Assert.Equal(expect.Labels, y.ToIntArray());

        var s = Standardize.Fit(train);
        var (sx, _) = new DataLoader(s.Apply(nested), batchSize: 3, prefetch: 0).First();
        Assert.Equal(s.Apply(expect).Data, sx.ToArray());
    }

    [Fact]
    public void SamplersAndSmoteTakeADataset()
    {
        var ds = Data();
        var (train, _) = DataSplit.Stratified(ds, 0.25, seed: 0);
        var labels = Dataset.Labels(train);
        Assert.Equal(new RandomOverSampler(labels).After, new RandomOverSampler(train).After);
        Assert.Equal(new RandomUnderSampler(labels).After, new RandomUnderSampler(train).After);
        var w = WeightedRandomSampler.FromClassFrequencies(train);
        Assert.Equal(WeightedRandomSampler.FromClassFrequencies(labels).NumSamples(0), w.NumSamples(0));
        var copied = ds.Select(train.Indices);
        var a = new Smote(k: 3, seed: 9).FitResample(train);
        var b = new Smote(k: 3, seed: 9).FitResample(copied.Data, 3, copied.Labels);
        Assert.Equal(b.X, a.X); Assert.Equal(b.Y, a.Y);
    }

    [Fact]
    public void ImageSamplesOfTwoDimsAreOneChannel()
    {
        // [H,W] samples are one channel, as image transforms read them, so a scaler fitted on them applies to them.
        var ds = new TensorDataset(Enumerable.Range(0, 2 * 4 * 5).Select(i => (float)i).ToArray(), [0, 1], 4, 5);
        var s = Standardize.Fit(ds);
        Assert.Single(s.Mean);
        var z = s.Apply(ds);
        Assert.Equal(0, z.Data.Average(), 5);
    }
}
