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
}

/// <summary>The samples of a dataset at the given indices, in that order.</summary>
public sealed class Subset<T> : IDataset<T>
{
    private readonly IDataset<T> _dataset;

    public Subset(IDataset<T> dataset, int[] indices)
    {
        _dataset = dataset;
        foreach (int i in indices) Dataset.CheckIndex(i, dataset.Count, "subset");
        Indices = indices;
    }

    public int[] Indices { get; }
    public int Count => Indices.Length;
    public T this[int index]
    {
        get { Dataset.CheckIndex(index, Count, "subset"); return _dataset[Indices[index]]; }
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
    public int Count => dataset.Count;
    public (Tensor x, int y) this[int index]
    {
        get
        {
            var (x, y) = dataset[index];
            var r = Transform.Apply(x);
            if (!ReferenceEquals(r, x)) x.Dispose();
            return (r, y);
        }
    }
}
