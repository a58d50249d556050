namespace Engine.Data;

/// <summary>
/// PyTorch's DistributedSampler: each epoch one permutation of [0, n) drawn from a generator seeded
/// with seed + epoch (the same on every rank, whatever the loader's own generator), padded by repeating
/// its first indices up to a multiple of numReplicas (or, with dropLast, cut down to one), and rank r
/// takes indices r, r + N, r + 2N, ... So N ranks at batch B see, batch for batch, the samples one
/// rank sees at batch N·B: batch k of rank r is every N-th sample of batch k of the single rank.
/// </summary>
/// <remarks>
/// The loader passes its epoch, so <see cref="SetEpoch"/> is only needed where epochs are counted elsewhere.
/// <para>Mid-epoch resume on any rank count: after k batches of B on each of N ranks the first k·B·N entries of the
/// epoch's permutation are done (<see cref="Position"/>; a checkpoint stores it). <see cref="ResumeAt"/> on a run
/// of N' ranks deals out the rest of that epoch alone, rank r taking rest entries r, r + N', ... (padded or cut to
/// a multiple of N' as at the start), so every sample of the epoch is seen once. Where k·B·N is a multiple of N'
/// (the same global batch), the batches are those of an uninterrupted N'-rank run.</para>
/// </remarks>
public sealed class DistributedSampler : ISampler
{
    private int? _epoch;
    private (int epoch, int position)? _resume;

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

    /// <summary>Samples of one rank per epoch: ceil(n / N), or floor(n / N) with dropLast (of the rest, in a resumed epoch).</summary>
    public int NumSamples(int epoch)
    {
        int rest = Count - Start(_epoch ?? epoch);
        return DropLast ? rest / NumReplicas : (rest + NumReplicas - 1) / NumReplicas;
    }

    /// <summary>
    /// Continues epoch mid-way: its first <paramref name="position"/> permutation entries were consumed (by a run on
    /// any number of ranks); in that epoch this rank gets its share of the rest only. Other epochs are whole.
    /// </summary>
    public void ResumeAt(int epoch, int position)
    {
        if (epoch < 0) throw new ArgumentOutOfRangeException(nameof(epoch), $"DistributedSampler.ResumeAt: epoch must be >= 0, got {epoch}");
        if (position < 0 || position > Count)
            throw new ArgumentOutOfRangeException(nameof(position), $"DistributedSampler.ResumeAt: position {position} is outside the epoch's {Count} samples");
        _resume = (epoch, position);
    }

    /// <summary>
    /// Permutation entries of epoch done by every rank together once each rank has taken its first
    /// <paramref name="samplesPerRank"/> samples (batches handed out × batch size): what a checkpoint stores.
    /// </summary>
    public int Position(int epoch, long samplesPerRank)
    {
        int e = _epoch ?? epoch;
        long done = Math.Min(samplesPerRank, NumSamples(e)) * NumReplicas;   // padding entries count up to the end
        return (int)Math.Min(Start(e) + done, Count);
    }

    private int Start(int epoch) => _resume is (int re, int p) && re == epoch ? p : 0;

    /// <summary>Fixes the epoch the permutation is drawn for (overrides the loader's epoch), as PyTorch's set_epoch.</summary>
    public void SetEpoch(int epoch) => _epoch = epoch;

    public int[] EpochIndices(int epoch, Generator generator)
    {
        int e = _epoch ?? epoch;
        var all = Shuffle ? new Generator(Seed + e).Permutation(Count) : Enumerable.Range(0, Count).ToArray();
        int start = Start(e), rest = Count - start;          // a resumed epoch deals out all[start..] alone
        int per = NumSamples(e);
        var mine = new int[per];
        for (int i = 0; i < per; i++)
        {
            int j = Rank + i * NumReplicas;                 // position in the padded rest of the permutation
            mine[i] = all[start + j % rest];                // padding repeats the head (j >= rest only without dropLast)
        }
        return mine;
    }
}
