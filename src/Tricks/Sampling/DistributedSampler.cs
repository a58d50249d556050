namespace Engine.Data;

/// <summary>
/// PyTorch's DistributedSampler: each epoch one permutation of [0, n) drawn from a generator seeded
/// with seed + epoch (the same on every rank, whatever the loader's own generator), padded by repeating
/// its first indices up to a multiple of numReplicas (or, with dropLast, cut down to one), and rank r
/// takes indices r, r + N, r + 2N, ... So N ranks at batch B see, batch for batch, the samples one
/// rank sees at batch N·B: batch k of rank r is every N-th sample of batch k of the single rank.
/// </summary>
/// <remarks>The loader passes its epoch, so <see cref="SetEpoch"/> is only needed where epochs are counted elsewhere.</remarks>
public sealed class DistributedSampler : ISampler
{
    private int? _epoch;

    public DistributedSampler(int count, int numReplicas, int rank, bool shuffle = true, long seed = 0, bool dropLast = false)
    {
        if (count < 0) throw new ArgumentOutOfRangeException(nameof(count), $"DistributedSampler: dataset size must be >= 0, got {count}");
        if (numReplicas < 1) throw new ArgumentOutOfRangeException(nameof(numReplicas), $"DistributedSampler: numReplicas must be >= 1, got {numReplicas}");
        if (rank < 0 || rank >= numReplicas) throw new ArgumentOutOfRangeException(nameof(rank), $"DistributedSampler: rank {rank} is not in [0, {numReplicas})");
        if (dropLast && count < numReplicas) throw new ArgumentException($"DistributedSampler: dropLast with {count} samples for {numReplicas} ranks leaves every rank empty");
        Count = count; NumReplicas = numReplicas; Rank = rank; Shuffle = shuffle; Seed = seed; DropLast = dropLast;
    }

    /// <summary>A sampler for this process's rank in comm.</summary>
    public DistributedSampler(int count, Distributed.ICommunicator comm, bool shuffle = true, long seed = 0, bool dropLast = false)
        : this(count, comm.Size, comm.Rank, shuffle, seed, dropLast) { }

    public int Count { get; }
    public int NumReplicas { get; }
    public int Rank { get; }
    public bool Shuffle { get; }
    public long Seed { get; }
    public bool DropLast { get; }

    /// <summary>Samples of one rank per epoch: ceil(n / N), or floor(n / N) with dropLast.</summary>
    public int NumSamples(int epoch) => DropLast ? Count / NumReplicas : (Count + NumReplicas - 1) / NumReplicas;

    /// <summary>Fixes the epoch the permutation is drawn for (overrides the loader's epoch), as PyTorch's set_epoch.</summary>
    public void SetEpoch(int epoch) => _epoch = epoch;

    public int[] EpochIndices(int epoch, Generator generator)
    {
        int e = _epoch ?? epoch;
        var all = Shuffle ? new Generator(Seed + e).Permutation(Count) : Enumerable.Range(0, Count).ToArray();
        int per = NumSamples(e);
        var mine = new int[per];
        for (int i = 0; i < per; i++)
        {
            int j = Rank + i * NumReplicas;                 // position in the padded permutation
            mine[i] = all[j % Count];                       // padding repeats the head (j >= Count only without dropLast)
        }
        return mine;
    }
}
