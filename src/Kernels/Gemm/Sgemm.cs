using System.Runtime.CompilerServices;
using Engine.Kernels.Conv;
using Engine.Kernels.Cpu;

namespace Engine.Kernels.Gemm;

// Packed, register-blocked single-precision GEMM (the BLIS loop nest), at the tile of the width in use (ITile:
// 12 x 32 at AVX-512, 6 x 16 at AVX2 or in scalar code).
//   C[M,N] (= or +=) A[M,K] * B[K,N],  A(i,k) = a[i*rsA + k*csA],  B(k,j) = b[k*rsB + j*csB],  C row-major with ldc.
// Loops, outer to inner (GemmPlan holds the sizes):
//   jc over N in NC columns   - the packed B block (K x NC) lives in L3
//   (pack all of B for this jc, panels of NR columns, split over the cores)
//   ic over M in mc rows      - one task per (ic, column range); the cores take tasks dynamically
//     pc over K in KC         - the mc x KC block of A, packed (L2)
//       jr over NR panels     - the KC x NR panel of B stays in L1
//         ir over MR panels   - the micro-kernel: an MR x NR tile in registers
// Transposed or strided operands cost nothing extra: only the packing reads them. Every element of C is one chain of
// FMAs over k, in order, KC at a time: the same bits at every tile, thread count and split.
public static unsafe class Sgemm
{
    /// <summary>Columns of B packed per block (all tiles).</summary>
    public const int NC = 4096;

    /// <summary>Below this many multiply-adds the work stays on the calling thread.</summary>
    public const long ParallelThreshold = 1L << 17;

    /// <summary>C = A*B (accumulate: C += A*B). parallel: may use every core (never pass true from inside a parallel loop).</summary>
    public static void Run(int M, int N, int K, float* a, int rsA, int csA, float* b, int rsB, int csB,
        float* c, int ldc, bool accumulate, bool parallel = true) =>
        Run(GemmTile.Current, M, N, K, a, rsA, csA, new StridedB(b, rsB, csB), c, ldc, accumulate, parallel);

    /// <summary>C = A*B where B is packed from any <see cref="IBSource"/> (a strided matrix, or im2col straight from an image).</summary>
    public static void Run<TB>(GemmTile tile, int M, int N, int K, float* a, int rsA, int csA, TB b,
        float* c, int ldc, bool accumulate, bool parallel = true) where TB : struct, IBSource =>
        Dispatch(tile, new GemmOperands(M, N, K, a, rsA, csA, null, c, ldc, accumulate), b, parallel);

    /// <summary>Floats <see cref="PackA"/> writes for an M x K operand at this tile (without the 16 of alignment room).</summary>
    public static long PackedASize(GemmTile tile, int M, int K) => (long)RoundUp(M, tile.MR) * K;

    /// <summary>
    /// Packs all of A [M, K] once, for <see cref="RunPackedA{TB}"/> to reuse across many products with the same A
    /// (a convolution's weights, for every image), at the tile they will run with. dst needs <see cref="PackedASize"/>
    /// floats; layout: K block pc at dst + pc*RoundUp(M, MR), its MR-row panels [k][MR] one after the other.
    /// </summary>
    public static void PackA(GemmTile tile, int M, int K, float* a, int rsA, int csA, float* dst)
    {
        int mR = RoundUp(M, tile.MR);
        PackARange(a, rsA, csA, M, K, mR, tile.MR, tile.KC, dst, 0, mR / tile.MR * ((K + tile.KC - 1) / tile.KC));
    }

    /// <summary>C = A*B with A already packed by <see cref="PackA"/> at the same tile.</summary>
    public static void RunPackedA<TB>(GemmTile tile, int M, int N, int K, float* packedA, TB b, float* c, int ldc, bool accumulate,
        bool parallel = true) where TB : struct, IBSource =>
        Dispatch(tile, new GemmOperands(M, N, K, null, 0, 0, packedA, c, ldc, accumulate), b, parallel);

    private static void Dispatch<TB>(GemmTile tile, in GemmOperands op, TB b, bool parallel) where TB : struct, IBSource
    {
        switch (tile.Level)
        {
            case SimdLevel.Avx512: Run<TB, Tile12x32>(op, b, parallel); break;
            case SimdLevel.Avx2: Run<TB, Tile6x16>(op, b, parallel); break;
            default: Run<TB, TileScalar>(op, b, parallel); break;
        }
    }

    private static void Run<TB, TK>(GemmOperands op, TB b, bool parallel) where TB : struct, IBSource where TK : struct, ITile
    {
        if (op.M <= 0 || op.N <= 0) return;
        if (op.K <= 0)
        {
            if (!op.Accumulate)
                for (int i = 0; i < op.M; i++) { Mem.Writes(op.C + (long)i * op.Ldc, op.N); new Span<float>(op.C + (long)i * op.Ldc, op.N).Clear(); }
            return;
        }
        var plan = GemmPlan.Of<TK>(op, parallel && (long)op.M * op.N * op.K >= ParallelThreshold ? Par.Threads : 1);
        float* ap = op.PackedA;
        float[]? aBuf = null;
        for (int jc = 0; jc < op.N; jc += NC)
        {
            var block = plan.Block(jc);
            // When several tasks share a row block, A is packed once, for all of M and K, by the packing pass below
            // (each task would otherwise pack the same block again: 8x the A packing for a 128-row Linear).
            bool shareA = block.NSplit > 1 || op.PackedA != null;
            bool packA = shareA && aBuf == null && op.PackedA == null;
            if (packA) aBuf = Buffer(Scratch.GemmAAll, (long)plan.MRounded * op.K);
            var bBuf = Buffer(Scratch.GemmB, (long)op.K * block.NcRounded);
            fixed (float* bp0 = bBuf, aa0 = aBuf)
            {
                float* bp = Align64(bp0);
                if (op.PackedA == null && aBuf != null) ap = Align64(aa0);
                float* shared = shareA ? ap : null;
                // One parallel pass packs B (block pc holds panels [panel][k][NR] at bp + pc*ncR) and, when shared,
                // A (block pc holds panels [panel][k][MR] at ap + pc*mR).
                int threads = plan.Threads, panels = block.Panels;
                int aPanels = plan.MRounded / TK.MR, pcBlocks = (op.K + TK.KC - 1) / TK.KC;
                int nB = threads > 1 ? Math.Min(panels, threads * 4) : 1;
                int nA = packA ? Math.Min(aPanels * pcBlocks, threads * 4) : 0;
                int jcc = jc;
                var opc = op;
                if (nB + nA > 1)
                    Par.Each(nB + nA, j =>
                    {
                        if (j < nB) PackBRange<TB, TK>(b, jcc, opc.K, block.Nc, bp, panels * j / nB, panels * (j + 1) / nB);
                        else
                        {
                            int t = j - nB, total = aPanels * pcBlocks;
                            PackARange(opc.A, opc.RsA, opc.CsA, opc.M, opc.K, plan.MRounded, TK.MR, TK.KC, shared, total * t / nA, total * (t + 1) / nA);
                        }
                    });
                else PackBRange<TB, TK>(b, jc, op.K, block.Nc, bp, 0, panels);

                var work = new GemmWork(plan, block, shared, bp, op.C + jc);
                if (threads > 1 && block.Tasks > 1) Par.Each(block.Tasks, t => Task<TK>(work, t));
                else for (int t = 0; t < block.Tasks; t++) Task<TK>(work, t);
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void PackBRange<TB, TK>(TB b, int jc, int K, int nc, float* bp, int p0, int p1) where TB : struct, IBSource where TK : struct, ITile
    {
        int NR = TK.NR, KC = TK.KC, ncR = RoundUp(nc, NR);
        for (int pc = 0; pc < K; pc += KC)
        {
            int kc = Math.Min(KC, K - pc);
            for (int p = p0; p < p1; p++)
            {
                int j0 = p * NR;
                b.PackPanel(pc, kc, jc + j0, Math.Min(NR, nc - j0), bp + (long)pc * ncR + (long)j0 * kc, NR);
            }
        }
    }

    /// <summary>Packs A panels [f0, f1) of the flattened (K block, MR-row panel) index into the shared layout.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void PackARange(float* a, int rsA, int csA, int M, int K, int mR, int MR, int KC, float* ap, int f0, int f1)
    {
        int aPanels = mR / MR;
        for (int f = f0; f < f1; f++)
        {
            int blk = f / aPanels, i0 = f % aPanels * MR, pc = blk * KC, kc = Math.Min(KC, K - pc);
            Packing.PackA(a + (long)i0 * rsA + (long)pc * csA, rsA, csA, Math.Min(MR, M - i0), kc, ap + (long)pc * mR + (long)i0 * kc, MR);
        }
    }

    /// <summary>
    /// Task t of a column block: one row block of C (rows [ic, ic + mc)) over one range of B panels, all of K. With a
    /// shared A the packing pass packed it for all rows; otherwise this task packs its block itself.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Task<TK>(in GemmWork w, int t) where TK : struct, ITile
    {
        int MR = TK.MR, NR = TK.NR, KC = TK.KC;
        ref readonly var op = ref w.Plan.Operands;
        int ic = t / w.Block.NSplit * w.Plan.Mc, s = t % w.Block.NSplit;
        int m = Math.Min(w.Plan.Mc, op.M - ic);
        int p0 = w.Block.Panels * s / w.Block.NSplit, p1 = w.Block.Panels * (s + 1) / w.Block.NSplit;
        if (p0 >= p1) return;
        var aBuf = w.SharedA == null ? Buffer(Scratch.GemmA, (long)TK.MC * KC) : null;
        fixed (float* ap0 = aBuf)
        {
            float* own = Align64(ap0);
            for (int pc = 0; pc < op.K; pc += KC)
            {
                int kc = Math.Min(KC, op.K - pc);
                bool acc = op.Accumulate || pc > 0;
                float* ap;
                if (w.SharedA != null) ap = w.SharedA + (long)pc * w.Plan.MRounded + (long)ic * kc;
                else { ap = own; Packing.PackA(op.A + (long)ic * op.RsA + (long)pc * op.CsA, op.RsA, op.CsA, m, kc, ap, MR); }
                float* bBlock = w.B + (long)pc * w.Block.NcRounded;
                for (int p = p0; p < p1; p++)
                {
                    int j0 = p * NR, n = Math.Min(NR, w.Block.Nc - j0);
                    float* bPanel = bBlock + (long)j0 * kc;
                    for (int ir = 0; ir < m; ir += MR)
                        TK.Run(kc, ap + ir * kc, bPanel, w.C + (long)(ic + ir) * op.Ldc + j0, op.Ldc, Math.Min(MR, m - ir), n, acc);
                }
            }
        }
    }

    /// <summary>The first 64-byte (cache line) boundary at or after p: packed panels are read with loads that must not straddle lines.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static float* Align64(float* p) => (float*)(((nint)p + 63) & ~(nint)63);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static int RoundUp(int x, int m) => (x + m - 1) / m * m;

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
