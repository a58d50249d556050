using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Engine.Kernels.Gemm;

// The register tile: C[MR=6, NR=16] (+)= Ap[6, kc] * Bp[kc, 16] from packed panels.
// 12 accumulators (6 rows x 2 YMM) + 2 B vectors + 1 broadcast A = 15 of the 16 YMM registers,
// the layout AMD's BLIS uses on Zen. Each k step: 2 loads, 6 broadcasts, 12 FMAs.
internal static unsafe class MicroKernel
{
    /// <summary>c[i*ldc + j] (= or +=) sum_k ap[k*6+i] * bp[k*16+j] for i &lt; m, j &lt; n (AVX2 + FMA).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Run(int kc, float* ap, float* bp, float* c, int ldc, int m, int n, bool accumulate)
    {
        Mem.Reads(ap, (long)kc * 6); Mem.Reads(bp, (long)kc * 16);
        Vector256<float> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default;
        Vector256<float> c30 = default, c31 = default, c40 = default, c41 = default, c50 = default, c51 = default;
        // The C tile's 6 rows are touched again only after the k loop: ask for them now, so the loads after the loop
        // hit L1 (C rows are ldc apart, often 4 KiB: no hardware prefetcher follows them).
        Sse.Prefetch0(c); Sse.Prefetch0(c + 15); Sse.Prefetch0(c + ldc); Sse.Prefetch0(c + ldc + 15);
        Sse.Prefetch0(c + 2L * ldc); Sse.Prefetch0(c + 2L * ldc + 15); Sse.Prefetch0(c + 3L * ldc); Sse.Prefetch0(c + 3L * ldc + 15);
        Sse.Prefetch0(c + 4L * ldc); Sse.Prefetch0(c + 4L * ldc + 15); Sse.Prefetch0(c + 5L * ldc); Sse.Prefetch0(c + 5L * ldc + 15);
        for (int k = 0; k < kc; k++, ap += 6, bp += 16)
        {
            var b0 = Mem.Load(bp);
            var b1 = Mem.Load(bp + 8);
            var a = Avx.BroadcastScalarToVector256(ap);
            c00 = Fma.MultiplyAdd(a, b0, c00); c01 = Fma.MultiplyAdd(a, b1, c01);
            a = Avx.BroadcastScalarToVector256(ap + 1);
            c10 = Fma.MultiplyAdd(a, b0, c10); c11 = Fma.MultiplyAdd(a, b1, c11);
            a = Avx.BroadcastScalarToVector256(ap + 2);
            c20 = Fma.MultiplyAdd(a, b0, c20); c21 = Fma.MultiplyAdd(a, b1, c21);
            a = Avx.BroadcastScalarToVector256(ap + 3);
            c30 = Fma.MultiplyAdd(a, b0, c30); c31 = Fma.MultiplyAdd(a, b1, c31);
            a = Avx.BroadcastScalarToVector256(ap + 4);
            c40 = Fma.MultiplyAdd(a, b0, c40); c41 = Fma.MultiplyAdd(a, b1, c41);
            a = Avx.BroadcastScalarToVector256(ap + 5);
            c50 = Fma.MultiplyAdd(a, b0, c50); c51 = Fma.MultiplyAdd(a, b1, c51);
        }
        if (m == 6 && n == 16)
        {
            Store(c, c00, c01, accumulate); Store(c + ldc, c10, c11, accumulate);
            Store(c + 2L * ldc, c20, c21, accumulate); Store(c + 3L * ldc, c30, c31, accumulate);
            Store(c + 4L * ldc, c40, c41, accumulate); Store(c + 5L * ldc, c50, c51, accumulate);
            return;
        }
        if (n == 16)
        {
            // Fewer rows (M not a multiple of 6: 64, 128, 32 ...): the valid rows still take vector stores.
            Store(c, c00, c01, accumulate);
            if (m > 1) Store(c + ldc, c10, c11, accumulate);
            if (m > 2) Store(c + 2L * ldc, c20, c21, accumulate);
            if (m > 3) Store(c + 3L * ldc, c30, c31, accumulate);
            if (m > 4) Store(c + 4L * ldc, c40, c41, accumulate);
            return;
        }
        // Edge tile (fewer than 16 columns): spill to a stack tile and copy the valid m x n corner.
        float* t = stackalloc float[96];
        Avx.Store(t, c00); Avx.Store(t + 8, c01); Avx.Store(t + 16, c10); Avx.Store(t + 24, c11);
        Avx.Store(t + 32, c20); Avx.Store(t + 40, c21); Avx.Store(t + 48, c30); Avx.Store(t + 56, c31);
        Avx.Store(t + 64, c40); Avx.Store(t + 72, c41); Avx.Store(t + 80, c50); Avx.Store(t + 88, c51);
        CopyEdge(t, 16, c, ldc, m, n, accumulate);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store(float* c, Vector256<float> lo, Vector256<float> hi, bool accumulate)
    {
        if (accumulate) { lo = Avx.Add(lo, Mem.Load(c)); hi = Avx.Add(hi, Mem.Load(c + 8)); }
        Mem.StoreAt(c, lo); Mem.StoreAt(c + 8, hi);
    }

    /// <summary>The valid m x n corner of a spilled tile (rows nr floats apart) into C.</summary>
    internal static void CopyEdge(float* t, int nr, float* c, int ldc, int m, int n, bool accumulate)
    {
        for (int i = 0; i < m; i++)
        {
            float* row = c + (long)i * ldc; float* tr = t + i * nr;
            Mem.Writes(row, n);
            if (accumulate) for (int j = 0; j < n; j++) row[j] += tr[j];
            else for (int j = 0; j < n; j++) row[j] = tr[j];
        }
    }

    /// <summary>The same tile without vector units (other CPUs, or ENGINE_SIMD=scalar): plain float loops over the packed panels.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void RunScalar(int kc, float* ap, float* bp, float* c, int ldc, int m, int n, bool accumulate)
    {
        Mem.Reads(ap, (long)kc * 6); Mem.Reads(bp, (long)kc * 16);
        float* t = stackalloc float[96];
        new Span<float>(t, 96).Clear();
        for (int k = 0; k < kc; k++, ap += 6, bp += 16)
            for (int i = 0; i < 6; i++)
            {
                float a = ap[i]; float* tr = t + i * 16;
                for (int j = 0; j < 16; j++) tr[j] = MathF.FusedMultiplyAdd(a, bp[j], tr[j]);
            }
        CopyEdge(t, 16, c, ldc, m, n, accumulate);
    }
}
