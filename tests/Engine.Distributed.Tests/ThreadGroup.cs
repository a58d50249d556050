namespace Engine.Distributed.Tests;

/// <summary>
/// An in-process group of ranks, one thread each, for testing collectives' users without MPI. Sums add the ranks'
/// values in rank order (0 + 1 + ...), so every rank gets bit-identical results, as from MPI's reduction.
/// </summary>
internal sealed class ThreadGroup
{
    private readonly Barrier _barrier;
    private readonly float[][] _slots;

    private ThreadGroup(int size)
    {
        _barrier = new Barrier(size);
        _slots = new float[size][];
    }

    /// <summary>Runs body(comm) on size threads, one rank each; rethrows the first failure.</summary>
    public static void Run(int size, Action<ICommunicator> body)
    {
        var g = new ThreadGroup(size);
        var errors = new Exception?[size];
        var threads = Enumerable.Range(0, size).Select(r => new Thread(() =>
        {
            try { body(new Member(g, r)); }
            catch (Exception e) { errors[r] = e; g._barrier.Dispose(); }   // the others' next collective fails instead of hanging
        }, 16 << 20)).ToArray();
        foreach (var t in threads) t.Start();
        foreach (var t in threads) Assert.True(t.Join(TimeSpan.FromSeconds(60)), "a rank of the thread group hung");
        foreach (var e in errors) if (e != null && e is not ObjectDisposedException) throw new AggregateException(e);
        foreach (var e in errors) if (e != null) throw new AggregateException(e);
    }

    private sealed class Member(ThreadGroup g, int rank) : ICommunicator
    {
        public int Rank => rank;
        public int Size => g._slots.Length;

        public void AllreduceSum(Span<float> data)
        {
            g._slots[rank] = data.ToArray();
            g._barrier.SignalAndWait();
            for (int i = 0; i < data.Length; i++)
            {
                float s = g._slots[0][i];
                for (int r = 1; r < Size; r++) s += g._slots[r][i];
                data[i] = s;
            }
            g._barrier.SignalAndWait();
        }

        public void Broadcast(Span<float> data, int root = 0)
        {
            if (rank == root) g._slots[root] = data.ToArray();
            g._barrier.SignalAndWait();
            g._slots[root].CopyTo(data);
            g._barrier.SignalAndWait();
        }

        public void Barrier() => g._barrier.SignalAndWait();
        public void Dispose() { }
    }
}
