namespace Engine.Data;

/// <summary>
/// A dataset: a length and random access by index (PyTorch's map-style Dataset).
/// Image datasets yield <c>(Tensor x [C,H,W], int label)</c>; indexing returns a new tensor that the
/// caller owns (the default collate disposes it once copied into the batch).
/// </summary>
public interface IDataset<out T>
{
    /// <summary>Number of samples.</summary>
    int Count { get; }

    /// <summary>Sample i, 0 &lt;= i &lt; Count.</summary>
    T this[int index] { get; }
}

/// <summary>
/// A dataset that knows every sample's label without reading the sample (a folder of images lists them from its
/// sub-folders): <see cref="Dataset.Labels"/>, samplers and splits then never decode a sample to learn its class.
/// </summary>
public interface ILabeledDataset
{
    /// <summary>The label of every sample, in order (a copy).</summary>
    int[] Labels { get; }
}

/// <summary>Helpers shared by datasets.</summary>
public static class Dataset
{
    /// <summary>Throws an <see cref="ArgumentOutOfRangeException"/> naming the dataset and the valid range.</summary>
    public static void CheckIndex(int index, int count, string name)
    {
        if ((uint)index >= (uint)count)
            throw new ArgumentOutOfRangeException(nameof(index), $"{name}: index {index} is outside 0..{count - 1} ({count} samples)");
    }

    /// <summary>The samples at the given indices (a view: nothing is copied).</summary>
    public static Subset<T> Subset<T>(IDataset<T> dataset, int[] indices) => new(dataset, indices);

    /// <summary>Applies a per-sample image transform (augmentation, normalization) when a sample is read.</summary>
    public static TransformedDataset Transform(IDataset<(Tensor x, int y)> dataset, ITransform transform) => new(dataset, transform);

    /// <summary>
    /// The label of every sample, in order. In-memory datasets and subsets or transformed views of them answer
    /// without reading a sample; any other dataset is read once (each sample's tensor disposed).
    /// </summary>
    public static int[] Labels(IDataset<(Tensor x, int y)> dataset)
    {
        switch (dataset)
        {
            case TensorDataset td: return (int[])td.Labels.Clone();
            case ILabeledDataset l: return l.Labels;
            case TransformedDataset t: return Labels(t.Source);
            case Subset<(Tensor x, int y)> s:
                var inner = Labels(s.Dataset);
                return s.Indices.Select(i => inner[i]).ToArray();
        }
        var r = new int[dataset.Count];
        for (int i = 0; i < r.Length; i++)
        {
            var (x, y) = dataset[i];
            x.Dispose();
            r[i] = y;
        }
        return r;
    }

    /// <summary>
    /// When dataset is a <see cref="TensorDataset"/> or a subset of one (however nested), that dataset and the rows
    /// of it in order (rows is null for the dataset itself): the fast paths read rows straight from memory.
    /// </summary>
    internal static bool TryInMemory(IDataset<(Tensor x, int y)> dataset, out TensorDataset source, out int[]? rows)
    {
        switch (dataset)
        {
            case TensorDataset td: source = td; rows = null; return true;
            case Subset<(Tensor x, int y)> s when TryInMemory(s.Dataset, out source, out var innerRows):
                rows = innerRows == null ? s.Indices : s.Indices.Select(i => innerRows[i]).ToArray();
                return true;
        }
        source = null!; rows = null;
        return false;
    }
}

/// <summary>
/// The samples of a dataset at the given indices, in that order (PyTorch's Subset): a view, so the splits of
/// <see cref="DataSplit"/> go straight into scalers (<see cref="Standardize.Fit"/>), samplers, transforms and
/// <see cref="DataLoader"/>, which read a subset of an in-memory dataset as fast as the dataset itself.
/// </summary>
public sealed class Subset<T> : IDataset<T>
{
    public Subset(IDataset<T> dataset, int[] indices)
    {
        Dataset = dataset;
        foreach (int i in indices) Engine.Data.Dataset.CheckIndex(i, dataset.Count, "subset");
        Indices = indices;
    }

    /// <summary>The dataset the samples come from.</summary>
    public IDataset<T> Dataset { get; }

    /// <summary>Indices into <see cref="Dataset"/>, in this subset's order.</summary>
    public int[] Indices { get; }
    public int Count => Indices.Length;
    public T this[int index]
    {
        get { Engine.Data.Dataset.CheckIndex(index, Count, "subset"); return Dataset[Indices[index]]; }
    }
}

/// <summary>
/// A dataset whose images pass through a transform when read: on the loader's worker thread when
/// prefetching. The transform draws from its own generator; one worker reads samples in order, so the
/// draws (and the augmented images) are the same for the same seeds.
/// </summary>
public sealed class TransformedDataset(IDataset<(Tensor x, int y)> dataset, ITransform transform) : IDataset<(Tensor x, int y)>
{
    public ITransform Transform { get; } = transform;

    /// <summary>The dataset whose samples are transformed.</summary>
    public IDataset<(Tensor x, int y)> Source { get; } = dataset;
    public int Count => Source.Count;
    public (Tensor x, int y) this[int index]
    {
        get
        {
            var (x, y) = Source[index];
            var r = Transform.Apply(x);
            if (!ReferenceEquals(r, x)) x.Dispose();
            return (r, y);
        }
    }
}
