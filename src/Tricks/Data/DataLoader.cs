using System.Collections;
using System.Collections.Concurrent;

namespace Engine.Data;

/// <summary>Where a loader stands: the epoch, the batches of it already handed out, and the generator
/// state at the start of that epoch (so the same epoch order is drawn again on resume).</summary>
public sealed record DataLoaderState(int Epoch, int BatchIndex, ulong[] Generator);

/// <summary>
/// Batches a dataset: x [B, ...] (Float32) and y [B] (Int32). One <c>foreach</c> is one epoch.
/// </summary>
/// <remarks>
/// <para>Order: the sampler (sequential, a fresh permutation when <c>shuffle</c>, or one given) draws
/// each epoch's indices on the consumer's thread from the loader's own <see cref="Generator"/>, forked
/// from <see cref="Engine.Generator.Default"/> at construction unless one is given. Same seed, same
/// batches, in the same order, whatever the prefetch depth.</para>
/// <para>Prefetch: with prefetch = N &gt; 0 one background thread reads and collates the next N batches
/// in order while the trainer works; batches come out in sampler order (a single worker, a FIFO queue).
/// Batches are made outside any <see cref="TensorScope"/> (the worker has none; without prefetch the
/// consumer's scope is suspended while loading), so they are owned by the consumer: dispose them (the
/// <see cref="Engine.Training.Trainer"/> does, as for every <see cref="IFreshBatches"/>). Left to the GC, a batch's
/// arrays are freed but not recycled, so the pool allocates afresh each step. An exception on the worker is rethrown to the consumer at
/// the batch where it happened.</para>
/// <para>Position: <see cref="Epoch"/> and <see cref="BatchIndex"/> (batches of the current epoch
/// handed out). An epoch left early (break) resumes at the next batch on the next <c>foreach</c>;
/// <see cref="GetState"/>/<see cref="SetState"/> save and restore the position for checkpoints.</para>
/// </remarks>
public sealed class DataLoader : IFreshBatches
{
    private readonly IDataset<(Tensor x, int y)> _dataset;
    private readonly Func<IReadOnlyList<(Tensor x, int y)>, (Tensor x, Tensor y)>? _collate;
    private ulong[]? _epochStart;   // generator state before this epoch's draw; null between epochs
    private bool _running;
    private readonly TensorDataset? _inMemory;   // the fast path: rows copied straight into the batch
    private readonly int[]? _rows;               // the rows of _inMemory a subset maps to (null: all, in order)

    public DataLoader(IDataset<(Tensor x, int y)> dataset, int batchSize, bool shuffle = false, bool dropLast = false,
        Func<IReadOnlyList<(Tensor x, int y)>, (Tensor x, Tensor y)>? collate = null, Generator? generator = null,
        int prefetch = 2, ISampler? sampler = null)
    {
        if (batchSize <= 0) throw new ArgumentOutOfRangeException(nameof(batchSize), $"DataLoader: batch size must be positive, got {batchSize}");
        if (prefetch < 0) throw new ArgumentOutOfRangeException(nameof(prefetch), $"DataLoader: prefetch must be >= 0 batches, got {prefetch}");
        if (sampler != null && shuffle) throw new ArgumentException("DataLoader: give either shuffle: true or a sampler, not both (the sampler decides the order)");
        _dataset = dataset;
        _collate = collate;
        if (collate == null && Dataset.TryInMemory(dataset, out var td, out var rows)) { _inMemory = td; _rows = rows; }
        BatchSize = batchSize; DropLast = dropLast; Prefetch = prefetch;
        Sampler = sampler ?? (shuffle ? new RandomSampler(dataset.Count) : new SequentialSampler(dataset.Count));
        Generator = generator ?? Engine.Generator.Default.Fork();
    }

    public int BatchSize { get; }
    public bool DropLast { get; }
    public int Prefetch { get; }
    public ISampler Sampler { get; }

    /// <summary>The generator every shuffle or sampler draw of this loader comes from.</summary>
    public Generator Generator { get; }

    /// <summary>Completed epochs (the epoch the next or current foreach runs).</summary>
    public int Epoch { get; private set; }

    /// <summary>Batches of the current epoch already handed out.</summary>
    public int BatchIndex { get; private set; }

    /// <summary>Number of batches in the current epoch.</summary>
    public int Count => BatchCount(Sampler.NumSamples(Epoch));

    private int BatchCount(int n) => DropLast ? n / BatchSize : (n + BatchSize - 1) / BatchSize;

    public DataLoaderState GetState() => new(Epoch, BatchIndex, _epochStart ?? Generator.GetState());

    public void SetState(DataLoaderState state)
    {
        if (_running) throw new InvalidOperationException("DataLoader.SetState: cannot change the position while an epoch is being enumerated");
        if (state.Epoch < 0 || state.BatchIndex < 0) throw new ArgumentOutOfRangeException(nameof(state), $"DataLoader.SetState: negative position (epoch {state.Epoch}, batch {state.BatchIndex})");
        Generator.SetState(state.Generator);
        Epoch = state.Epoch; BatchIndex = state.BatchIndex;
        _epochStart = state.BatchIndex > 0 ? (ulong[])state.Generator.Clone() : null;
    }

    public IEnumerator<(Tensor x, Tensor y)> GetEnumerator()
    {
        if (_running) throw new InvalidOperationException("DataLoader: an epoch is already being enumerated; one foreach at a time");
        _running = true;
        try
        {
            // Draw this epoch's order on the consumer thread. Mid-epoch (resumed or left early), rewind
            // the generator to the epoch start so the same order is drawn again.
            if (_epochStart != null) Generator.SetState(_epochStart);
            else _epochStart = Generator.GetState();
            var order = Sampler.EpochIndices(Epoch, Generator);
            int nb = BatchCount(order.Length);
            if (BatchIndex > nb) throw new InvalidOperationException($"DataLoader: position batch {BatchIndex} is past the {nb} batches of epoch {Epoch}");
            var batches = new int[nb][];
            for (int b = 0; b < nb; b++)
                batches[b] = order[(b * BatchSize)..Math.Min(order.Length, (b + 1) * BatchSize)];

            var source = Prefetch == 0 ? Synchronous(batches, BatchIndex) : Prefetched(batches, BatchIndex);
            foreach (var batch in source)
            {
                BatchIndex++;
                yield return batch;
            }
            Epoch++; BatchIndex = 0; _epochStart = null;
        }
        finally { _running = false; }
    }

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    private (Tensor x, Tensor y) Load(int[] indices)
    {
        if (_inMemory != null)
            return Collate.Rows(_inMemory, _rows == null ? indices : Array.ConvertAll(indices, i => _rows[i]));
        var samples = new (Tensor x, int y)[indices.Length];
        for (int i = 0; i < indices.Length; i++) samples[i] = _dataset[indices[i]];
        return (_collate ?? Collate.Stack)(samples);
    }

    private IEnumerable<(Tensor x, Tensor y)> Synchronous(int[][] batches, int start)
    {
        for (int b = start; b < batches.Length; b++)
        {
            // Untracked, as on the worker: batches belong to the consumer with or without prefetching.
            (Tensor x, Tensor y) batch;
            using (TensorScope.Suspend()) batch = Load(batches[b]);
            yield return batch;
        }
    }

    private IEnumerable<(Tensor x, Tensor y)> Prefetched(int[][] batches, int start)
    {
        using var queue = new BlockingCollection<(Tensor x, Tensor y)>(boundedCapacity: Prefetch);
        using var stop = new CancellationTokenSource();
        Exception? error = null; int failedAt = -1;
        var worker = new Thread(() =>
        {
            int b = start;
            try
            {
                for (; b < batches.Length; b++)
                {
                    var batch = Load(batches[b]);
                    try { queue.Add(batch, stop.Token); }
                    catch (OperationCanceledException) { batch.x.Dispose(); batch.y.Dispose(); return; }
                }
            }
            catch (Exception e) { error = e; failedAt = b; }
            finally { queue.CompleteAdding(); }
        }) { IsBackground = true, Name = "DataLoader prefetch" };
        worker.Start();
        try
        {
            foreach (var batch in queue.GetConsumingEnumerable()) yield return batch;
            worker.Join();
            if (error != null)
                throw new InvalidOperationException($"DataLoader: the prefetch worker failed on batch {failedAt} of epoch {Epoch}: {error.Message}", error);
        }
        finally
        {
            // Left early (break, exception in the consumer): stop the worker, free what it made.
            stop.Cancel();
            worker.Join();
            while (queue.TryTake(out var rest)) { rest.x.Dispose(); rest.y.Dispose(); }
        }
    }
}
