using System.Diagnostics;
using Engine.Kernels.Gemm;

namespace Engine.Bench;

/// <summary>
/// The GEMM micro-kernel alone on L1-resident packed panels (kc = KC, one 6x16 tile, no packing, no C traffic worth
/// counting): the ceiling the full GEMM can approach. Runs on 1 thread, then on every core at once.
/// `dotnet bench/Engine.Bench/bin/Release/net10.0/Engine.Bench.dll peak`
/// </summary>
internal static unsafe class Peak
{
    public static int Run()
    {
        foreach (int threads in new[] { 1, Environment.ProcessorCount })
        {
            double best = 0;
            for (int round = 0; round < 5; round++)
            {
                long calls = 0; var sw = Stopwatch.StartNew();
                Parallel.For(0, threads, new ParallelOptions { MaxDegreeOfParallelism = threads }, _ => Interlocked.Add(ref calls, Loop(20000)));
                best = Math.Max(best, calls * 2.0 * Sgemm.MR * Sgemm.NR * Sgemm.KC / sw.Elapsed.TotalSeconds / 1e9);
            }
            Console.WriteLine($"micro-kernel {Sgemm.MR}x{Sgemm.NR}, kc {Sgemm.KC}, {threads} thread(s): {best:F1} GFLOP/s ({100 * best / Compare.PeakGflops:F1}% of the {Compare.PeakGflops} GFLOP/s two-core peak)");
        }
        return 0;
    }

    private static long Loop(int calls)
    {
        var a = GC.AllocateArray<float>(Sgemm.MR * Sgemm.KC + 16, pinned: true);
        var b = GC.AllocateArray<float>(Sgemm.NR * Sgemm.KC + 16, pinned: true);
        var c = GC.AllocateArray<float>(Sgemm.MR * Sgemm.NR + 16, pinned: true);
        fixed (float* ap = a, bp = b, cp = c)
        {
            float* a64 = (float*)(((nint)ap + 63) & ~(nint)63), b64 = (float*)(((nint)bp + 63) & ~(nint)63), c64 = (float*)(((nint)cp + 63) & ~(nint)63);
            for (int i = 0; i < calls; i++) MicroKernel.Run(Sgemm.KC, a64, b64, c64, Sgemm.NR, Sgemm.MR, Sgemm.NR, accumulate: true);
        }
        return calls;
    }
}
