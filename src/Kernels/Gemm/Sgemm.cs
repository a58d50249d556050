using System.Runtime.CompilerServices;
using Engine.Kernels.Conv;
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


    /// <summary>C = A*B (accumulate: C += A*B). parallel: may use every core (never pass true from inside a parallel loop).</summary>
    public static void Run(int M, int N, int K, float* a, int rsA, int csA, float* b, int rsB, int csB,
        float* c, int ldc, bool accumulate, bool parallel = true) =>
        Run(M, N, K, a, rsA, csA, new StridedB(b, rsB, csB), c, ldc, accumulate, parallel);

    /// <summary>C = A*B where B is packed from any <see cref="IBSource"/> (a strided matrix, or im2col straight from an image).</summary>
    public static void Run<TB>(int M, int N, int K, float* a, int rsA, int csA, TB b,
        float* c, int ldc, bool accumulate, bool parallel = true) where TB : struct, IBSource =>
        Run(M, N, K, a, rsA, csA, null, b, c, ldc, accumulate, parallel);

    /// <summary>Floats <see cref="PackA"/> writes for an M x K operand (without the 16 of alignment room).</summary>
    public static long PackedASize(int M, int K) => (long)RoundUp(M, MR) * K;

    /// <summary>
    /// Packs all of A [M, K] once, for <see cref="RunPackedA{TB}"/> to reuse across many products with the same A
    /// (a convolution's weights, for every image). dst needs <see cref="PackedASize"/> floats; layout: K block pc
    /// at dst + pc*RoundUp(M, MR), its MR-row panels [k][MR] one after the other.
    /// </summary>
    public static void PackA(int M, int K, float* a, int rsA, int csA, float* dst)
    {
        int mR = RoundUp(M, MR);
        PackARange(a, rsA, csA, M, K, mR, dst, 0, mR / MR * ((K + KC - 1) / KC));
    }

    /// <summary>C = A*B with A already packed by <see cref="PackA"/>.</summary>
    public static void RunPackedA<TB>(int M, int N, int K, float* packedA, TB b, float* c, int ldc, bool accumulate,
        bool parallel = true) where TB : struct, IBSource =>
        Run(M, N, K, null, 0, 0, packedA, b, c, ldc, accumulate, parallel);

    private static void Run<TB>(int M, int N, int K, float* a, int rsA, int csA, float* packedA, TB b,
        float* c, int ldc, bool accumulate, bool parallel) where TB : struct, IBSource
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
        int mR = RoundUp(M, MR), aPanels = mR / MR, pcBlocks = (K + KC - 1) / KC;
        float* ap = null;
        float[]? aBuf = null;
        for (int jc = 0; jc < N; jc += NC)
        {
            int nc = Math.Min(NC, N - jc), ncR = RoundUp(nc, NR), panels = ncR / NR;
            // About TasksPerThread tasks per core (columns split too when rows are few, down to MinPanelsPerTask
            // panels a task): Parallel.For hands them out dynamically, so a core that the OS takes away for a while
            // (a shared machine) does not hold up the others.
            int want = threads * TasksPerThread;
            int nSplit = threads == 1 || icBlocks >= want ? 1 : Math.Max(1, Math.Min(panels / MinPanelsPerTask, (want + icBlocks - 1) / icBlocks));
            int tasks = icBlocks * nSplit;
            // When several tasks share a row block, A is packed once, for all of M and K, by the packing pass below
            // (each task would otherwise pack the same block again: 8x the A packing for a 128-row Linear).
            bool shareA = nSplit > 1 || packedA != null;
            bool packA = shareA && aBuf == null && packedA == null;
            if (packA) { aBuf = Buffer(Scratch.GemmAAll, (long)mR * K); }
            var bBuf = Buffer(Scratch.GemmB, (long)K * ncR);
            fixed (float* bp0 = bBuf, aa0 = aBuf)
            {
                float* bpp = Align64(bp0);
                if (packedA != null) ap = packedA;
                else if (aBuf != null) ap = Align64(aa0);
                // One parallel pass packs B (block pc holds panels [panel][k][NR] at bp + pc*ncR) and, when shared,
                // A (block pc holds panels [panel][k][MR] at ap + pc*KC*mR).
                int nB = threads > 1 ? Math.Min(panels, threads * 4) : 1;
                int nA = packA ? Math.Min(aPanels * pcBlocks, threads * 4) : 0;
                float* shared = shareA ? ap : null;
                if (nB + nA > 1)
                    Par.Each(nB + nA, j =>
                    {
                        if (j < nB) PackBRange(b, jc, K, nc, bpp, panels * j / nB, panels * (j + 1) / nB);
                        else
                        {
                            int t = j - nB, total = aPanels * pcBlocks;
                            PackARange(a, rsA, csA, M, K, mR, shared, total * t / nA, total * (t + 1) / nA);
                        }
                    });
                else PackBRange(b, jc, K, nc, bpp, 0, panels);

                float* cj = c + jc;
                if (threads > 1 && tasks > 1)
                    Par.Each(tasks, t => Task(t, nSplit, panels, M, K, mc, mR, nc, a, rsA, csA, shared, bpp, ncR, cj, ldc, accumulate));
                else
                    for (int t = 0; t < tasks; t++) Task(t, nSplit, panels, M, K, mc, mR, nc, a, rsA, csA, shared, bpp, ncR, cj, ldc, accumulate);
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void PackBRange<TB>(TB b, int jc, int K, int nc, float* bp, int p0, int p1) where TB : struct, IBSource
    {
        int ncR = RoundUp(nc, NR);
        for (int pc = 0; pc < K; pc += KC)
        {
            int kc = Math.Min(KC, K - pc);
            for (int p = p0; p < p1; p++)
            {
                int j0 = p * NR;
                b.PackPanel(pc, kc, jc + j0, Math.Min(NR, nc - j0), bp + (long)pc * ncR + (long)j0 * kc);
            }
        }
    }

    /// <summary>Packs A panels [f0, f1) of the flattened (K block, MR-row panel) index into the shared layout.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void PackARange(float* a, int rsA, int csA, int M, int K, int mR, float* ap, int f0, int f1)
    {
        int aPanels = mR / MR;
        for (int f = f0; f < f1; f++)
        {
            int blk = f / aPanels, i0 = f % aPanels * MR, pc = blk * KC, kc = Math.Min(KC, K - pc);
            Packing.PackA(a + (long)i0 * rsA + (long)pc * csA, rsA, csA, Math.Min(MR, M - i0), kc, ap + (long)pc * mR + (long)i0 * kc);
        }
    }

    /// <summary>One row block of C (rows [ic, ic+mc)) over one range of B panels, all of K. sharedA: A packed for all
    /// rows by the packing pass (else this task packs its block itself).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Task(int t, int nSplit, int panels, int M, int K, int mc, int mR, int nc, float* a, int rsA, int csA,
        float* sharedA, float* bp, int ncR, float* c, int ldc, bool accumulate)
    {
        int ic = t / nSplit * mc, s = t % nSplit;
        int m = Math.Min(mc, M - ic);
        int p0 = panels * s / nSplit, p1 = panels * (s + 1) / nSplit;
        if (p0 >= p1) return;
        var aBuf = sharedA == null ? Buffer(Scratch.GemmA, (long)MCMax * KC) : null;
        fixed (float* ap0 = aBuf)
        {
            float* own = Align64(ap0);
            for (int pc = 0; pc < K; pc += KC)
            {
                int kc = Math.Min(KC, K - pc);
                bool acc = accumulate || pc > 0;
                float* ap;
                if (sharedA != null) ap = sharedA + (long)pc * mR + (long)ic * kc;
                else { ap = own; Packing.PackA(a + (long)ic * rsA + (long)pc * csA, rsA, csA, m, kc, ap); }
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
    internal static float* Align64(float* p) => (float*)(((nint)p + 63) & ~(nint)63);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int RoundUp(int x, int m) => (x + m - 1) / m * m;

    /// <summary>Floats of room a packing buffer keeps beyond its n floats, for <see cref="Align64"/> to move its start.</summary>
    internal const int AlignRoom = 16;

    /// <summary>
    /// A pinned per-thread packing buffer (a <see cref="Scratch"/> slot) that holds n floats from its first 64-byte
    /// boundary. The room for the alignment is part of the request, so it is part of every reuse check too: a buffer
    /// allocated for m floats (m + 16 long) and reused for up to m + 16 floats used to be written up to 15 floats past
    /// its end when its data did not start on a cache line, corrupting the next object on the pinned heap (the test
    /// host's crash, issue 14).
    /// </summary>
    internal static float[] Buffer(int slot, long n) => Scratch.Get(slot, n + AlignRoom);
}
