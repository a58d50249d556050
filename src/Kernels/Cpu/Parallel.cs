namespace Engine.Kernels.Cpu;

/// <summary>
/// Splits work over the cores only when it is big enough to pay for the fork, on at most <see cref="CpuSettings.Threads"/>
/// threads. How work is split never changes a result: each output element is computed by one task, and sums that span
/// tasks are split into chunks fixed by the shape (<see cref="FixedChunks"/>), not by the thread count.
/// </summary>
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

    /// <summary>
    /// Partial sums a split reduction (the convolution's weight gradient) uses, whatever the thread count: enough for 8
    /// cores, few enough that the partials stay small. Changing it changes the bits of those sums.
    /// </summary>
    public const int FixedChunks = 8;

    public static int Threads => CpuSettings.Threads;

    private static ParallelOptions Options() => new() { MaxDegreeOfParallelism = Threads };

    /// <summary>Runs body(start, end) over [0, n) in a few chunks per thread when work (total elements touched) is large.</summary>
    public static void For(int n, long work, Action<int, int> body)
    {
        int threads = Threads;
        if (n <= 1 || threads <= 1 || work < MinParallelElements) { body(0, n); return; }
        int chunks = Math.Min(n, threads * 4);
        Parallel.For(0, chunks, Options(), c =>
        {
            int s = (int)((long)n * c / chunks), e = (int)((long)n * (c + 1) / chunks);
            if (s < e) body(s, e);
        });
    }

    /// <summary>body(i) for i in [0, count), spread over at most <see cref="Threads"/> threads (in order on one thread).</summary>
    public static void Each(int count, Action<int> body)
    {
        if (count <= 1 || Threads <= 1) { for (int i = 0; i < count; i++) body(i); return; }
        Parallel.For(0, count, Options(), body);
    }
}
