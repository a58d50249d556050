namespace Engine.Data;

/// <summary>
/// Chooses the sample indices of one epoch (PyTorch's Sampler). The loader passes its own generator,
/// so every random draw of a sampler is part of the loader's checkpointable state.
/// </summary>
public interface ISampler
{
    /// <summary>How many indices <see cref="EpochIndices"/> returns for this epoch.</summary>
    int NumSamples(int epoch);

    /// <summary>The indices of one epoch, in the order the loader batches them.</summary>
    int[] EpochIndices(int epoch, Generator generator);
}

/// <summary>0, 1, ..., n-1 every epoch.</summary>
public sealed class SequentialSampler(int count) : ISampler
{
    public int NumSamples(int epoch) => count;
    public int[] EpochIndices(int epoch, Generator generator)
    {
        var r = new int[count];
        for (int i = 0; i < count; i++) r[i] = i;
        return r;
    }
}

/// <summary>A fresh uniform permutation of [0, n) every epoch (Fisher-Yates from the loader's generator).</summary>
public sealed class RandomSampler(int count) : ISampler
{
    public int NumSamples(int epoch) => count;
    public int[] EpochIndices(int epoch, Generator generator) => generator.Permutation(count);
}

/// <summary>A fixed list of indices (e.g. from a one-shot resampler), shuffled every epoch when asked.</summary>
public sealed class IndexSampler(int[] indices, bool shuffle = true) : ISampler
{
    public int NumSamples(int epoch) => indices.Length;
    public int[] EpochIndices(int epoch, Generator generator)
    {
        if (!shuffle) return (int[])indices.Clone();
        var p = generator.Permutation(indices.Length);
        var r = new int[indices.Length];
        for (int i = 0; i < r.Length; i++) r[i] = indices[p[i]];
        return r;
    }
}
