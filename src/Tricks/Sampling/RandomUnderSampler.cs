namespace Engine.Data;

/// <summary>
/// Random undersampling: every class keeps min(count_c, target) samples drawn without replacement, where
/// target = the smallest non-empty class count (all classes end equal). As a sampler it draws a fresh
/// subset every epoch, so over many epochs all majority samples are seen.
/// </summary>
public sealed class RandomUnderSampler : ISampler
{
    private readonly int[][] _byClass;
    private readonly int _target;

    /// <summary>Balances the classes of a labelled dataset (a <see cref="Subset{T}"/> from a split, say).</summary>
    public RandomUnderSampler(IDataset<(Tensor x, int y)> dataset) : this(Dataset.Labels(dataset)) { }

    public RandomUnderSampler(int[] labels)
    {
        _byClass = ClassIndex.ByClass(labels);
        var nonEmpty = _byClass.Where(g => g.Length > 0).Select(g => g.Length).ToArray();
        if (nonEmpty.Length == 0) throw new ArgumentException("RandomUnderSampler: no labels");
        _target = nonEmpty.Min();
        Before = _byClass.Select(g => g.Length).ToArray();
        After = Before.Select(c => Math.Min(c, _target)).ToArray();
        Report = new BalanceReport("random undersampling", Before, After);
    }

    public int[] Before { get; }
    public int[] After { get; }
    public BalanceReport Report { get; }

    /// <summary>One resampled set of indices, ascending (for a fixed smaller dataset: TensorDataset.Select).</summary>
    public int[] Resample(Generator generator)
    {
        var r = new List<int>();
        foreach (var g in _byClass)
        {
            var p = generator.Permutation(g.Length);
            for (int k = 0; k < Math.Min(g.Length, _target); k++) r.Add(g[p[k]]);
        }
        r.Sort();
        return r.ToArray();
    }

    public int NumSamples(int epoch) => After.Sum();

    public int[] EpochIndices(int epoch, Generator generator)
    {
        var idx = Resample(generator);
        var p = generator.Permutation(idx.Length);
        return p.Select(i => idx[i]).ToArray();
    }
}
