namespace Engine.Kernels.Cpu;

/// <summary>Splits work over the cores only when it is big enough to pay for the fork.</summary>
internal static class Par
{
    /// <summary>Elements below which a loop stays on one thread.</summary>
    public const int MinParallelElements = 1 << 15;

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
