using System.Diagnostics;
using Engine.Kernels.Gemm;

namespace Engine.Bench;

/// <summary>
/// The GEMM micro-kernel alone on L1-resident packed panels (kc = KC, one tile, no packing, no C traffic worth
/// counting): the ceiling the full GEMM can approach, at every width the machine supports. Runs on 1 thread, then on
/// every core at once. `dotnet bench/Engine.Bench/bin/Release/net10.0/Engine.Bench.dll peak`
/// </summary>
internal static unsafe class Peak
{
    public static int Run()
    {
        foreach (var level in CpuSettings.SupportedLevels.Reverse())
            foreach (int threads in new[] { 1, Environment.ProcessorCount })
                Console.WriteLine(Describe(level, threads, Measure(level, threads)));
        return 0;
    }

    /// <summary>The best of five rounds, in GFLOP/s, of the level's micro-kernel on `threads` threads at once.</summary>
    public static double Measure(SimdLevel level, int threads)
    {
        var tile = new GemmTile(level);
        double best = 0;
        for (int round = 0; round < 5; round++)
        {
            long calls = 0; var sw = Stopwatch.StartNew();
            Parallel.For(0, threads, new ParallelOptions { MaxDegreeOfParallelism = threads }, _ => Interlocked.Add(ref calls, Loop(tile, 20000)));
            best = Math.Max(best, calls * 2.0 * tile.MR * tile.NR * tile.KC / sw.Elapsed.TotalSeconds / 1e9);
        }
        return best;
    }

    public static string Describe(SimdLevel level, int threads, double gflops)
    {
        var t = new GemmTile(level);
        return $"{level} micro-kernel {t.MR}x{t.NR}, kc {t.KC}, {threads} thread(s): {gflops:F1} GFLOP/s";
    }

    private static long Loop(GemmTile tile, int calls)
    {
        var a = GC.AllocateArray<float>(tile.MR * tile.KC + 16, pinned: true);
        var b = GC.AllocateArray<float>(tile.NR * tile.KC + 16, pinned: true);
        var c = GC.AllocateArray<float>(tile.MR * tile.NR + 16, pinned: true);
        fixed (float* ap = a, bp = b, cp = c)
        {
            float* a64 = (float*)(((nint)ap + 63) & ~(nint)63), b64 = (float*)(((nint)bp + 63) & ~(nint)63), c64 = (float*)(((nint)cp + 63) & ~(nint)63);
            for (int i = 0; i < calls; i++)
                switch (tile.Level)
                {
                    case SimdLevel.Avx512: MicroKernel512.Run(tile.KC, a64, b64, c64, tile.NR, tile.MR, tile.NR, accumulate: true); break;
                    case SimdLevel.Avx2: MicroKernel.Run(tile.KC, a64, b64, c64, tile.NR, tile.MR, tile.NR, accumulate: true); break;
                    default: MicroKernel.RunScalar(tile.KC, a64, b64, c64, tile.NR, tile.MR, tile.NR, accumulate: true); break;
                }
        }
        return calls;
    }
}
