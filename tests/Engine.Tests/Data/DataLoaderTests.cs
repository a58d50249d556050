using Engine.Data;

namespace Engine.Tests.Data;

public class DataLoaderTests
{
    // The first value of every sample of a Numbered dataset is its index.
    internal static List<int[]> Epoch(DataLoader loader, List<int[]>? labels = null)
    {
        var r = new List<int[]>();
        foreach (var (x, y) in loader)
        {
            int b = x.Size(0), size = x.Numel / b;
            var v = x.ToArray();
            r.Add(Enumerable.Range(0, b).Select(i => (int)v[i * size]).ToArray());
            labels?.Add(y.ToIntArray());
            Assert.Equal(DType.Int32, y.DType);
            x.Dispose(); y.Dispose();
        }
        return r;
    }

    [Fact]
    public void EverySampleOncePerEpochWithLastPartialBatch()
    {
        var ds = TestData.Numbered(23);
        var loader = new DataLoader(ds, 5, shuffle: true, generator: new Generator(1));
        Assert.Equal(5, loader.Count);
        for (int e = 0; e < 3; e++)
        {
            var labels = new List<int[]>();
            var batches = Epoch(loader, labels);
            Assert.Equal(new[] { 5, 5, 5, 5, 3 }, batches.Select(b => b.Length));
            Assert.Equal(Enumerable.Range(0, 23), batches.SelectMany(b => b).Order());
            // Labels travel with their samples.
            Assert.Equal(batches.SelectMany(b => b).Select(i => i % 3), labels.SelectMany(l => l));
            Assert.Equal(e + 1, loader.Epoch);
        }
    }

    [Fact]
    public void DropLastDropsThePartialBatch()
    {
        var loader = new DataLoader(TestData.Numbered(23), 5, shuffle: true, dropLast: true, generator: new Generator(1));
        var batches = Epoch(loader);
        Assert.Equal(4, batches.Count);
        Assert.All(batches, b => Assert.Equal(5, b.Length));
        Assert.Equal(20, batches.SelectMany(b => b).Distinct().Count());
    }

    [Fact]
    public void UnshuffledIsSequential()
    {
        var batches = Epoch(new DataLoader(TestData.Numbered(7), 3, generator: new Generator(0)));
        Assert.Equal(new[] { new[] { 0, 1, 2 }, [3, 4, 5], [6] }, batches);
    }

    /// <summary>A dataset that sleeps a little on some samples, so a racing worker would reorder.</summary>
    private sealed class Jittery(TensorDataset inner) : IDataset<(Tensor x, int y)>
    {
        public int Count => inner.Count;
        public int ReadsOnOtherThreads;
        private readonly int _mainThread = Environment.CurrentManagedThreadId;
        public (Tensor x, int y) this[int index]
        {
            get
            {
                if (Environment.CurrentManagedThreadId != _mainThread) Interlocked.Increment(ref ReadsOnOtherThreads);
                if (index % 7 == 0) Thread.Sleep(1);
                return inner[index];
            }
        }
    }

    [Fact]
    public void PrefetchDoesNotReorderAndRunsOnAWorker()
    {
        var ds = TestData.Numbered(60);
        var sync = Epoch(new DataLoader(ds, 4, shuffle: true, generator: new Generator(3), prefetch: 0));
        var jitter = new Jittery(ds);
        var pre = Epoch(new DataLoader(jitter, 4, shuffle: true, generator: new Generator(3), prefetch: 3));
        Assert.Equal(sync, pre);
        Assert.Equal(60, jitter.ReadsOnOtherThreads);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(2)]
    public void BatchesOutliveTheWorkerAndAreNotInTheConsumersScope(int prefetch)
    {
        var loader = new DataLoader(TestData.Numbered(12), 4, generator: new Generator(0), prefetch: prefetch);
        var kept = new List<Tensor>();
        using (var scope = Tensor.Scope())
        {
            foreach (var (x, y) in loader) { kept.Add(x); kept.Add(y); }
            Assert.Equal(0, scope.Count);
        }
        Assert.All(kept, t => Assert.False(t.IsDisposed));
        Assert.Equal(11f, kept[4].ToArray()[^4]);
        foreach (var t in kept) t.Dispose();
    }

    [Fact]
    public void StateResumesMidEpochWithTheSameRemainingBatches()
    {
        var ds = TestData.Numbered(50);
        var a = new DataLoader(ds, 6, shuffle: true, generator: new Generator(11), prefetch: 2);
        var full0 = Epoch(a);
        DataLoaderState? saved = null;
        var firstPart = new List<int[]>();
        foreach (var (x, y) in a)
        {
            firstPart.Add(x.ToArray().Where((_, i) => i % 4 == 0).Select(v => (int)v).ToArray());
            if (firstPart.Count == 3) { saved = a.GetState(); break; }
        }
        Assert.Equal(1, saved!.Epoch);
        Assert.Equal(3, saved.BatchIndex);
        var rest = Epoch(a);                     // the same loader resumes after a break
        var full1 = firstPart.Concat(rest).ToList();

        var b = new DataLoader(ds, 6, shuffle: true, generator: new Generator(999), prefetch: 0);
        b.SetState(saved);                       // a fresh loader restored from the checkpoint
        Assert.Equal(rest, Epoch(b));
        Assert.Equal(2, b.Epoch);
        Assert.Equal(Epoch(a), Epoch(b));        // and the following epochs agree too
        Assert.Equal(Enumerable.Range(0, 50), full1.SelectMany(x => x).Order());
        Assert.NotEqual(full0, full1);
    }

    private sealed class Failing(int bad) : IDataset<(Tensor x, int y)>
    {
        public int Count => 20;
        public (Tensor x, int y) this[int index] =>
            index == bad ? throw new InvalidDataException($"sample {index} is corrupt") : (Tensor.FromArray([index], 1), 0);
    }

    [Fact]
    public void WorkerErrorsReachTheConsumerAtTheRightBatch()
    {
        var loader = new DataLoader(new Failing(13), 4, generator: new Generator(0), prefetch: 2);
        int seen = 0;
        var e = Assert.Throws<InvalidOperationException>(() => { foreach (var _ in loader) seen++; });
        Assert.Equal(3, seen);
        Assert.Contains("batch 3", e.Message);
        Assert.Contains("sample 13 is corrupt", e.Message);
        Assert.IsType<InvalidDataException>(e.InnerException);
    }

    [Fact]
    public void CollateRejectsMixedShapes()
    {
        var samples = new[] { (Tensor.Zeros(1, 2, 2), 0), (Tensor.Zeros(1, 3, 2), 1) };
        var e = Assert.Throws<ShapeException>(() => Collate.Stack(samples));
        Assert.Contains("sample 1", e.Message);
    }

    [Fact]
    public void TransformedDatasetAugmentsOnTheWorkerDeterministically()
    {
        var ds = TestData.Numbered(16, 2, 1, 4, 4);
        float[] Run()
        {
            var aug = Dataset.Transform(ds, new Compose(new RandomHorizontalFlip(0.5, new Generator(4)), new Cutout(2, 1, new Generator(5))));
            var l = new DataLoader(aug, 4, shuffle: true, generator: new Generator(6), prefetch: 2);
            return l.SelectMany(b => b.x.ToArray()).ToArray();
        }
        var first = Run();
        var second = Run();                 // a second, independent run from the same seed
        Assert.Equal(first, second);
    }

    [Fact]
    public void SplitIsSeededDisjointAndComplete()
    {
        var (t1, v1) = DataSplit.TrainValid(100, 0.2, 42);
        var (t2, v2) = DataSplit.TrainValid(100, 0.2, 42);
        var (_, v3) = DataSplit.TrainValid(100, 0.2, 43);
        Assert.Equal(t1, t2); Assert.Equal(v1, v2); Assert.NotEqual(v1, v3);
        Assert.Equal(20, v1.Length);
        Assert.Empty(t1.Intersect(v1));
        Assert.Equal(Enumerable.Range(0, 100), t1.Concat(v1).Order());
        var labels = Enumerable.Range(0, 100).Select(i => i < 80 ? 0 : 1).ToArray();
        var (st, sv) = DataSplit.Stratified(labels, 0.25, 1);
        Assert.Equal(new[] { 20, 5 }, ClassIndex.Counts(sv.Select(i => labels[i]).ToArray()));
        Assert.Equal(new[] { 60, 15 }, ClassIndex.Counts(st.Select(i => labels[i]).ToArray()));
    }
}

/// <summary>Tests that reseed or watch Generator.Default run alone, so no parallel test disturbs (or is disturbed by) them.</summary>
[CollectionDefinition("Data.GlobalGenerator", DisableParallelization = true)]
public class GlobalGeneratorCollection;

[Collection("Data.GlobalGenerator")]
public class DataLoaderSeedTests
{
    private static List<int[]> Epoch(DataLoader loader) => DataLoaderTests.Epoch(loader);

    [Fact]
    public void SameSeedSameBatchesDifferentSeedDifferent()
    {
        var ds = TestData.Numbered(40);
        List<int[]> Run(long seed)
        {
            Seed.Everything(seed);
            var l = new DataLoader(ds, 8, shuffle: true);
            return Epoch(l).Concat(Epoch(l)).SelectMany(b => b).ToList().Chunk(8).ToList();
        }
        var a = Run(7); var b = Run(7); var c = Run(8);
        Assert.Equal(a, b);
        Assert.NotEqual(a, c);
        // Two epochs are two different orders.
        Assert.NotEqual(a.Take(5).SelectMany(x => x), a.Skip(5).SelectMany(x => x));
    }

    [Fact]
    public void LoaderNeverDrawsFromTheGlobalGenerator()
    {
        Seed.Everything(5);
        var loader = new DataLoader(TestData.Numbered(30), 4, shuffle: true, prefetch: 2);   // forks Default here
        var before = Generator.Default.GetState();
        Epoch(loader); Epoch(loader);
        Assert.Equal(before, Generator.Default.GetState());
    }
}
