namespace Engine.Data;

/// <summary>Seeded train/validation splits.</summary>
public static class DataSplit
{
    /// <summary>
    /// A random split of [0, n) into train and validation indices: a permutation drawn from a generator
    /// seeded with seed, the first round(n * validFraction) go to validation. Both lists are sorted, so
    /// the split depends only on (n, validFraction, seed).
    /// </summary>
    public static (int[] train, int[] valid) TrainValid(int n, double validFraction, long seed)
    {
        if (n < 0) throw new ArgumentOutOfRangeException(nameof(n), $"split: count must be >= 0, got {n}");
        if (!(validFraction >= 0 && validFraction <= 1))
            throw new ArgumentOutOfRangeException(nameof(validFraction), $"split: validation fraction must be in [0, 1], got {validFraction}");
        var perm = new Generator(seed).Permutation(n);
        int nv = (int)Math.Round(n * validFraction);
        var valid = perm[..nv]; var train = perm[nv..];
        Array.Sort(valid); Array.Sort(train);
        return (train, valid);
    }

    /// <summary>Splits a dataset into two <see cref="Subset{T}"/> views.</summary>
    public static (Subset<T> train, Subset<T> valid) TrainValid<T>(IDataset<T> dataset, double validFraction, long seed)
    {
        var (t, v) = TrainValid(dataset.Count, validFraction, seed);
        return (new Subset<T>(dataset, t), new Subset<T>(dataset, v));
    }

    /// <summary>
    /// A stratified split: each class contributes round(count_c * validFraction) samples to validation,
    /// so both sides keep the class proportions (useful for imbalanced sets).
    /// </summary>
    public static (int[] train, int[] valid) Stratified(int[] labels, double validFraction, long seed)
    {
        if (!(validFraction >= 0 && validFraction <= 1))
            throw new ArgumentOutOfRangeException(nameof(validFraction), $"split: validation fraction must be in [0, 1], got {validFraction}");
        var g = new Generator(seed);
        var train = new List<int>(); var valid = new List<int>();
        foreach (var group in ClassIndex.ByClass(labels))
        {
            var perm = g.Permutation(group.Length);
            int nv = (int)Math.Round(group.Length * validFraction);
            for (int k = 0; k < group.Length; k++) (k < nv ? valid : train).Add(group[perm[k]]);
        }
        train.Sort(); valid.Sort();
        return (train.ToArray(), valid.ToArray());
    }

    /// <summary>
    /// A stratified split of a labelled dataset into two <see cref="Subset{T}"/> views (the same indices as
    /// <see cref="Stratified(int[], double, long)"/> on its labels), ready for a scaler, a sampler or a loader.
    /// </summary>
    public static (Subset<(Tensor x, int y)> train, Subset<(Tensor x, int y)> valid) Stratified(IDataset<(Tensor x, int y)> dataset, double validFraction, long seed)
    {
        var (t, v) = Stratified(Dataset.Labels(dataset), validFraction, seed);
        return (new Subset<(Tensor x, int y)>(dataset, t), new Subset<(Tensor x, int y)>(dataset, v));
    }
}

/// <summary>Class bookkeeping shared by splits and samplers.</summary>
public static class ClassIndex
{
    /// <summary>Number of samples per class, for classes 0..max(label) (or numClasses when given).</summary>
    public static int[] Counts(int[] labels, int numClasses = 0)
    {
        int k = numClasses;
        foreach (int y in labels)
        {
            if (y < 0) throw new ArgumentOutOfRangeException(nameof(labels), $"class counts: negative label {y}");
            k = Math.Max(k, y + 1);
        }
        if (numClasses > 0 && k > numClasses)
            throw new ArgumentOutOfRangeException(nameof(labels), $"class counts: label {k - 1} is outside 0..{numClasses - 1}");
        var c = new int[k];
        foreach (int y in labels) c[y]++;
        return c;
    }

    /// <summary>The indices of each class, ascending (classes 0..max(label); an absent class gets an empty array).</summary>
    public static int[][] ByClass(int[] labels)
    {
        var counts = Counts(labels);
        var r = new int[counts.Length][];
        for (int c = 0; c < r.Length; c++) r[c] = new int[counts[c]];
        var fill = new int[counts.Length];
        for (int i = 0; i < labels.Length; i++) r[labels[i]][fill[labels[i]]++] = i;
        return r;
    }
}
