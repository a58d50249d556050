namespace Engine.Data;

/// <summary>
/// Random oversampling: every class keeps all its samples and adds target - count_c duplicates drawn with
/// replacement from itself, where target = the largest class count (all classes end equal).
/// </summary>
public sealed class RandomOverSampler : ISampler
{
    private readonly int[][] _byClass;
    private readonly int _target;

    /// <summary>Balances the classes of a labelled dataset (a <see cref="Subset{T}"/> from a split, say).</summary>
    public RandomOverSampler(IDataset<(Tensor x, int y)> dataset) : this(Dataset.Labels(dataset)) { }

    public RandomOverSampler(int[] labels)
    {
        _byClass = ClassIndex.ByClass(labels);
        if (labels.Length == 0) throw new ArgumentException("RandomOverSampler: no labels");
        _target = _byClass.Max(g => g.Length);
        Before = _byClass.Select(g => g.Length).ToArray();
        After = Before.Select(c => c == 0 ? 0 : _target).ToArray();
        Report = new BalanceReport("random oversampling", Before, After);
    }

    public int[] Before { get; }
    public int[] After { get; }
    public BalanceReport Report { get; }

    /// <summary>One resampled list of indices: the originals in order, then the duplicates of each class.</summary>
    public int[] Resample(Generator generator)
    {
        var r = new List<int>();
        foreach (var g in _byClass) r.AddRange(g);
        foreach (var g in _byClass)
            if (g.Length > 0)
                for (int k = g.Length; k < _target; k++) r.Add(g[generator.NextInt(g.Length)]);
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
