namespace Engine.Kernels.Cpu;

/// <summary>Splits work over the cores only when it is big enough to pay for the fork.</summary>
internal static class Par
{
    /// <summary>Elements below which a loop stays on one thread.</summary>
    public const int MinParallelElements = 1 << 15;

    /// <summary>
    /// Elements below which an elementwise or copy loop stays on one thread. Higher than <see cref="MinParallelElements"/>:
    /// such loops move ~12 bytes per element at memory speed, so a [32,1024] add (32K elements) takes ~8 us on one core,
    /// less than the Parallel.For handoff costs on a busy machine (~20 us measured), and a recurrent net does several
    /// per step.
    /// </summary>
    public const int MinParallelElementwise = 1 << 17;

    public static int Threads => Environment.ProcessorCount;

    /// <summary>Runs body(start, end) over [0, n) in one chunk per core when work (total elements touched) is large.</summary>
    public static void For(int n, long work, Action<int, int> body)
    {
        int threads = Threads;
        if (n <= 1 || threads <= 1 || work < MinParallelElements) { body(0, n); return; }
        int chunks = Math.Min(n, threads * 4);
        System.Threading.Tasks.Parallel.For(0, chunks, c =>
        {
            int s = (int)((long)n * c / chunks), e = (int)((long)n * (c + 1) / chunks);
            if (s < e) body(s, e);
        });
    }
}
