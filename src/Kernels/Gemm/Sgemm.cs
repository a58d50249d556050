using System.Runtime.CompilerServices;
using Engine.Kernels.Cpu;

namespace Engine.Kernels.Gemm;

// Packed, register-blocked single-precision GEMM (the BLIS loop nest).
//   C[M,N] (= or +=) A[M,K] * B[K,N],  A(i,k) = a[i*rsA + k*csA],  B(k,j) = b[k*rsB + j*csB],  C row-major with ldc.
// Loops, outer to inner:
//   jc over N in NC columns   - the packed B block (K x NC) lives in L3
//   (pack all of B for this jc, panels of NR columns, split over the cores)
//   ic over M in mc rows      - one task per (ic, column range); the cores take tasks dynamically
//     pc over K in KC         - pack the mc x KC block of A (L2: 144 x 256 x 4 B = 144 KiB of 512 KiB)
//       jr over NR panels     - the KC x NR panel of B stays in L1 (16 KiB of 32 KiB)
//         ir over MR panels   - micro-kernel: 6 x 16 tile in registers
// Transposed or strided operands cost nothing extra: only the packing reads them.
public static unsafe class Sgemm
{
    public const int MR = 6, NR = 16, KC = 256, MCMax = 144, NC = 4096;

    /// <summary>Below this many multiply-adds the work stays on the calling thread.</summary>
    public const long ParallelThreshold = 1L << 17;

    private const int TasksPerThread = 4, MinPanelsPerTask = 4;

    [ThreadStatic] private static float[]? t_aPack;
    [ThreadStatic] private static float[]? t_bPack;

    /// <summary>C = A*B (accumulate: C += A*B). parallel: may use every core (never pass true from inside a parallel loop).</summary>
    public static void Run(int M, int N, int K, float* a, int rsA, int csA, float* b, int rsB, int csB,
        float* c, int ldc, bool accumulate, bool parallel = true)
    {
        if (M <= 0 || N <= 0) return;
        if (K <= 0)
        {
            if (!accumulate) for (int i = 0; i < M; i++) new Span<float>(c + (long)i * ldc, N).Clear();
            return;
        }
        int threads = parallel && (long)M * N * K >= ParallelThreshold ? Par.Threads : 1;
        // Row blocks of at most MCMax rows, as even as MR allows.
        int icBlocks = (M + MCMax - 1) / MCMax;
        int mc = RoundUp((M + icBlocks - 1) / icBlocks, MR);
        icBlocks = (M + mc - 1) / mc;
        for (int jc = 0; jc < N; jc += NC)
        {
            int nc = Math.Min(NC, N - jc), ncR = RoundUp(nc, NR), panels = ncR / NR;
            var bBuf = Buffer(ref t_bPack, (long)K * ncR);
            fixed (float* bp0 = bBuf)
            {
                float* bj = b + (long)jc * csB; float* bpp = Align64(bp0);
                // Pack B: block pc holds panels [panel][k][NR] at bp + pc*ncR.
                int nPackTasks = threads > 1 ? Math.Min(panels, threads * 4) : 1;
                if (nPackTasks > 1)
                    Parallel.For(0, nPackTasks, t => PackBRange(bj, rsB, csB, K, nc, bpp, panels * t / nPackTasks, panels * (t + 1) / nPackTasks));
                else PackBRange(bj, rsB, csB, K, nc, bpp, 0, panels);

                // About TasksPerThread tasks per core (columns split too when rows are few, down to MinPanelsPerTask
                // panels a task): Parallel.For hands them out dynamically, so a core that the OS takes away for a while
                // (a shared machine) does not hold up the others.
                int want = threads * TasksPerThread;
                int nSplit = icBlocks >= want ? 1 : Math.Max(1, Math.Min(panels / MinPanelsPerTask, (want + icBlocks - 1) / icBlocks));
                int tasks = icBlocks * nSplit;
                float* cj = c + jc;
                if (threads > 1 && tasks > 1)
                    Parallel.For(0, tasks, t => Task(t, nSplit, panels, M, K, mc, nc, a, rsA, csA, bpp, ncR, cj, ldc, accumulate));
                else
                    for (int t = 0; t < tasks; t++) Task(t, nSplit, panels, M, K, mc, nc, a, rsA, csA, bpp, ncR, cj, ldc, accumulate);
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]

    private static void PackBRange(float* b, int rsB, int csB, int K, int nc, float* bp, int p0, int p1)
    {
        int ncR = RoundUp(nc, NR);
        for (int pc = 0; pc < K; pc += KC)
        {
            int kc = Math.Min(KC, K - pc);
            for (int p = p0; p < p1; p++)
            {
                int j0 = p * NR;
                Packing.PackBPanel(b + (long)pc * rsB + (long)j0 * csB, rsB, csB, kc, Math.Min(NR, nc - j0), bp + (long)pc * ncR + (long)j0 * kc);
            }
        }
    }

    /// <summary>One row block of C (rows [ic, ic+mc)) over one range of B panels, all of K.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Task(int t, int nSplit, int panels, int M, int K, int mc, int nc, float* a, int rsA, int csA,
        float* bp, int ncR, float* c, int ldc, bool accumulate)
    {
        int ic = t / nSplit * mc, s = t % nSplit;
        int m = Math.Min(mc, M - ic);
        int p0 = panels * s / nSplit, p1 = panels * (s + 1) / nSplit;
        if (p0 >= p1) return;
        var aBuf = Buffer(ref t_aPack, (long)MCMax * KC);
        fixed (float* ap0 = aBuf)
        {
            float* ap = Align64(ap0);
            for (int pc = 0; pc < K; pc += KC)
            {
                int kc = Math.Min(KC, K - pc);
                bool acc = accumulate || pc > 0;
                Packing.PackA(a + (long)ic * rsA + (long)pc * csA, rsA, csA, m, kc, ap);
                float* bBlock = bp + (long)pc * ncR;
                for (int p = p0; p < p1; p++)
                {
                    int j0 = p * NR, n = Math.Min(NR, nc - j0);
                    float* bPanel = bBlock + (long)j0 * kc;
                    for (int ir = 0; ir < m; ir += MR)
                        MicroKernel.Run(kc, ap + ir * kc, bPanel, c + (long)(ic + ir) * ldc + j0, ldc, Math.Min(MR, m - ir), n, acc);
                }
            }
        }
    }

    /// <summary>The first 64-byte (cache line) boundary at or after p: packed panels are read with 32-byte loads that must not straddle lines.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float* Align64(float* p) => (float*)(((nint)p + 63) & ~(nint)63);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int RoundUp(int x, int m) => (x + m - 1) / m * m;

    /// <summary>A pinned per-thread scratch buffer of at least n floats (grown, never shrunk).</summary>
    private static float[] Buffer(ref float[]? cache, long n)
    {
        if (cache == null || cache.Length < n)
            cache = GC.AllocateUninitializedArray<float>((int)Math.Max(n, 1024) + 16, pinned: true); // + 16: room to align
        return cache;
    }
}
